"""The public API (/api/v1/): which of its URLs go under load beside the pages, and the full-set
cursor walk a reuser makes to fetch every published person (time, requests, memory).

The walk runs in-process (``django.test.Client``, production settings, the page cache off so that
every answer is computed): ``people?cursor=start&limit=100``, then each answer's ``meta.next``
until there is none. It is timed once, then walked again under ``tracemalloc`` for the Python
heap's high-water mark, which must not grow with the registry: each answer is built from one page
of rows, whatever the number of people.
"""

from __future__ import annotations

import json
import time
import tracemalloc

from django.conf import settings
from django.test import Client, override_settings

from bench import queries
from bench.report import Table

LIMIT = 100


def api_pages() -> dict[str, str]:
    """Name → URL of the API's answers measured under load: a people list and a person."""
    person = queries.showcase_person()
    return {"api people": f"/api/v1/people?limit={LIMIT}", "api person": f"/api/v1/people/{person.slug()}"}


def walk(client: Client) -> tuple[int, int]:
    """Fetch every published person by cursor; (people, requests)."""
    url, people, requests = f"/api/v1/people?cursor=start&limit={LIMIT}", 0, 0
    prefix = settings.SITE_URL.rstrip("/")
    while url:
        response = client.get(url)
        requests += 1
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        body = json.loads(response.content)
        people += len(body["data"])
        url = (body["meta"]["next"] or "").removeprefix(prefix)
    return people, requests


def measure(size: int, *, log=print) -> list[dict]:
    """The cursor walk over every published person at this size."""
    from victims.models import Victim

    table = Table(
        f"API: the full-set cursor walk at {size:,} people (in-process, limit {LIMIT}, page cache off)",
        [("people", 9), ("requests", 8), ("seconds", 8), ("people/s", 9), ("ms/request", 10), ("heap peak MB", 12)],
    )  # fmt: skip
    published = Victim.objects.published().count()
    with override_settings(API_RATE_LIMIT=10**9, PAGE_CACHE_ENABLED=False):
        client = Client()
        client.get(f"/api/v1/people?cursor=start&limit={LIMIT}")  # warm-up: translations, connection
        log(f"Walking {published:,} published people through the API by cursor (timed, then traced)")
        started = time.perf_counter()
        people, requests = walk(client)
        seconds = time.perf_counter() - started
        # Again under tracemalloc (which slows Python down, so not timed): the heap's high-water mark.
        tracemalloc.start()
        walk(client)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    row = {
        "size": size, "job": "api cursor walk", "people": people, "published": published, "requests": requests,
        "seconds": round(seconds, 2), "people_per_second": round(people / seconds) if seconds else None,
        "ms_per_request": round(1000 * seconds / requests, 2) if requests else None,
        "heap_peak_mb": round(peak / 2**20, 1),
    }  # fmt: skip
    table.row(people, requests, row["seconds"], row["people_per_second"], row["ms_per_request"], row["heap_peak_mb"])
    if people != published:
        raise RuntimeError(f"the walk returned {people} people of {published} published")
    return [row]
