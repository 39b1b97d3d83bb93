"""Health checks for load balancers, outside the language prefix.

``/healthz``: the process answers (no database). ``/readyz``: the database answers and every
migration is applied; the migration check is cached for a few seconds so a busy balancer does
not rebuild the migration graph on every probe.
"""

from __future__ import annotations

import threading
import time

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from memorial.security import mark_database_unavailable

MIGRATIONS_CACHE_SECONDS = 10.0
_lock = threading.Lock()
_migrations_checked: dict[str, float | bool] = {"at": 0.0, "pending": True}


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def pending_migrations(alias: str = DEFAULT_DB_ALIAS) -> bool:
    """True when some migration is not applied (cached briefly)."""
    now = time.monotonic()
    with _lock:
        if now - float(_migrations_checked["at"]) < MIGRATIONS_CACHE_SECONDS and not _migrations_checked["pending"]:
            return False
    executor = MigrationExecutor(connections[alias])
    pending = bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    with _lock:
        _migrations_checked.update(at=now, pending=pending)
    return pending


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        pending = pending_migrations()
    except DatabaseError as error:
        mark_database_unavailable(request, error)
        return JsonResponse({"status": "unavailable", "database": False}, status=503)
    if pending:
        return JsonResponse({"status": "unavailable", "database": True, "migrations": "pending"}, status=503)
    return JsonResponse({"status": "ok", "database": True, "migrations": "applied"})
