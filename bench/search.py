"""Search as the registry grows: the site's search through its Django view, next to the bare SQL.

For each kind of query (the name as written, typed without Azerbaijani letters, in Russian
Cyrillic, with a typo, and a family name alone), queries are derived from generated people and
sent to the registry page (``?q=``) with ``django.test.Client``. The SQL each request issues is
captured and replayed with ``EXPLAIN (ANALYZE, FORMAT JSON)``: its execution time is the bare
database cost, the view's time divided by it the framework's overhead, and the plan says whether
the trigram GIN index (``victim_search_trgm``) serves the query.
"""

from __future__ import annotations

import json
import random
import statistics
import time

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation

from bench import generate
from bench.report import TARGETS, Table, percentile, verdict

GIN_INDEX = "victim_search_trgm"
KINDS = ["exact", "diacritic-free", "cyrillic", "misspelt", "family only"]


def query_for(kind: str, p: generate.Person) -> str:
    """The query a visitor looking for person ``p`` might type."""
    full = f"{p.given_name} {p.family_name}"
    if kind == "exact":
        return full
    if kind == "diacritic-free":
        return generate.plain(full)
    if kind == "cyrillic":
        return generate.cyrillic(full)
    if kind == "misspelt":
        return generate.misspell(full, random.Random(p.index))
    if kind == "family only":
        return p.family_name
    raise ValueError(kind)


def sample_people(size: int, count: int) -> list[generate.Person]:
    """``count`` published people spread over the first ``size`` (the same ones at every size for a prefix)."""
    rng = random.Random(size)
    people: list[generate.Person] = []
    seen: set[int] = set()
    while len(people) < count and len(seen) < size:
        index = rng.randrange(size)
        if index in seen:
            continue
        seen.add(index)
        p = generate.person(index)
        if p.fields["status"] == "published":
            people.append(p)
    return people


def registry_url(language: str = "az") -> str:
    with translation.override(language):
        return reverse("victims:victim_list")


def plan_uses_index(plan, index: str = GIN_INDEX) -> bool:
    """Whether an EXPLAIN (FORMAT JSON) plan scans ``index`` (bitmap or plain index scan)."""
    if isinstance(plan, list):
        return any(plan_uses_index(p, index) for p in plan)
    if isinstance(plan, dict):
        if plan.get("Index Name") == index and "Index" in plan.get("Node Type", ""):
            return True
        return any(plan_uses_index(v, index) for v in plan.values() if isinstance(v, (dict, list)))
    return False


def plan_nodes(plan) -> list[str]:
    """Node types of a plan, depth first ("Limit", "Sort", "Bitmap Heap Scan", ...)."""
    out: list[str] = []
    if isinstance(plan, list):
        for p in plan:
            out.extend(plan_nodes(p))
    elif isinstance(plan, dict):
        if "Node Type" in plan:
            name = plan["Node Type"]
            if plan.get("Index Name"):
                name += f" on {plan['Index Name']}"
            elif plan.get("Relation Name"):
                name += f" on {plan['Relation Name']}"
            out.append(name)
        for key in ("Plan", "Plans"):
            if key in plan:
                out.extend(plan_nodes(plan[key]))
    return out


def explain(queries: list[dict]) -> dict:
    """Replay captured SQL with EXPLAIN ANALYZE: total execution and planning time, index use, plans."""
    execution = planning = search_ms = 0.0
    uses_gin = False
    plans = []
    local: list[str] = []
    with connection.cursor() as cursor:
        for q in queries:
            sql = q["sql"].strip()
            head = sql.split(None, 1)[0].upper() if sql else ""
            if sql.upper().startswith("SET LOCAL"):
                # The view sets a similarity threshold for one query, in a transaction it rolls back,
                # or in the query's own round trip, "SET LOCAL …; SELECT …" (victims.views):
                # replayed the same way, for the next query only.
                setting, _, sql = sql.partition("; ")
                local.append(setting)
                if not sql.strip():
                    continue
                sql = sql.strip()
                head = sql.split(None, 1)[0].upper()
            if head == "SET":  # settings the view made shape the plan
                cursor.execute(sql)
                continue
            if head not in ("SELECT", "WITH"):
                continue
            with transaction.atomic():
                for setting in local:
                    cursor.execute(setting)
                local = []
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
                result = cursor.fetchone()[0]
                transaction.set_rollback(True)
            result = json.loads(result) if isinstance(result, str) else result
            top = result[0]
            execution += top.get("Execution Time", 0.0)
            planning += top.get("Planning Time", 0.0)
            touches_search = "search_document" in sql
            if touches_search:
                uses_gin = uses_gin or plan_uses_index(top)
                search_ms += top.get("Execution Time", 0.0)
            plans.append({
                "search": touches_search, "ms": round(top.get("Execution Time", 0.0), 2),
                "nodes": plan_nodes(top["Plan"])[:8], "sql": sql[:160],
            })  # fmt: skip
    return {"execution_ms": execution, "search_ms": search_ms, "planning_ms": planning, "uses_gin": uses_gin,
            "plans": plans}  # fmt: skip


def measure(size: int, *, per_kind: int = 40, explained: int = 5, log=print) -> list[dict]:
    """p50/p95 of the registry search for each kind of query, with the bare SQL time and index use.

    With the deployed generation TTL (1 s): a worker reads the registry's generation once a
    second, not for every request (the in-process sections otherwise read it every time, so that
    the queries section counts it).
    """
    from victims.caching import forget_generation

    forget_generation()
    with override_settings(REGISTRY_GENERATION_TTL=1.0):
        return _measure(size, per_kind=per_kind, explained=explained, log=log)


def _measure(size: int, *, per_kind: int, explained: int, log=print) -> list[dict]:
    client = Client()
    url = registry_url()
    people = sample_people(size, per_kind)
    for p in people[:3]:  # warm up: templates, translations, connection
        client.get(url, {"q": query_for("exact", p)})
    table = Table(
        f"Search at {size:,} people (in-process view, {len(people)} queries per kind)",
        [("kind", 15), ("p50 ms", 8), ("p95 ms", 8), ("SQL ms", 8), ("search", 7), ("overhead", 9), ("GIN", 4),
         ("found", 6),
         ("queries", 7), ("p95<30", 6), ("ovh<2", 6)],
    )  # fmt: skip
    rows = []
    for kind in KINDS:
        times, sql_times, search_times, sql_counts, plans = [], [], [], [], []
        uses_gin = None
        found = 0
        for n, p in enumerate(people):
            q = query_for(kind, p)
            # The queries of the timed request itself (capturing them costs microseconds).
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, {"q": q})
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"search {q!r} answered {response.status_code}")
            if p.slug() in response.content.decode():
                found += 1
            if n < explained:
                sql_counts.append(len(captured.captured_queries))
                e = explain(captured.captured_queries)
                sql_times.append(e["execution_ms"])
                search_times.append(e["search_ms"])
                uses_gin = bool(uses_gin) or e["uses_gin"]
                plans.append({"query": q, **e})
        p50, p95 = percentile(times, 50), percentile(times, 95)
        sql = statistics.median(sql_times) if sql_times else None
        overhead = p50 / sql if sql else None
        row = {
            "size": size,
            "kind": kind,
            "samples": len(times),
            "p50_ms": round(p50, 2),
            "p95_ms": round(p95, 2),
            "sql_ms": round(sql, 2) if sql is not None else None,
            # Of which the queries that search (the count and the page): the rest is the page's other SQL.
            "search_sql_ms": round(statistics.median(search_times), 2) if search_times else None,
            "overhead": round(overhead, 1) if overhead else None,
            "uses_gin": uses_gin,
            "found_on_first_page": None if kind == "family only" else round(found / len(people), 2),
            "queries_per_request": max(sql_counts) if sql_counts else None,
            "example_query": plans[0]["query"] if plans else "",
            "example_plan": plans[0]["plans"] if plans else [],
        }
        rows.append(row)
        table.row(
            kind, row["p50_ms"], row["p95_ms"], row["sql_ms"], row["search_sql_ms"], row["overhead"], uses_gin,
            "-" if row["found_on_first_page"] is None else f"{found}/{len(people)}", row["queries_per_request"],
            verdict(p95 < TARGETS["search_p95_ms"]), verdict(overhead < TARGETS["search_overhead"] if overhead else None),
        )  # fmt: skip
    return rows
