"""Conditional GET and the page cache for the public pages, keyed on the registry's *generation*.

The generation is one value that changes at every commit that changes anything a public page
shows: a deferred database trigger on every public table (migration 0007) gives the one row of
``RegistryGeneration`` a fresh value from a sequence while the transaction commits. It changes
with the commit, not when a row was written, so a withdrawal that commits after a newer edit
still moves it; it covers queryset ``.update()``, bulk imports, deletions and links too.
Reading it is one primary-key probe, also for a 304. Any change, publication or withdrawal gives
a new ETag, so a browser revalidating with ``If-None-Match`` never keeps a withdrawn record.

The public pages carry nothing per visitor (no CSRF token, no CSP nonce, no session), so the
rendered page is also kept on the server: :class:`PublicPageCacheMiddleware` answers a repeated
request for the same URL from the ``pages`` cache, under the page's fingerprint: the day, the
registry's generation (which includes the release) and the full URL. Each worker reads the
generation at most once per ``REGISTRY_GENERATION_TTL`` seconds (default 1 s), and at once after a
change it committed itself. So no server answers a page older than a commit for longer than the
TTL (plus the time of a request already being rendered when the commit happened).

Every derived value (counts, statistics, the sources page, the sitemap) is kept under the same
generation, read *before* the data, so a value is never stored under a generation newer than
its data.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError, connection, connections, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.views.decorators.http import condition

from common import replica, shortpath


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
        *[(base / package, ("*.py",)) for package in ("config", "memorial", "victims", "common")],
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

def _generation_sql() -> str:
    # The table name comes from model metadata and is quoted: nothing here comes from a request.
    table = connection.ops.quote_name(apps.get_model("victims", "RegistryGeneration")._meta.db_table)
    return f"SELECT value FROM {table} WHERE id = 1"  # noqa: S608


def _generation_value(using=None) -> int:
    with (connections[using] if using else connection).cursor() as cursor:
        cursor.execute(_generation_sql())
        row = cursor.fetchone()
    # No row only after the table was emptied by hand (or by a test's flush): the next commit
    # that changes the registry writes it again.
    return row[0] if row else 0


def _read_generation() -> str:
    value = _generation_value()  # always the primary's
    # With a read replica: public reads use it until the next read only if it has this commit too.
    replica.note_generation(value, lambda: _generation_value(replica.REPLICA))
    return hashlib.sha256(f"{RELEASE}|{value}".encode()).hexdigest()[:32]


class _Generation(threading.local):
    value: str | None = None
    read_at: float = 0.0


_generation = _Generation()


def registry_generation() -> str:
    """A fingerprint that changes whenever anything a public page shows changes (and on deploy).

    Read from the database at most once per ``REGISTRY_GENERATION_TTL`` seconds per thread;
    :func:`forget_generation` (called after every commit that changed public content in this
    process) makes the next call read it again.
    """
    ttl = settings.REGISTRY_GENERATION_TTL
    now = time.monotonic()
    if _generation.value is None or ttl <= 0 or now - _generation.read_at >= ttl:
        _generation.value = _read_generation()
        _generation.read_at = now
    return _generation.value


def forget_generation() -> None:
    _generation.value = None


def forget_generation_on_commit() -> None:
    """A change to public content in this process shows on its next request (and, inside a
    transaction, on the first one after the commit)."""
    transaction.on_commit(forget_generation)
    forget_generation()


def cached_per_generation[T](name: str, compute: Callable[[], T]) -> T:
    """``compute()``, cached per release, language and registry generation.

    Any change to the registry gives a new key. The generation is read *before* computing, so
    a value is never stored under a generation newer than its data.
    """
    key = f"victims:{name}:{get_language() or ''}:{registry_generation()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def page_fingerprint(request) -> str:
    """What a public page's bytes depend on: the day (the home page counts the years since 1990),
    the registry's generation (which includes the release) and the full URL (which carries the
    language). Both the page's ETag and its page cache key."""
    today = timezone.localdate().isoformat()
    return hashlib.sha256(f"{today}|{registry_generation()}|{request.get_full_path()}".encode()).hexdigest()


def public_etag(request, *args, **kwargs) -> str:
    return page_fingerprint(request)[:32]


def public_page(view):
    """Decorate a public view: ETag on the registry's generation; browsers revalidate every time;
    a successful answer may be kept in the page cache."""
    conditional = condition(etag_func=public_etag)(view)

    def wrapped(request, *args, **kwargs):
        response = conditional(request, *args, **kwargs)
        # The same bytes for every visitor, but always revalidated: a withdrawn record goes at once.
        patch_cache_control(response, no_cache=True)
        # No opener isolation on a page that is the same for every visitor: with
        # SECURE_CROSS_ORIGIN_OPENER_POLICY's "same-origin" a tab opened on about:blank (Lighthouse)
        # must commit the page in a new renderer process, and Chromium's trace then loses the
        # page's navigationStart now and then (NO_NAVSTART; docs/testing.md). The admin, staff
        # pages, sign-in and the visitors' forms keep "same-origin" (SecurityMiddleware's default).
        response.setdefault("Cross-Origin-Opener-Policy", "unsafe-none")
        response.page_cacheable = True
        return response

    wrapped.__name__ = getattr(view, "__name__", "public_page")
    wrapped.__doc__ = view.__doc__
    # Anonymous GETs of this view skip the per-visitor middleware (common.shortpath).
    return shortpath.mark_public(wrapped)


public_page_method = method_decorator(public_page, name="dispatch")


# --- The page cache -------------------------------------------------------------------------

PAGE_CACHE_ALIAS = "pages"


def _known_parameters() -> frozenset[str]:
    """The query parameters the public pages read: the registry's filters, its pages, the
    sitemap's pages. A request with any other parameter is answered without the cache, so that
    made-up parameters cannot fill it with copies of a page (or of a 3 MB sitemap section)."""
    from victims.filters import RegistryFilterForm

    return frozenset(RegistryFilterForm.base_fields) | {"page", "p"}


# Cookies that can change what a page shows, or mark a signed-in visitor: never from the cache.
_PERSONAL_COOKIES = ("messages",)
# A Content-Security-Policy header present here was set by the view itself (the CSP middleware runs
# outside this one), without a nonce: the embeddable pages' policy, kept with the page.
_NOT_STORED_HEADERS = {"set-cookie", "x-cache"}


class PublicPageCacheMiddleware:
    """Answer anonymous GET and HEAD requests for public pages from the ``pages`` cache.

    Placed right after WhiteNoise: a hit skips sessions, translation, authentication and the
    view, and costs one cache read (plus, once a second per worker, the generation query).
    Only answers of views decorated with :func:`public_page` are stored: status 200, no cookie
    set, at most ``PAGE_CACHE_MAX_ENTRY_BYTES``, and only for URLs whose query parameters are
    the ones the pages read. A hit still answers ``If-None-Match`` with 304. ``X-Cache`` says
    HIT or MISS.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # Only the public pages' paths are looked up: the language-prefixed pages and the sitemaps.
        self.prefixes = tuple(f"/{code}/" for code, _name in settings.LANGUAGES) + ("/sitemap",)
        self.parameters = _known_parameters()

    def _bypass(self, request) -> bool:
        if not settings.PAGE_CACHE_ENABLED or request.method not in ("GET", "HEAD"):
            return True
        if not request.path.startswith(self.prefixes):
            return True
        if any(name not in self.parameters for name in request.GET):
            return True
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or any(name in cookies for name in _PERSONAL_COOKIES):
            return True
        # A host that fails ALLOWED_HOSTS gets Django's 400, never a page from the cache. The page
        # itself does not depend on the host: its absolute URLs come from SITE_URL (common.siteurl).
        try:
            request.get_host()
        except DisallowedHost:
            return True
        return False

    def __call__(self, request):
        if self._bypass(request):
            return self.get_response(request)
        try:
            key = "page:" + page_fingerprint(request)
        except DatabaseError:
            return self.get_response(request)  # the database middleware answers with its 503 page
        pages = caches[PAGE_CACHE_ALIAS]
        entry = pages.get(key)
        if entry is not None:
            return self._from_entry(request, entry)
        response = self.get_response(request)
        if self._storable(response):
            headers = [(name, value) for name, value in response.items() if name.lower() not in _NOT_STORED_HEADERS]
            pages.set(key, (response.status_code, headers, response.content), settings.PAGE_CACHE_SECONDS)
            response["X-Cache"] = "MISS"
        return response

    @staticmethod
    def _storable(response) -> bool:
        # "Vary: Cookie" (the two-factor check looked at the session) does not matter here: only
        # requests without a session cookie get this far, and such a visitor has no session.
        # Pages larger than PAGE_CACHE_MAX_ENTRY_BYTES (sitemap sections of a large registry) are
        # not kept: a thousand of them would not fit in a worker's memory; they still get a 304.
        return (
            getattr(response, "page_cacheable", False)
            and response.status_code == 200
            and not response.streaming
            and not response.cookies
            and len(response.content) <= settings.PAGE_CACHE_MAX_ENTRY_BYTES
        )

    @staticmethod
    def _from_entry(request, entry) -> HttpResponse:
        status, headers, content = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["X-Cache"] = "HIT"
        conditional = get_conditional_response(request, etag=response.get("ETag"), response=response)
        return conditional
