"""A bounded soak of the public pages: ``python -m bench.soak [--seconds 60] [--connections 64]``.

Loopback only. Starts gunicorn as deployed (two sync workers, production settings with a throwaway
secret key, ``127.0.0.1`` only, no SSL redirect) on the benchmark's own database
(``memorial_soak`` in the project's cluster, or ``SOAK_DATABASE_URL``; never the development
database) filled with obviously synthetic people, then holds ``--connections`` concurrent clients
on the public pages (home, registry lists and searches, person pages, timeline, sources,
statistics, about) for ``--seconds``. Uses wrk when installed, otherwise a bounded client in
Python threads.

It passes when no answer was a 5xx, no connection failed, both workers are the ones that started
(none crashed or was replaced) and no worker's resident memory grew by more than ``--rss-margin-mb``
between the end of the warm-up and the end of the soak. Exit status 0 on a pass, 1 otherwise;
the figures go to ``bench/results/soak-latest.json``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results" / "soak-latest.json"
LOOPBACK = "127.0.0.1"
SOAK_DB = "memorial_soak"

WRK_SCRIPT = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  paths = {}
  for i, p in ipairs(args) do paths[i] = p end
  counter = math.random(#paths)
  server_errors = 0
  client_errors = 0
end
function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end
function response(status, headers, body)
  if status >= 500 then server_errors = server_errors + 1
  elseif status >= 400 then client_errors = client_errors + 1 end
end
function done(summary, latency, requests)
  local s, c = 0, 0
  for _, t in ipairs(threads) do
    s = s + t:get("server_errors")
    c = c + t:get("client_errors")
  end
  io.write(string.format("SOAK requests=%d 5xx=%d 4xx=%d connect=%d read=%d write=%d timeout=%d p50_us=%d p99_us=%d max_us=%d\n",
    summary.requests, s, c, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="length of the soak (default 60, at most 3600)")
    parser.add_argument("--connections", type=int, default=64, help="concurrent clients (default 64, at most 512)")
    parser.add_argument("--people", type=int, default=1000, help="synthetic people in the registry (default 1000)")
    parser.add_argument("--warmup", type=int, default=30, help="seconds of load before memory is first read")
    parser.add_argument("--rss-margin-mb", type=float, default=16.0, help="allowed growth per worker (default 16)")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto", help="load generator")
    args = parser.parse_args(argv)
    if not 1 <= args.seconds <= 3600:
        parser.error("--seconds must be between 1 and 3600")
    if not 1 <= args.connections <= 512:
        parser.error("--connections must be between 1 and 512")
    if not 0 <= args.warmup <= 600:
        parser.error("--warmup must be between 0 and 600")
    if args.people < 50:
        parser.error("--people must be at least 50")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def get(port: int, path: str, timeout: float = 30) -> int:
    connection = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MiB (Linux /proc), None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# --- Load generators ----------------------------------------------------------------------------


def empty_result() -> dict:
    return {"requests": 0, "5xx": 0, "4xx": 0, "socket_errors": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}


def run_wrk(wrk: str, port: int, paths: list[str], *, seconds: int, connections: int) -> dict:
    """wrk with a Lua script that rotates through ``paths`` and counts 4xx and 5xx answers."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT)
    try:
        threads = max(1, min(4, connections))
        command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name,
                   f"http://{LOOPBACK}:{port}", "--", *paths]  # fmt: skip
        output = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 120).stdout
    finally:
        os.unlink(script.name)
    line = next((row for row in output.splitlines() if row.startswith("SOAK ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary:\n{output}")
    figures = dict(part.split("=") for part in line.split()[1:])
    return {
        "requests": int(figures["requests"]),
        "5xx": int(figures["5xx"]),
        "4xx": int(figures["4xx"]),
        "socket_errors": sum(int(figures[k]) for k in ("connect", "read", "write", "timeout")),
        "p50_ms": round(int(figures["p50_us"]) / 1000, 1),
        "p99_ms": round(int(figures["p99_us"]) / 1000, 1),
        "max_ms": round(int(figures["max_us"]) / 1000, 1),
    }


def run_threads(port: int, paths: list[str], *, seconds: float, connections: int) -> dict:
    """A bounded load generator: ``connections`` threads, each one request at a time, until the deadline."""
    result = empty_result()
    latencies: list[float] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset: int) -> None:
        index = offset
        connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
        while time.monotonic() < deadline:
            path = paths[index % len(paths)]
            index += 1
            started = time.perf_counter()
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                connection = http.client.HTTPConnection(LOOPBACK, port, timeout=10)
                with lock:
                    result["socket_errors"] += 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                result["requests"] += 1
                latencies.append(elapsed)
                if status >= 500:
                    result["5xx"] += 1
                elif status >= 400:
                    result["4xx"] += 1
        connection.close()

    workers = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(connections)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 30)
    if latencies:
        latencies.sort()
        result["p50_ms"] = round(latencies[len(latencies) // 2], 1)
        result["p99_ms"] = round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1)
        result["max_ms"] = round(latencies[-1], 1)
    return result


def load(client: str, port: int, paths: list[str], *, seconds: int, connections: int) -> dict:
    wrk = shutil.which("wrk") if client in ("auto", "wrk") else None
    if client == "wrk" and not wrk:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    if wrk:
        return {"client": "wrk", **run_wrk(wrk, port, paths, seconds=seconds, connections=connections)}
    return {"client": "python", **run_threads(port, paths, seconds=seconds, connections=connections)}


# --- The site ---------------------------------------------------------------------------------


def public_paths(limit: int = 40) -> list[str]:
    """Public pages a visitor opens: lists, searches, filters, person pages, timeline, statistics."""
    from django.urls import reverse
    from django.utils import translation

    from victims.models import Event, Victim

    paths = []
    for language in ("az", "en", "ru"):
        with translation.override(language):
            registry = reverse("victims:victim_list")
            paths += [reverse("home"), registry, reverse("victims:event_list"), reverse("victims:statistics")]
            paths += [reverse("victims:source_list"), reverse("about")]
            paths += [f"{registry}?page=2", f"{registry}?sort=age", f"{registry}?category=killed&letter=M"]
            paths += [f"{registry}?q=mammadov", f"{registry}?q=%D0%BC%D0%B0%D0%BC%D0%B5%D0%B4%D0%BE%D0%B2"]
    with translation.override("en"):
        paths += [victim.get_absolute_url() for victim in Victim.objects.published().order_by("?")[:limit]]
        paths += [event.get_absolute_url() for event in Event.objects.published().order_by("?")[:10]]
    return paths


WARM_PER_PAGE = 4


def warm_every_page(port: int, paths: list[str], per_page: int = WARM_PER_PAGE) -> None:
    """Request each page ``per_page`` times concurrently: with every worker busy, each of them renders
    each page at least once, so its memory reaches its working size (templates, catalogues, the
    largest page's buffers) before the first reading."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=per_page) as pool:
        for path in paths:
            statuses = list(pool.map(lambda p: get(port, p, timeout=120), [path] * per_page))
            if any(status >= 500 for status in statuses):
                raise RuntimeError(f"{path} answered {statuses} during the warm-up")


def soak(args: argparse.Namespace, environment: dict[str, str], paths: list[str]) -> dict:
    from bench.load import Gunicorn

    with Gunicorn(environment, log=BASE_DIR / "var" / "bench" / "soak-gunicorn.log", ready_path="/readyz") as server:
        for path in paths:  # every page answers before the soak starts
            status = get(server.port, path)
            if status != 200:
                raise RuntimeError(f"{path} answered {status} before the soak")
        log(
            f"Warming up: every page {WARM_PER_PAGE} times at once (so both workers render each), then {args.warmup} s of load"
        )
        warm_every_page(server.port, paths)
        if args.warmup:
            load(args.client, server.port, paths, seconds=args.warmup, connections=args.connections)
        workers = server.worker_pids()
        before = {pid: rss_mb(pid) for pid in workers}
        samples: list[dict] = []
        stop = threading.Event()

        def sample() -> None:
            started = time.monotonic()
            while not stop.wait(5):
                samples.append({"t": round(time.monotonic() - started), **{str(p): rss_mb(p) for p in workers}})

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        log(f"Soaking {len(paths)} public pages with {args.connections} clients for {args.seconds} s")
        started = time.monotonic()
        result = load(args.client, server.port, paths, seconds=args.seconds, connections=args.connections)
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
        time.sleep(1)  # let queued requests finish before reading memory
        after = {pid: rss_mb(pid) for pid in workers}
        workers_after = server.worker_pids()
    growth = {str(pid): round((after[pid] or 0) - (before[pid] or 0), 1) for pid in workers}
    result.update(
        seconds=args.seconds,
        connections=args.connections,
        paths=len(paths),
        rps=round(result["requests"] / elapsed, 1),
        workers=workers,
        workers_unchanged=workers == workers_after,
        rss_before_mb={str(p): round(v or 0, 1) for p, v in before.items()},
        rss_after_mb={str(p): round(v or 0, 1) for p, v in after.items()},
        rss_growth_mb=growth,
        rss_samples=samples,
        rss_margin_mb=args.rss_margin_mb,
    )
    result["passed"] = (
        result["requests"] > 0
        and result["5xx"] == 0
        and result["socket_errors"] == 0
        and result["workers_unchanged"]
        and all(g <= args.rss_margin_mb for g in growth.values())
    )
    return result


def report(result: dict) -> str:
    lines = [
        f"Soak: {result['connections']} clients for {result['seconds']} s over {result['paths']} public pages "
        f"({result['client']}; gunicorn 2 sync workers, production settings, 127.0.0.1)",
        f"  requests {result['requests']:,} ({result['rps']}/s), 5xx {result['5xx']}, 4xx {result['4xx']}, "
        f"socket errors {result['socket_errors']}; latency p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, "
        f"max {result['max_ms']} ms",
    ]
    for pid in result["rss_before_mb"]:
        lines.append(
            f"  worker {pid}: RSS {result['rss_before_mb'][pid]} MiB after warm-up, "
            f"{result['rss_after_mb'][pid]} MiB after the soak ({result['rss_growth_mb'][pid]:+} MiB; "
            f"margin {result['rss_margin_mb']} MiB)"
        )
    lines.append(f"  workers unchanged: {result['workers_unchanged']}")
    lines.append("PASS" if result["passed"] else "FAIL")
    return "\n".join(lines)


def soak_database_url() -> str:
    """The soak's own database ``memorial_soak`` in the project's cluster (created if missing): the
    benchmarks may recreate theirs at any time."""
    from common import localdb

    cluster = localdb.start(quiet=True)
    localdb.ensure_database(cluster, localdb.find_bindir(), SOAK_DB)
    return cluster.database_url(SOAK_DB)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from bench import env

    url = os.environ.get("SOAK_DATABASE_URL") or soak_database_url()
    environment = env.configure(url)  # production settings, before Django reads them

    import django

    django.setup()
    from bench import generate

    env.prepare(log)
    if generate.synthetic_count() < args.people:
        log(f"Filling the registry to {args.people:,} synthetic people")
        generate.fill(args.people, log=lambda _: None)
    paths = public_paths()
    from django.db import connections

    connections.close_all()
    result = soak(args, env.served(environment), paths)  # the site as deployed, page cache on
    result["database"] = url.rsplit("/", 1)[-1]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
