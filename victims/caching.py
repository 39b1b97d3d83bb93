"""Conditional GET for the public pages, keyed on the registry's *generation*.

A page's ETag is derived from a fingerprint of everything the public pages show: when any person
or event was last changed (``updated_at``, stamped by a database trigger also for queryset
``.update()`` calls and for linking or unlinking people and events; see migration 0006), and the
newest entry in every history table (sources, places, citations, photos, figures, the statement;
a deletion leaves a history row too). Every part is a ``max()`` over an indexed column, so the
query is a handful of index probes whatever the registry's size, also for a 304. Any change,
publication or withdrawal gives a new ETag, so a browser revalidating with ``If-None-Match``
never keeps a withdrawn record. The rendered page itself is never cached on the server.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.http import condition


def _release() -> str:
    """What was deployed: the same in every worker process, different after a deploy.

    ``MEMORIAL_RELEASE`` when the deployment sets it; otherwise the newest modification time of
    the code, templates, translations and static files, which every worker reads alike.
    """
    if release := os.environ.get("MEMORIAL_RELEASE", "").strip():
        return release
    base = Path(settings.BASE_DIR)
    newest = 0
    for folder, patterns in (
        (base / "templates", ("*.html", "*.txt", "*.xml")),
        (base / "locale", ("*.mo",)),
        (base / "victims", ("*.py",)),
        (base / "memorial", ("*.py",)),
        (Path(settings.STATIC_ROOT), ("staticfiles.json",)),
    ):
        if not folder.is_dir():
            continue
        for pattern in patterns:
            for path in folder.rglob(pattern):
                try:
                    newest = max(newest, path.stat().st_mtime_ns)
                except OSError:
                    continue
    return str(newest)


# Templates and code change on deploy: a restarted service never answers 304 to an old page,
# and all its workers agree on the ETag (a per-process value halved the 304s with 2 workers).
RELEASE = _release()
CACHE_SECONDS = 24 * 60 * 60  # a new generation makes a new key; this only bounds stale entries

_HISTORY_MODELS = [
    ("memorial", "HistoricalStatement"),
    ("victims", "HistoricalVictim"),
    ("victims", "HistoricalEvent"),
    ("victims", "HistoricalNameVariant"),
    ("victims", "HistoricalPlace"),
    ("victims", "HistoricalSource"),
    ("victims", "HistoricalCitation"),
    ("victims", "HistoricalPhoto"),
    ("victims", "HistoricalReportedFigure"),
]


def _table(app_label: str, name: str) -> str:
    return connection.ops.quote_name(apps.get_model(app_label, name)._meta.db_table)


def _generation_sql() -> str:
    # Table names come from model metadata and are quoted: nothing here comes from a request.
    victim, event = _table("victims", "Victim"), _table("victims", "Event")
    parts = [
        f"(SELECT max(updated_at)::text FROM {victim})",  # noqa: S608
        f"(SELECT max(updated_at)::text FROM {event})",  # noqa: S608
    ]
    for app_label, name in _HISTORY_MODELS:
        try:
            table = _table(app_label, name)
        except LookupError:
            continue
        parts.append(f"(SELECT max(history_date)::text FROM {table})")  # noqa: S608
    return "SELECT " + ", ".join(parts)


def registry_generation() -> str:
    """A fingerprint that changes whenever anything a public page shows changes."""
    with connection.cursor() as cursor:
        cursor.execute(_generation_sql())
        row = cursor.fetchone()
    return "|".join("" if value is None else str(value) for value in row)


def cached_per_generation[T](name: str, compute: Callable[[], T]) -> T:
    """``compute()``, cached per release, language and registry generation.

    Any change to the registry gives a new key at once. The generation is read *before*
    computing, so a value is never stored under a generation newer than its data.
    """
    generation = hashlib.sha256(f"{RELEASE}|{registry_generation()}".encode()).hexdigest()[:32]
    key = f"victims:{name}:{get_language() or ''}:{generation}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def public_etag(request, *args, **kwargs) -> str:
    # Today's date too: the home page counts the years since 1990.
    today = timezone.localdate().isoformat()
    key = "|".join([RELEASE, today, registry_generation(), get_language() or "", request.get_full_path()])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def public_page(view):
    """Decorate a public view: ETag on the registry's generation; browsers revalidate every time."""
    conditional = condition(etag_func=public_etag)(view)

    def wrapped(request, *args, **kwargs):
        response = conditional(request, *args, **kwargs)
        # private: the page carries the visitor's CSRF token (the language switcher is a form).
        patch_cache_control(response, private=True, no_cache=True)
        return response

    wrapped.__name__ = getattr(view, "__name__", "public_page")
    wrapped.__doc__ = view.__doc__
    return wrapped


public_page_method = method_decorator(public_page, name="dispatch")
