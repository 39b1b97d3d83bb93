"""Export and import: rows per second and peak memory, each job in a fresh process.

Each export (CSV, JSON, XLSX, data package) and each import runs in its own Python process
through the project's management commands (``export_registry``, ``import_registry``; the
services of ``victims.exchange`` behind them), so that the process's peak resident memory
(``VmHWM``, the high-water mark of its resident set) is the job's own. The process's memory after Django has started is reported
too: the difference is what the job itself needed.

Imports are measured three times and never kept (each runs inside a transaction that is rolled
back): the unchanged CSV export read back (every row matched by UUID, nothing to change); the first
10,000 of the same rows as new people (no UUID, other generated names) with the duplicate gate
looking at every row (issue 19's figure); and all of them as new people confirmed at once, which
skips the gate's look-up (no verdict: kept to compare with earlier runs).
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench import env, generate
from bench.report import TARGETS, Table, verdict

FOLDER = env.VAR / "exchange"
EXPORTS = {"csv": "people.csv", "json": "registry.json", "xlsx": "registry.xlsx", "package": "registry-package.zip"}
NEW_PEOPLE_OFFSET = 50_000_000  # generated names for the "new rows" import, far from the registry's own


def available() -> str | None:
    """Why export/import cannot be measured, or None when the commands exist."""
    from django.core.management import get_commands

    commands = get_commands()
    missing = [name for name in ("export_registry", "import_registry") if name not in commands]
    return f"not available yet: no {' or '.join(missing)} command" if missing else None


def run_job(job: dict) -> dict:
    """Run one job in a child process (``python -m bench.exchange``); its JSON result."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.exchange", json.dumps(job)],
        cwd=env.BASE_DIR, capture_output=True, text=True, check=False, env=os.environ.copy(),
    )  # fmt: skip
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not lines:
        return {"error": (completed.stderr or completed.stdout).strip().splitlines()[-1:] or ["failed"]}
    return json.loads(lines[-1])


def new_people_csv(source: Path, target: Path) -> int:
    """The exported CSV as new people: no UUID or slug, other generated names, no variants."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = list(reader)
    for n, row in enumerate(rows):
        p = generate.person(NEW_PEOPLE_OFFSET + n)
        row.update(uuid="", slug="", family_name=p.family_name, given_name=p.given_name, display_name="")
        for column in header:
            if "variant" in column:
                row[column] = ""
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def measure(size: int, *, log=print) -> list[dict]:
    """Every export format and the two CSV imports at this size."""
    table = Table(
        f"Export and import at {size:,} people (each in its own process; peak MB = resident high-water mark)",
        [("job", 26), ("rows", 8), ("seconds", 8), ("rows/s", 8), ("peak MB", 8), ("job MB", 7), ("file MB", 8),
         ("target", 26), ("", 5)],
    )  # fmt: skip
    reason = available()
    if reason:
        table.row("export / import", reason)
        return [{"job": "export / import", "size": size, "error": reason}]
    FOLDER.mkdir(parents=True, exist_ok=True)
    rows = []

    def add(job: str, result: dict, target: str = "", ok: bool | None = None) -> None:
        row = {"job": job, "size": size, **result, "target": target, "verdict": verdict(ok)}
        rows.append(row)
        if "error" in result:
            table.row(job, "error: " + " ".join(result["error"])[:100])
            return
        table.row(
            job, result["rows"], result["seconds"], result["rows_per_second"], result["peak_mb"],
            result["job_mb"], result.get("file_mb"), target, verdict(ok),
        )  # fmt: skip

    for fmt, name in EXPORTS.items():
        result = run_job({"action": "export", "format": fmt, "output": str(FOLDER / name)})
        target, ok = "", None
        if fmt == "csv" and "error" not in result:
            projected = 100_000 / result["rows_per_second"] if result["rows_per_second"] else None
            result["projected_seconds_100k"] = round(projected, 1) if projected else None
            target = f"<{TARGETS['csv_export_seconds_100k']:.0f} s/100k ({projected:.1f}), <{TARGETS['csv_export_peak_mb']:.0f} MB"
            ok = bool(projected and projected < TARGETS["csv_export_seconds_100k"]) and (
                result["peak_mb"] < TARGETS["csv_export_peak_mb"]
            )
        add(f"export {fmt}", result, target, ok)

    csv_export = FOLDER / EXPORTS["csv"]
    if csv_export.exists():
        goal = f">={TARGETS['import_rows_per_second']:,.0f} rows/s"
        result = run_job({"action": "import", "path": str(csv_export)})
        add("import csv (unchanged)", result, goal, _fast(result))
        new = FOLDER / "new-people.csv"
        new_people_csv(csv_export, new)
        # Issue 19's figure: new people with the duplicate gate looking at every row. Every row is
        # confirmed by its number, so the gate looks each one up (and holds none back: all are written).
        sample = FOLDER / "new-people-gate.csv"
        count = _head(new, sample, GATE_SAMPLE)
        result = run_job({"action": "import", "path": str(sample), "confirm_rows": count})
        add(f"import csv (new people, gate looking at every row, {count:,})", result, goal, _fast(result))
        # Kept for comparison with earlier runs, without a verdict: confirming every row at once skips
        # the gate's look-up, so this is not the import the issue asks for.
        result = run_job({"action": "import", "path": str(new), "confirm_duplicates": True})
        add("import csv (new people, gate skipped)", result)
    return rows


GATE_SAMPLE = 10_000  # rows of the "gate looking" import, of the new-people file's 94,000 at 100,000


def _head(source: Path, target: Path, rows: int) -> int:
    """The header and the first ``rows`` rows of a CSV file; how many rows were written."""
    with source.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))[: rows + 1]
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    return len(lines) - 1


def _fast(result: dict) -> bool | None:
    if "error" in result:
        return None
    return result["rows_per_second"] >= TARGETS["import_rows_per_second"]


# --- The child process ---------------------------------------------------------------------------


def _rss_mb() -> float:
    """This process's peak resident memory in MB.

    ``VmHWM`` of /proc/self/status where there is one: Linux keeps ``ru_maxrss`` across
    ``fork`` + ``exec``, so a child of a big parent would report the parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class _Rollback(Exception):
    pass


def child(job: dict) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    connection.ensure_connection()
    baseline = _rss_mb()
    out = io.StringIO()
    started = time.perf_counter()
    if job["action"] == "export":
        call_command("export_registry", format=job["format"], output=job["output"], stdout=out, verbosity=1)
        seconds = time.perf_counter() - started
        text = out.getvalue()
        rows = int(text.split("Wrote ", 1)[1].split()[0]) if "Wrote " in text else None
        file_mb = round(Path(job["output"]).stat().st_size / 1024 / 1024, 1)
    else:
        with open(job["path"], encoding="utf-8-sig", newline="") as handle:
            rows = sum(1 for _ in csv.reader(handle)) - 1
        try:
            with transaction.atomic():
                confirm = job.get("confirm_duplicates", False)
                if job.get("confirm_rows"):  # every row by its number (the header is row 1)
                    confirm = list(range(2, job["confirm_rows"] + 2))
                call_command(
                    "import_registry", job["path"], confirm_duplicates=confirm, stdout=out, stderr=out, verbosity=1
                )  # fmt: skip
                seconds = time.perf_counter() - started
                raise _Rollback  # measured, never kept
        except _Rollback:
            pass
        file_mb = round(Path(job["path"]).stat().st_size / 1024 / 1024, 1)
    peak = _rss_mb()
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds) if rows and seconds else None,
        "peak_mb": peak,
        "baseline_mb": baseline,
        "job_mb": round(peak - baseline, 1),
        "file_mb": file_mb,
        "output": out.getvalue().strip().splitlines()[-1:] if out.getvalue().strip() else [],
    }


if __name__ == "__main__":
    print(json.dumps(child(json.loads(sys.argv[1]))))
