"""Conditional GET for the public pages, keyed on the registry's *generation*.

A page's ETag is derived from a fingerprint of everything the public pages show: which people
and events are published (count and sum of ids, so a withdrawal always changes it), when any
person or event was last changed, and the newest entry in every history table (sources, places,
citations, photos, figures, the statement). Any change, publication or withdrawal gives a new
ETag, so a browser revalidating with ``If-None-Match`` never keeps a withdrawn record. One
query per request; the rendered page itself is never cached on the server.
"""

from __future__ import annotations

import hashlib
import time

from django.apps import apps
from django.db import connection
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.http import condition

# Templates and code change on deploy: a restarted process never answers 304 to an old page.
_BOOT = str(time.time_ns())

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
    links = connection.ops.quote_name(apps.get_model("victims", "Event").victims.through._meta.db_table)
    parts = [
        f"(SELECT count(*) || ':' || coalesce(sum(id), 0) FROM {victim} WHERE status = 'published')",  # noqa: S608
        f"(SELECT max(updated_at)::text FROM {victim})",  # noqa: S608
        f"(SELECT count(*) || ':' || coalesce(sum(id), 0) FROM {event} WHERE status = 'published')",  # noqa: S608
        f"(SELECT max(updated_at)::text FROM {event})",  # noqa: S608
        # Links between events and people made in code (event.victims.add) leave no history row.
        f"(SELECT count(*) || ':' || coalesce(sum(id), 0) FROM {links})",  # noqa: S608
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


def public_etag(request, *args, **kwargs) -> str:
    # Today's date too: the home page counts the years since 1990.
    today = timezone.localdate().isoformat()
    key = "|".join([_BOOT, today, registry_generation(), get_language() or "", request.get_full_path()])
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
