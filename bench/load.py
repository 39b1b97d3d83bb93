"""Pages under load: gunicorn with the production settings, driven by wrk over loopback.

Gunicorn runs the site as it is deployed (production settings, DEBUG off, WhiteNoise, two sync
workers) on a free port of 127.0.0.1. The baseline is a static HTML file of the same size as the
person page, served by the same gunicorn and WhiteNoise: a page's requests per second divided by
the baseline's is a ratio that means the same on any machine. Each URL is loaded for a bounded
time with a fixed number of connections; wrk reports requests per second, the latency
distribution, non-2xx/3xx answers and socket errors. Without wrk (and without root to install
it), a bounded Python client stands in.

Three passes: **uncached**, gunicorn with the page cache off (``PAGE_CACHE_ENABLED=false``), so
every request renders its page; **cached**, a second gunicorn with the page cache on, as
deployed, where a repeated request is answered from the page cache (``X-Cache: HIT``, probed
before each load); and **revalidated**, the same server answering ``If-None-Match`` with 304.
Each pass measures its own static baseline, side by side with its pages; a page more than ten
times the person page's size (the sitemap section) is compared with a static file of its own size.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench import env
from bench.report import TARGETS, Table, percentile, verdict

BASELINE = "bench-baseline.html"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk(log=print) -> str | None:
    """wrk's path; installs Debian's package when running as root and it is missing."""
    found = shutil.which("wrk")
    if found or os.geteuid() != 0 or not shutil.which("apt-get"):
        return found
    log("Installing wrk (apt-get install wrk)")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "check": False}
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=environment, **quiet).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=environment, **quiet)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=environment, **quiet)
    return shutil.which("wrk")


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> dict:
    """Requests/s, p50/p99 latency (ms), requests and errors from ``wrk --latency`` output."""
    result = {"rps": 0.0, "p50_ms": None, "p99_ms": None, "requests": 0, "non_2xx_3xx": 0, "socket_errors": 0}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in", output):
        result["requests"] = int(m.group(1))
    for pct, key in (("50", "p50_ms"), ("99", "p99_ms")):
        if m := re.search(rf"^\s+{pct}(?:\.000)?%\s+([\d.]+(?:us|ms|s|m))\s*$", output, re.M):
            result[key] = round(_ms(m.group(1)), 2)
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result["non_2xx_3xx"] = int(m.group(1))
    if m := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result["socket_errors"] = sum(int(g) for g in m.groups())
    result["errors"] = result["non_2xx_3xx"] + result["socket_errors"]
    if not result["requests"] or not result["p99_ms"]:  # nothing answered in time: no latency to speak of
        result["p50_ms"] = result["p99_ms"] = None
    return result


def run_wrk(wrk: str, url: str, *, seconds: int, connections: int, headers: dict | None = None) -> dict:
    args = [wrk, "--latency", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, url], capture_output=True, text=True, check=False, timeout=seconds + 60).stdout
    return parse_wrk(output)


def run_python_client(url: str, *, seconds: int, connections: int, headers: dict | None = None) -> dict:
    """A bounded load generator in Python threads: far weaker than wrk, but the same figures."""
    host, port = "127.0.0.1", int(url.split(":")[2].split("/")[0])
    path = "/" + url.split("/", 3)[3]
    latencies: list[float] = []
    counts = {"ok": 0, "bad": 0, "socket": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def worker():
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                response.read()
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    counts["ok" if response.status < 400 else "bad"] += 1
            except OSError:
                with lock:
                    counts["socket"] += 1
            finally:
                conn.close()

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    done = counts["ok"] + counts["bad"]
    return {
        "rps": round(done / elapsed, 2),
        "p50_ms": round(percentile(latencies, 50), 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 2) if latencies else None,
        "requests": done,
        "non_2xx_3xx": counts["bad"],
        "socket_errors": counts["socket"],
        "errors": counts["bad"] + counts["socket"],
    }


def get(port: int, path: str, headers: dict | None = None, timeout: float = 120) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Gunicorn:
    """``gunicorn config.wsgi`` with two sync workers on 127.0.0.1, as deployed."""

    def __init__(self, environment: dict[str, str], *, workers: int = 2, log: Path | None = None, ready_path: str = ""):
        self.port = free_port()
        self.environment = {**os.environ, **environment}
        self.workers = workers
        self.process: subprocess.Popen | None = None
        self.log = log or env.VAR / "gunicorn.log"
        # Ready once this answers 200 and every worker has started (default: the static baseline).
        self.ready_path = ready_path or f"/static/{BASELINE}"

    def __enter__(self) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(self.workers),
                   "--bind", f"127.0.0.1:{self.port}", "--timeout", "60", "--log-level", "warning"]  # fmt: skip
        self.log.parent.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            command, cwd=env.BASE_DIR, env=self.environment, stdout=self.log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            try:
                status, _, _ = get(self.port, self.ready_path)
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def drain(self, timeout: float = 20) -> bool:
        """Wait until the requests a load generator left queued are answered (sync workers queue
        them); False when that takes longer than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                started = time.monotonic()
                get(self.port, f"/static/{BASELINE}", timeout=max(1.0, deadline - time.monotonic()))
                if time.monotonic() - started < 0.5:
                    return True
            except OSError:
                time.sleep(0.2)
        return False

    def restart(self) -> None:
        """A fresh gunicorn (same port), dropping whatever a slow page left in the queue."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # gunicorn's quick shutdown
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.__enter__()

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return sorted(int(pid) for pid in children.read_text().split())
        except OSError:
            return []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


# Where a worker's time goes, by the innermost frame that names a layer (leaf to root).
LAYERS = [
    ("SQL (driver, waiting for PostgreSQL)", ("psycopg", "django/db/backends/")),
    ("ORM (building queries, making model objects)", ("django/db/models/",)),
    ("templates", ("django/template/", "django/templatetags/", "templatetags/")),
    ("translation, formats", ("django/utils/translation/", "gettext", "django/utils/formats", "modeltranslation")),
    ("URL reversing", ("django/urls/",)),
    ("ETag (victims/caching.py)", ("victims/caching.py",)),
    ("sitemaps", ("django/contrib/sitemaps/",)),
    ("views and project code", ("victims/", "memorial/")),
    ("middleware and other Django", ("django/", "whitenoise/", "django_otp/", "axes/", "simple_history/")),
    ("gunicorn (sockets, HTTP)", ("gunicorn/",)),
]


def layer_shares(collapsed: str) -> dict[str, float]:
    """Shares of a worker's busy samples per layer, from py-spy's ``--format raw`` output."""
    counts: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():
            continue
        total += int(n)
        layer = "other"
        for frame in reversed(stack.split(";")):
            layer = next((name for name, marks in LAYERS if any(m in frame for m in marks)), "")
            if layer:
                break
        counts[layer or "other"] = counts.get(layer or "other", 0) + int(n)
    return {k: round(v / total, 3) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])} if total else {}


def profile_worker(pid: int, seconds: int, output: Path) -> subprocess.Popen | None:
    """Start py-spy sampling one gunicorn worker for ``seconds`` (None without py-spy)."""
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        return None
    return subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200", "--format", "raw",
         "--output", str(output), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def write_baseline(person_html: bytes, name: str = BASELINE) -> Path:
    """The static baseline: the person page's own bytes as a file WhiteNoise serves from STATIC_ROOT."""
    path = env.STATIC_ROOT / name
    path.write_bytes(person_html)
    return path


# A page this many times larger than the person page (the sitemap section: megabytes) is compared
# with a static file of its own size instead: bytes on the wire, not Django, bound it.
OWN_BASELINE_FACTOR = 10


def own_baselines(pages: dict[str, str], person_bytes: int) -> dict[str, str]:
    """Write a same-size static file for every much larger page; {page name: static path}."""
    from django.test import Client

    client, found = Client(), {}
    for name, path in pages.items():
        response = client.get(path)
        if response.status_code == 200 and len(response.content) > OWN_BASELINE_FACTOR * person_bytes:
            filename = f"bench-baseline-{re.sub(r'[^a-z0-9]+', '-', name)}.html"
            write_baseline(response.content, filename)
            found[name] = f"/static/{filename}"
    return found


def etag_hits(port: int, path: str, tries: int = 10) -> tuple[str | None, int]:
    """The page's ETag and how many of ``tries`` revalidations with it answer 304."""
    status, headers, _ = get(port, path)
    etag = headers.get("etag")
    if status != 200 or not etag:
        return etag, 0
    hits = sum(get(port, path, {"If-None-Match": etag})[0] == 304 for _ in range(tries))
    return etag, hits


def cache_hits(port: int, path: str, tries: int = 10) -> int:
    """How many of ``tries`` requests for the page the server answers from its page cache.

    Each worker keeps its own cache and fills it on its first request for the page: first eight
    requests at once, so that every worker has served the page before the probes.
    """
    threads = [threading.Thread(target=get, args=(port, path)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(get(port, path)[1].get("x-cache") == "HIT" for _ in range(tries))


class Pass:
    """One gunicorn, its own static baseline, and a load function for its URLs."""

    def __init__(self, server: Gunicorn, *, wrk: str | None, seconds: int, connections: int, profile: bool):
        self.server, self.wrk, self.seconds, self.connections, self.profile = server, wrk, seconds, connections, profile
        self.base: float | None = None

    def load(self, url: str, headers: dict | None = None, name: str = "") -> dict:
        server, seconds, spy = self.server, self.seconds, None
        if self.profile and name and server.worker_pids() and seconds >= 4:
            output = env.VAR / "profiles" / f"{re.sub(r'[^a-z0-9]+', '-', name)}.txt"
            output.parent.mkdir(exist_ok=True)
            spy = profile_worker(server.worker_pids()[0], seconds - 2, output)
        if self.wrk:
            result = run_wrk(self.wrk, url, seconds=seconds, connections=self.connections, headers=headers)
        else:
            result = run_python_client(url, seconds=seconds, connections=self.connections, headers=headers)
        if not server.drain():
            # A page slower than the load's timeout leaves up to `connections` requests queued
            # behind two workers: minutes of work nobody waits for. Start afresh instead.
            server.restart()
            result["restarted_after"] = True
        if spy:
            spy.wait(timeout=60)
            if output.exists():
                result["profile"] = layer_shares(output.read_text())
                result["profile_file"] = str(output.relative_to(env.BASE_DIR))
        return result

    def warm(self, pages: dict[str, str]) -> None:
        """Both workers: templates, translations, connections (and, when on, the page cache)."""
        for path in pages.values():
            started = time.monotonic()
            get(self.server.port, path)
            if time.monotonic() - started < 0.5:
                for _ in range(3):
                    get(self.server.port, path)

    def baseline(self, size: int, variant: str, table: Table) -> dict:
        static = self.load(self.server.url(f"/static/{BASELINE}"))
        static.update(page="static baseline", url=f"/static/{BASELINE}", bytes=size, variant="static",
                      static_for=variant)  # fmt: skip
        self.base = static["rps"] or None
        table.row("static baseline", static["rps"], static["p50_ms"], static["p99_ms"], static["errors"], "100%")
        return static

    def ratio(self, rps: float) -> float | None:
        return round(rps / self.base, 3) if self.base else None


def _page_rows(run: Pass, pages: dict[str, str], variant: str, table: Table, target: float,
               own: dict[str, str]) -> list[dict]:  # fmt: skip
    """Load every page; ``variant`` "uncached" (page cache off) or "cached" (page cache on)."""
    rows = []
    for name, path in pages.items():
        base = None
        if name in own:
            static = run.load(run.server.url(own[name]))
            base = static["rps"] or None
            table.row(f"static, {name}'s size", static["rps"], static["p50_ms"], static["p99_ms"], static["errors"],
                      "100%")  # fmt: skip
        status, headers, body = get(run.server.port, path)
        row = {"page": name, "url": path, "variant": variant, "status": status, "bytes": len(body)}
        if status != 200:
            row.update(rps=None, errors=None)
            rows.append(row)
            table.row(name, f"status {status}")
            continue
        hits = cache_hits(run.server.port, path) if variant == "cached" else None
        row["cache_hits"] = hits
        row.update(run.load(run.server.url(path), name=f"{name} {variant}"))
        row["ratio"] = run.ratio(row["rps"])
        if base:  # compared with a static file of its own size
            row.update(ratio_to_person_size=row["ratio"], static_same_size_rps=base, ratio=round(row["rps"] / base, 3))
        ok_ratio = row["ratio"] >= target if row["ratio"] is not None else None
        ok_p99 = row["p99_ms"] < TARGETS["page_p99_ms"] if row["p99_ms"] is not None else False
        rows.append(row)
        table.row(
            name, row["rps"], row["p50_ms"], row["p99_ms"], row["errors"],
            f"{row['ratio']:.0%}" if row["ratio"] is not None else "-",
            verdict(ok_ratio), verdict(ok_p99), verdict(row["errors"] == 0),
            f"{hits}/10" if hits is not None else "",
        )  # fmt: skip
        if row.get("profile"):
            shares = ", ".join(f"{k} {v:.0%}" for k, v in list(row["profile"].items())[:4])
            print(f"{'':24}worker time: {shares}", flush=True)
    return rows


def _revalidation_rows(run: Pass, pages: dict[str, str]) -> list[dict]:
    """Load every page sending its ETag in ``If-None-Match`` (answered with 304)."""
    rows = []
    table = Table(
        "Revalidation under load (If-None-Match with the page's ETag; 304 share from 10 probes)",
        [("page", 22), ("req/s", 8), ("p50 ms", 8), ("p99 ms", 8), ("errors", 6), ("of static", 9),
         ("304s", 5), ("ratio", 5)],
    )  # fmt: skip
    for name, path in pages.items():
        etag, hits = etag_hits(run.server.port, path)
        if not etag:
            rows.append({"page": name, "url": path, "variant": "revalidated", "etag": None})
            table.row(name, "no ETag")
            continue
        row = {"page": name, "url": path, "variant": "revalidated", "etag_304_share": hits / 10}
        row.update(run.load(run.server.url(path), {"If-None-Match": etag}))
        row["ratio"] = run.ratio(row["rps"])
        rows.append(row)
        table.row(
            name, row["rps"], row["p50_ms"], row["p99_ms"], row["errors"], f"{row['ratio']:.0%}",
            f"{hits}/10", verdict(row["ratio"] >= TARGETS["page_ratio_cached"]),
        )  # fmt: skip
    return rows


def measure(pages: dict[str, str], environment: dict[str, str], *, seconds: int, connections: int,
            conditional: bool = True, profile: bool = False, log=print) -> list[dict]:  # fmt: skip
    """Load the static baseline and every page, first with the page cache off (every request
    renders the page), then on, as deployed (a repeated request comes from the page cache), then
    revalidating with the ETag; one row per URL and pass."""
    from django.test import Client

    person = Client().get(pages["person"])
    if person.status_code != 200:
        raise RuntimeError(f"the person page answered {person.status_code}")
    write_baseline(person.content)
    own = own_baselines(pages, len(person.content))
    wrk = ensure_wrk(log)
    tool = "wrk" if wrk else "python client"
    columns = [("page", 22), ("req/s", 8), ("p50 ms", 8), ("p99 ms", 8), ("errors", 6), ("of static", 9),
               ("ratio", 5), ("p99", 5), ("errs", 5), ("hits", 5)]  # fmt: skip

    titles = {
        "uncached": f"Pages under load, uncached: the page cache off, every request renders ({tool}, {connections} "
        f"connections, {seconds} s each; gunicorn 2 sync workers, production settings, 127.0.0.1:{{port}})",
        "cached": "Pages under load, cached: the page cache on, as deployed (hits: how many of 10 probes the "
        "page cache answered)",
    }
    rows = []
    for variant, title in titles.items():
        with Gunicorn(env.served(environment, page_cache=variant == "cached")) as server:
            run = Pass(server, wrk=wrk, seconds=seconds, connections=connections, profile=profile)
            table = Table(title.format(port=server.port), columns)
            run.warm(pages)
            rows.append(run.baseline(len(person.content), variant, table))
            rows += _page_rows(run, pages, variant, table, TARGETS[f"page_ratio_{variant}"], own)
            if variant == "cached" and conditional:
                rows += _revalidation_rows(run, pages)
    return rows
