"""Queries per public page at each size, and where a page's time goes (SQL or Python/templates).

Every public page is requested in-process (``django.test.Client``, production settings). The
number of SQL queries must not grow with the registry. Each page is also timed, with the time
spent in SQL (a ``connection.execute_wrapper``) and in rendering templates (the Django template
backend's ``render``, minus the SQL that runs inside it) taken apart, which says what to fix
when a page is slow under load.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager

from django.db import connection
from django.db.models import Count, Q
from django.template.backends.django import Template
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import translation

from bench import generate
from bench.report import Table, percentile


def showcase_person() -> generate.Person:
    """The first published person with a photo, two or more name variants and citations (same at every size)."""
    for index in range(10_000):
        p = generate.person(index)
        if p.fields["status"] == "published" and p.photo and len(p.variants) >= 2 and p.citations >= 2:
            return p
    raise LookupError("no showcase person among the first 10,000")


def busiest_event():
    """The published event linked to the most published people (the heaviest event page)."""
    from victims.models import Event

    return (
        Event.objects.published()
        .annotate(people=Count("victims", filter=Q(victims__status="published")))
        .order_by("-people", "start_date", "id")
        .first()
    )


def _reverse(name: str, **kwargs) -> str | None:
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def public_pages(size: int, language: str = "az") -> dict[str, str]:
    """Name → URL of every public page the benchmarks request, at this size of the registry."""
    from victims import views
    from victims.models import Victim

    per_page = getattr(views.VictimListView, "paginate_by", None) or 60
    published = Victim.objects.published().count()
    last_page = max(1, math.ceil(published / per_page))
    p = showcase_person()
    event = busiest_event()
    with translation.override(language):
        registry = reverse("victims:victim_list")
        pages = {
            "home": reverse("home"),
            "registry p1": registry,
            f"registry p{last_page}": f"{registry}?page={last_page}",
            "search": f"{registry}?q={generate.plain(p.family_name)}",
            "person": reverse("victims:victim_detail", kwargs={"slug": p.slug()}),
            "timeline": reverse("victims:event_list"),
            "event": reverse("victims:event_detail", kwargs={"slug": event.slug}) if event else None,
            "sources": _reverse("victims:source_list"),
            "statistics": _reverse("victims:statistics"),
            "about": _reverse("about"),
            # The people section, page 1 (600 URLs with their language alternates); sitemap.xml is the index.
            "sitemap": _reverse("django.contrib.sitemaps.views.sitemap", section="victims") or "/sitemap.xml",
        }
    return {name: url for name, url in pages.items() if url}


class Timer:
    """Adds up the time spent in SQL and in template rendering during a request."""

    def __init__(self):
        self.sql = 0.0
        self.render = 0.0
        self.sql_in_render = 0.0
        self.slowest = (0.0, "")
        self._rendering = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = time.perf_counter() - started
            self.sql += spent
            if spent > self.slowest[0]:
                self.slowest = (spent, sql)
            if self._rendering:
                self.sql_in_render += spent


@contextmanager
def timed(timer: Timer):
    original = Template.render

    def render(self, *args, **kwargs):
        timer._rendering += 1
        started = time.perf_counter()
        try:
            return original(self, *args, **kwargs)
        finally:
            timer._rendering -= 1
            if not timer._rendering:
                timer.render += time.perf_counter() - started

    Template.render = render
    try:
        with connection.execute_wrapper(timer):
            yield timer
    finally:
        Template.render = original


def profile_page(client: Client, url: str, *, budget: float = 3.0, at_least: int = 3, at_most: int = 15) -> dict:
    """Time a page in-process: p50 of the whole request, of its SQL and of its template rendering."""
    totals, sqls, renders, cpus, slowest = [], [], [], [], []
    started = time.perf_counter()
    size = 0
    # At least ``at_least`` samples within ``budget`` seconds; one is enough for a page slower than the budget.
    while len(totals) < at_most and (len(totals) < at_least or time.perf_counter() - started < budget):
        if totals and totals[0] > budget * 1000:
            break
        timer = Timer()
        with timed(timer):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(url)
            totals.append((time.perf_counter() - t0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        sqls.append(timer.sql * 1000)
        renders.append((timer.render - timer.sql_in_render) * 1000)
        slowest.append(timer.slowest)
        size = len(response.content)
    return {
        "ms": round(percentile(totals, 50), 2),
        "sql_ms": round(percentile(sqls, 50), 2),
        "render_ms": round(percentile(renders, 50), 2),
        # This process's CPU time (not PostgreSQL's): unlike the others, hardly changed by other work
        # on the machine, so it compares runs on a busy machine.
        "cpu_ms": round(percentile(cpus, 50), 2),
        "bytes": size,
        "samples": len(totals),
        # The request's slowest query (from the median request): what to look at first.
        "slowest_sql_ms": round(sorted(slowest)[len(slowest) // 2][0] * 1000, 2),
        "slowest_sql": " ".join(sorted(slowest)[len(slowest) // 2][1].split())[:300],
    }


def measure(size: int, *, budget: float = 3.0, log=print) -> list[dict]:
    """Queries and in-process time of every public page at this size."""
    client = Client()
    table = Table(
        f"Queries per page at {size:,} people (in-process, production settings)",
        [("page", 16), ("status", 6), ("queries", 7), ("ms p50", 8), ("SQL ms", 8), ("render ms", 9),
         ("other ms", 8), ("CPU ms", 7), ("KB", 7), ("slowest query", 44)],
    )  # fmt: skip
    rows = []
    for name, url in public_pages(size).items():
        client.get(url)  # warm-up: translations, templates, connection
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        row = {"size": size, "page": name, "url": url, "status": response.status_code,
               "queries": len(captured.captured_queries)}  # fmt: skip
        if response.status_code == 200:
            row.update(profile_page(client, url, budget=budget))
            row["other_ms"] = round(row["ms"] - row["sql_ms"] - row["render_ms"], 2)
        rows.append(row)
        table.row(
            name, str(row["status"]), row["queries"], row.get("ms"), row.get("sql_ms"), row.get("render_ms"),
            row.get("other_ms"), row.get("cpu_ms"), round(row.get("bytes", 0) / 1024, 1), slowest_label(row),
        )  # fmt: skip
    return rows


def slowest_label(row: dict) -> str:
    """ "12.3 ms SELECT DISTINCT "victims_place"…" for the table (the whole query is in the JSON)."""
    sql = row.get("slowest_sql", "")
    return f"{row['slowest_sql_ms']:.1f} ms {sql[:34]}…" if sql else ""


def constant(rows: list[dict]) -> dict[str, dict]:
    """Per page: the query count at each size and whether it stayed the same."""
    by_page: dict[str, dict[int, int]] = {}
    for row in rows:
        page = (
            "registry deep page"
            if row["page"].startswith("registry p") and row["page"] != "registry p1"
            else row["page"]
        )
        by_page.setdefault(page, {})[row["size"]] = row["queries"]
    return {page: {"counts": counts, "constant": len(set(counts.values())) == 1} for page, counts in by_page.items()}
