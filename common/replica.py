"""Public reads from a streaming replica, when ``DATABASE_REPLICA_URL`` is set.

Writes, the admin, the staff pages and anything a signed-in person does go to the primary. An
anonymous GET of a public page reads from the replica, but only while the replica has replayed
every commit the page will be keyed on: each time a worker reads the registry generation from the
primary (``victims.caching``), it also reads the replica's copy of it; if they differ (the replica
lags) or the replica does not answer, the request reads from the primary. So a page is never
rendered from data older than the generation it is cached under, and replication lag can delay
nothing: a withdrawal leaves the public pages within the same bound as without a replica.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import threading
import time

REPLICA = "replica"
PRIMARY = "default"
REPLICA_IF_IN_SYNC = "replica-if-in-sync"  # a public request's reads: the replica while it is in sync
RETRY_SECONDS = 5.0  # after a failed connection, how long the primary takes all reads

logger = logging.getLogger("memorial.replica")
_reads_from: contextvars.ContextVar[str] = contextvars.ContextVar("memorial_reads_from", default=PRIMARY)


class _State(threading.local):
    in_sync = False
    down_until = 0.0


_state = _State()


def replica_configured() -> bool:
    from django.conf import settings

    return REPLICA in settings.DATABASES


def note_generation(primary_value, read_replica_value) -> None:
    """Called with the primary's generation value and a function that reads the replica's: decide
    whether this worker's public reads may use the replica until the generation is read again."""
    if not replica_configured():
        return
    now = time.monotonic()
    if now < _state.down_until:
        _state.in_sync = False
        return
    try:
        _state.in_sync = read_replica_value() == primary_value
    except Exception as error:  # any failure of the replica: the primary answers meanwhile
        replica_failed(error)


def replica_failed(error) -> None:
    """The replica did not answer: the primary takes every read for ``RETRY_SECONDS``."""
    from django.db import connections

    _state.in_sync, _state.down_until = False, time.monotonic() + RETRY_SECONDS
    logger.warning("Read replica unavailable (%s); public reads go to the primary", error)
    with contextlib.suppress(Exception):  # already broken; the next attempt reconnects
        connections[REPLICA].close()


def _replica_answers() -> bool:
    from django.db import connections

    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception as error:
        replica_failed(error)
        return False


def replica_in_sync() -> bool:
    return _state.in_sync


class ReplicaRouter:
    """Reads go where the request's middleware said (the replica for public pages while it is in
    sync); writes, and everything outside a public request, go to the primary."""

    def db_for_read(self, model, **hints):
        alias = _reads_from.get()
        if alias == REPLICA_IF_IN_SYNC:
            return REPLICA if _state.in_sync else PRIMARY
        return alias

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class PublicReadsFromReplicaMiddleware:
    """Marks anonymous GET and HEAD requests for public pages as readers of the replica. Place it
    before the page cache, so that the cache's generation read decides for the whole request."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.enabled = replica_configured()
        self.private_prefixes = ("/admin/", "/staff/", "/accounts/", "/healthz", "/readyz")
        self.session_cookie = settings.SESSION_COOKIE_NAME

    def __call__(self, request):
        if (
            not self.enabled
            or request.method not in ("GET", "HEAD")
            or request.path.startswith(self.private_prefixes)
            or self.session_cookie in request.COOKIES
        ):
            return self.get_response(request)
        token = _reads_from.set(REPLICA_IF_IN_SYNC)
        try:
            response = self.get_response(request)
        finally:
            _reads_from.reset(token)
        # A replica that went away in the middle of this request (the database middleware turned
        # the error into its 503 page): answer the same GET again from the primary.
        if response.status_code == 503 and _state.in_sync and not _replica_answers():
            response = self.get_response(request)
        return response

