"""The duplicate gate of an import of new people: what it finds, compared with a reference, and
what it costs per row (``python -m bench.gate [--rows 5000] [--steps 2000]``, on the benchmark's
database, after ``make bench`` has filled it).

Two inputs of ``--rows`` rows each, built like the import builds its people (unsaved
:class:`~victims.models.Victim` objects): **new people** as in the bench's new-people file (other
generated names, the dates and places of death of the registry's own rows), and **near
duplicates** of people already in the registry (misspelt, Russian Cyrillic, Russian-Latin, typed
without Azerbaijani letters, misspelt Russian-Latin, the name as stored; a fifth of them with the
date of death moved by 1–10 days, a tenth without a date, a tenth with another place).

**Comparison**: each chunk of 1,000 goes through the gate
(:func:`victims.exchange.importing.duplicates.registry_duplicates`) and through the reference
statement below (the gate's statement as it was on 30 November, each row's candidates sorted by
similarity, then id, in Python); every row must get the same candidates in the same order, which
also says the same rows are held back.

**Cost**: PostgreSQL CPU (of the connection's backend, read from ``/proc``: the database must run on
this machine) and Python CPU per row of the gate; with ``--steps N``, an import of the first N new
people (rolled back) split into its steps: the gate, writing (``COPY`` and history) and the rest.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

from bench import env

REFERENCE_SQL = """
    SELECT k.idx, v.id, v.sim
    FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::date[], %s::bigint[]) AS k(idx, key, lo, hi, place)
    CROSS JOIN LATERAL (
        SELECT c.id, word_similarity(k.key, c.search_document) AS sim
        FROM victims_victim c
        WHERE c.search_document %%> k.key
          AND (k.lo IS NULL OR c.death_date IS NULL
               OR (c.death_date <= k.hi AND c.death_date + CASE c.death_precision
                   WHEN 'year' THEN 364 WHEN 'month' THEN 30 ELSE 0 END >= k.lo)
               OR (k.place IS NOT NULL AND c.place_of_death_id = k.place))
        ORDER BY sim DESC, c.id
        LIMIT 5
    ) v
"""
CHUNK = 1000
BENCH_FILE = env.VAR / "exchange" / "new-people.csv"


def new_people(rows: list[dict]) -> list:
    """The bench's new people (generated names far from the registry's own) with these rows' deaths."""
    from bench import exchange, generate
    from victims.models import Victim

    people = []
    for n, row in enumerate(rows):
        person = generate.person(exchange.NEW_PEOPLE_OFFSET + n)
        people.append(Victim(family_name=person.family_name, given_name=person.given_name,
                             death_date=row["death_date"], death_precision=row["death_precision"],
                             place_of_death_id=row["place_of_death_id"]))  # fmt: skip
    return people


def near_duplicates(rows: list[dict], places: list[int]) -> list:
    """People already in the registry, typed otherwise (see the module's text)."""
    from bench import generate
    from victims.models import Victim

    rng = random.Random(19)
    spellings = [
        lambda name: generate.misspell(name, rng),
        generate.cyrillic,
        generate.russian_latin,
        generate.plain,
        lambda name: generate.misspell(generate.russian_latin(name), rng),
        lambda name: name,
    ]
    people = []
    for n, row in enumerate(rows):
        name = spellings[n % len(spellings)](f"{row['family_name']} {row['given_name']}")
        family, _, given = name.partition(" ")
        death, precision, place = row["death_date"], row["death_precision"], row["place_of_death_id"]
        draw = rng.random()
        if draw < 0.2 and death and precision == "day":
            death += datetime.timedelta(days=rng.choice([-10, -3, -2, -1, 1, 2, 3]))
        elif draw < 0.3:
            death, precision = None, ""
        elif draw < 0.4:
            place = rng.choice([None, *places])
        people.append(Victim(family_name=family, given_name=given, death_date=death, death_precision=precision,
                             place_of_death_id=place))  # fmt: skip
    return people


def reference(people: list) -> dict[int, list[tuple[int, float]]]:
    """The reference statement's candidates of each row: (pk, similarity), nearest first, then by id."""
    from django.db import connection

    from victims.exchange.importing.duplicates import lookup_arguments

    args = lookup_arguments(people)  # the same inputs as the gate's: only the statements differ
    found: dict[int, list[tuple[int, float]]] = {}
    with connection.cursor() as cursor:
        cursor.execute(REFERENCE_SQL, args)
        for index, pk, similarity in cursor.fetchall():
            found.setdefault(index, []).append((pk, round(similarity, 2), similarity))
    return {index: [(pk, rounded) for pk, rounded, _s in sorted(rows, key=lambda r: (-r[2], r[0]))]
            for index, rows in found.items()}  # fmt: skip


class Clock:
    """Wall, Python CPU and PostgreSQL CPU (the connection's backend, from /proc) since the start."""

    def __init__(self) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.backend = Path(f"/proc/{cursor.fetchone()[0]}/stat")
        self.tick = os.sysconf("SC_CLK_TCK")
        self.start = self.now()

    def postgres(self) -> float | None:
        try:
            fields = self.backend.read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / self.tick

    def now(self) -> tuple:
        return time.perf_counter(), time.process_time(), self.postgres()

    def since(self, start: tuple | None = None) -> tuple:
        start = start or self.start
        now = self.now()
        return tuple(None if a is None or b is None else b - a for a, b in zip(start, now, strict=True))


def compare(name: str, people: list, sources: list[int] | None = None) -> dict:
    """The gate against the reference over ``people``, chunk by chunk; the gate's cost per row; with
    ``sources`` (the person each row was made from), how many rows have it among their candidates."""
    from victims.exchange.importing.duplicates import registry_duplicates

    differing, held, candidates, recalled = [], 0, 0, 0
    spent = [0.0, 0.0, 0.0]
    for first in range(0, len(people), CHUNK):
        chunk = people[first : first + CHUNK]
        clock = Clock()
        found = registry_duplicates(chunk, created_rows={})
        for i, value in enumerate(clock.since()):
            spent[i] += value or 0.0
        expected = reference(chunk)
        for index in range(len(chunk)):
            got = [(c.pk, c.similarity) for c in found.get(index, [])]
            if got != expected.get(index, []):
                differing.append(first + index)
            held += bool(got)
            candidates += len(got)
            recalled += bool(sources) and sources[first + index] in {pk for pk, _s in got}
    rows = len(people)
    result = {
        "input": name, "rows": rows, "held": held, "candidates": candidates, "differing": len(differing),
        "found_their_person": recalled if sources else None,
        "gate_ms_per_row": round(spent[0] / rows * 1000, 2), "python_cpu_ms_per_row": round(spent[1] / rows * 1000, 3),
        "postgres_cpu_ms_per_row": round(spent[2] / rows * 1000, 2),
    }  # fmt: skip
    print(f"{name}: {rows:,} rows, {held:,} would be held back ({candidates:,} candidates); "
          + (f"the person it was made from among them: {recalled:,}; " if sources else "")
          + f"differing from the reference: {len(differing)}{' ' + str(differing[:10]) if differing else ''}; "
          f"gate per row: {result['gate_ms_per_row']} ms wall, {result['python_cpu_ms_per_row']} ms Python CPU, "
          f"{result['postgres_cpu_ms_per_row']} ms PostgreSQL CPU")  # fmt: skip
    return result


def steps(rows: int, people_rows: list[dict]) -> None:
    """An import of ``rows`` new people with the gate looking at every row, rolled back, split into steps."""
    import csv
    import tempfile

    from django.db import transaction

    from bench import exchange
    from victims.exchange import imports
    from victims.exchange.columns import VICTIM_IMPORT_HEADER

    people = new_people(people_rows[:rows])
    spent: dict[str, list[float]] = {}

    def timed(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            start = clock.now()
            try:
                return original(*args, **kwargs)
            finally:
                for i, value in enumerate(clock.since(start)):
                    spent.setdefault(label, [0.0, 0.0, 0.0])[i] += value or 0.0

        setattr(owner, name, wrapper)
        undo.append((owner, name, original))

    with tempfile.NamedTemporaryFile("w", suffix=".csv", newline="", encoding="utf-8", delete=False) as handle:
        pass
    if BENCH_FILE.exists():  # the bench's own new-people file (make bench --only exchange writes it)
        rows = exchange._head(BENCH_FILE, Path(handle.name), rows)
    else:  # drafts (a published person needs a citation)
        with open(handle.name, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=VICTIM_IMPORT_HEADER)
            writer.writeheader()
            for person in people:
                writer.writerow({"family_name": person.family_name, "given_name": person.given_name,
                                 "category": "killed", "status": "draft",
                                 "death_date": person.death_date.isoformat() if person.death_date else ""})  # fmt: skip
    undo: list = []
    clock = Clock()
    timed(imports, "registry_duplicates", "gate: registry look-up")
    timed(imports, "write_creates", "writing: COPY and history")
    try:
        with transaction.atomic():
            start = clock.now()
            result = imports.registry_import(handle.name, confirm_duplicates=list(range(2, rows + 2)))
            total = clock.since(start)
            transaction.set_rollback(True)
    finally:
        for owner, name, original in undo:
            setattr(owner, name, original)
        Path(handle.name).unlink()
    if not result.ok:
        print("import failed:", result.problems[:3])
        return
    rest = [t - sum(s[i] for s in spent.values()) for i, t in enumerate(total)]
    source = "the bench's new-people file" if BENCH_FILE.exists() else "generated drafts"
    print(f"\nimport of {rows:,} new people ({source}), gate looking at every row: {total[0]:.2f} s = {rows / total[0]:.0f} rows/s"
          f" (load average {os.getloadavg()[0]:.1f})")  # fmt: skip
    print("| step | ms wall per row | Python CPU ms per row | PostgreSQL CPU ms per row |")
    print("| --- | ---: | ---: | ---: |")
    for label, values in [*spent.items(), ("the rest: parsing, matching, slugs", rest), ("whole import", total)]:
        print(f"| {label} | " + " | ".join(f"{v / rows * 1000:.3f}" for v in values) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000, help="rows of each input (default 5,000; 0: no comparison)")
    parser.add_argument("--steps", type=int, default=0, help="also time an import of this many new people")
    args = parser.parse_args(argv)
    os.environ.update(env.production_environment(env.database_url()))
    import django

    django.setup()
    from victims.models import Place, Victim

    rows = list(Victim.objects.order_by("id").values("id", "family_name", "given_name", "death_date", "death_precision",
                                                     "place_of_death_id")[: max(2 * args.rows, args.steps)])  # fmt: skip
    places = list(Place.objects.values_list("id", flat=True)[:5])
    print(f"{Victim.objects.count():,} people in the registry; load average {os.getloadavg()[0]:.1f}")
    results = []
    if args.rows:
        results = [compare("new people", new_people(rows[: args.rows])),
                   compare("near duplicates", near_duplicates(rows[args.rows :], places),
                           [row["id"] for row in rows[args.rows :]])]  # fmt: skip
    if args.steps:
        steps(args.steps, rows)
    return 1 if any(r["differing"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
