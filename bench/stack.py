"""Anniversary day: a realistic mix of public pages under load, with and without an Editor saving a
record every 2 seconds, on one gunicorn and on the whole stack (nginx -> two gunicorns, Redis,
a streaming replica), side by side in one run; then faults during the stack's run.

The mix: home pages, registry pages, person pages from a long tail of (up to) 10,000 people,
name searches and the statistics, chosen at random by wrk for every request. Every save moves the
registry generation, so every page renders again: the writer is what the caches must absorb.
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

from bench import env
from bench.load import Gunicorn, ensure_wrk, parse_wrk
from bench.report import Table

WRITE_EVERY = 2.0
MIX_SCRIPT = """
local paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
"""


def mix_paths(count: int = 2000) -> list[str]:
    from victims.models import Victim

    people = list(Victim.objects.published().order_by("?").values_list("slug", "family_name")[:10_000])
    rng = random.Random(20)
    last_page = max(1, min(20, Victim.objects.published().count() // 60))
    paths: list[str] = []
    for _ in range(count):
        kind = rng.random()
        if kind < 0.10:
            paths.append(rng.choice(["/en/", "/az/", "/ru/"]))
        elif kind < 0.30:
            paths.append(f"/en/victims/?page={rng.randint(1, last_page)}")
        elif kind < 0.80 and people:
            slug, _ = rng.choice(people)
            paths.append(rng.choice(["/en/victims/", "/az/qurbanlar/", "/ru/zhertvy/"]) + f"{slug}/")
        elif kind < 0.95 and people:
            _, family = rng.choice(people)
            paths.append("/en/victims/?q=" + quote(family[:-1] if rng.random() < 0.3 else family))
        else:
            paths.append("/en/statistics/")
    return paths


class Writer(threading.Thread):
    """An Editor saving a record every ``WRITE_EVERY`` seconds (through the ORM, as the admin does)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop_event, self.saves, self.failures = threading.Event(), 0, 0

    def run(self):
        from django.db import connections

        from victims.models import Victim

        ids = list(Victim.objects.published().values_list("pk", flat=True)[:500])
        while not self.stop_event.wait(WRITE_EVERY):
            try:
                person = Victim.objects.get(pk=random.choice(ids))
                person.occupation_en = f"synthetic edit {self.saves}"
                person.save()
                self.saves += 1
            except Exception:  # the fault runs stop PostgreSQL: count it and go on
                self.failures += 1
                connections.close_all()
        connections.close_all()


def run_mix(wrk: str, base: str, paths_file: Path, script: Path, *, seconds: int, connections: int,
            writer: bool, during=None) -> dict:  # fmt: skip
    saver = Writer() if writer else None
    if saver:
        saver.start()
    timer = threading.Timer(seconds / 3, during) if during else None
    if timer:
        timer.start()
    args = [wrk, "--latency", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "-s", str(script),
            base, "--", str(paths_file)]  # fmt: skip
    output = subprocess.run(args, capture_output=True, text=True, check=False, timeout=seconds + 60).stdout
    if timer:
        timer.join()
    if saver:
        saver.stop_event.set()
        saver.join(10)
    result = parse_wrk(output)
    result["saves"] = saver.saves if saver else 0
    return result


def measure(environment: dict[str, str], *, seconds: int = 60, connections: int = 64, log=print) -> list[dict]:
    from stack import __main__ as stack_main
    from stack import replica as replicas
    from stack import servers

    wrk = ensure_wrk(log)
    if not wrk:
        log("wrk is missing: the stack section needs it")
        return []
    work = Path(tempfile.mkdtemp(prefix="bench-stack-"))
    paths_file, script = work / "paths.txt", work / "mix.lua"
    paths_file.write_text("\n".join(mix_paths()) + "\n")
    script.write_text(MIX_SCRIPT)
    rows: list[dict] = []
    table = Table("Anniversary day (mix of pages, 64 connections)",
                  [("setup", 14), ("writer", 7), ("req/s", 8), ("p50 ms", 8), ("p99 ms", 8), ("errors", 7), ("saves", 6)])  # fmt: skip

    def record(setup: str, writer: bool, result: dict) -> None:
        row = {"setup": setup, "writer": writer, **result}
        rows.append(row)
        table.row(setup, "yes" if writer else "no", result["rps"], result["p50_ms"], result["p99_ms"],
                  result["errors"], result["saves"])  # fmt: skip

    log("Anniversary day: one gunicorn (two workers), page cache in its memory")
    with Gunicorn(env.served(environment), workers=2, log=env.VAR / "stack-single.log", ready_path="/healthz") as one:
        for writer in (False, True):
            record("single server", writer, run_mix(wrk, f"http://127.0.0.1:{one.port}", paths_file, script,
                                                     seconds=seconds, connections=connections, writer=writer))  # fmt: skip

    log("Anniversary day: nginx -> two gunicorns, Redis, the streaming replica, S3")
    folder, ports = servers.Folder(env.VAR / "stack"), servers.Ports.free()
    database = environment["DATABASE_URL"].rsplit("/", 1)[-1]
    stack_main.up(folder, ports, database=database, log=log)
    base = f"http://127.0.0.1:{ports.nginx}"
    try:
        for writer in (False, True):
            record("stack", writer, run_mix(wrk, base, paths_file, script, seconds=seconds,
                                            connections=connections, writer=writer))  # fmt: skip

        def localdb():
            return stack_main._localdb()

        faults = {
            "kill an app server": lambda: folder.stop("app1", 9),
            "restart Redis": lambda: (folder.stop("redis"), time.sleep(2), servers.start_redis(folder, ports.redis)),
            "restart replica": lambda: (replicas.stop(replicas.Replica(folder.root / "replica")), time.sleep(2),
                                        replicas.start(replicas.Replica(folder.root / "replica"))),
            "restart PostgreSQL": lambda: (localdb().stop(), time.sleep(3), localdb().start(quiet=True)),
        }  # fmt: skip
        for name, fault in faults.items():
            log(f"Fault during the run: {name}")
            record(f"fault: {name}", True, run_mix(wrk, base, paths_file, script, seconds=max(15, seconds // 4),
                                                   connections=connections, writer=True, during=fault))  # fmt: skip
            if name == "kill an app server":
                servers.start_gunicorn(folder, "app1", ports.apps[0], stack_main.environment(
                    folder, ports, database_url=environment["DATABASE_URL"],
                    replica_url=replicas.Replica(folder.root / "replica").database_url(database),
                    s3_endpoint=f"http://127.0.0.1:{ports.s3}", secret_key=(folder.root / "secret-key").read_text()))
    finally:
        stack_main.down(folder)
    return rows


def judge(rows: list[dict], results) -> None:
    by = {(r["setup"], r["writer"]): r for r in rows}
    for setup in ("single server", "stack"):
        calm, busy = by.get((setup, False)), by.get((setup, True))
        if not calm or not busy or not calm["rps"]:
            continue
        ratio = busy["rps"] / calm["rps"]
        tag = "anniversary day" if setup == "stack" else "anniversary day (single server, for comparison)"
        results.target(f"{tag}: throughput with a save every 2 s, of without", f"{ratio:.0%}", ">= 90%",
                       ratio >= 0.9 if setup == "stack" else None)  # fmt: skip
        if calm["p99_ms"] and busy["p99_ms"]:
            factor = busy["p99_ms"] / calm["p99_ms"]
            results.target(f"{tag}: p99 with the writer, of without", f"{factor:.1f}x ({busy['p99_ms']} ms)", "<= 2x",
                           factor <= 2 if setup == "stack" else None)  # fmt: skip
        results.target(f"{tag}: errors", busy["errors"] + calm["errors"], "0",
                       busy["errors"] + calm["errors"] == 0 if setup == "stack" else None)  # fmt: skip
    for row in rows:
        if row["setup"].startswith("fault:"):
            allowed = row["setup"].endswith("PostgreSQL")
            results.target(f"stack {row['setup']}", f"{row['errors']} errors of {row['requests']}",
                           "503 only while it is away" if allowed else "0 errors",
                           None if allowed else row["errors"] == 0)  # fmt: skip
