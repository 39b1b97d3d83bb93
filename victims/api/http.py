"""What every answer of the public API shares: a rate limit per address, CORS for reading from any
site, ETags on the registry's generation with conditional GET, ``Cache-Control`` a CDN may follow,
and the server-side cache of whole answers.

Answers carry nothing per visitor: the same URL in the same language gives the same bytes to
everyone until the registry changes, so they are kept in the ``pages`` cache (``X-Cache``).
"""

from __future__ import annotations

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache, caches
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_etags
from django.utils.module_loading import import_string
from django.utils.translation import get_supported_language_variant
from django.utils.translation.trans_real import parse_accept_lang_header

from victims.caching import PAGE_CACHE_ALIAS, registry_generation

API_PREFIX = "/api/"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Accept-Language, If-None-Match",
    "Access-Control-Expose-Headers": "ETag, Retry-After, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset",
    "Access-Control-Max-Age": "86400",
}
_NOT_STORED_HEADERS = {"set-cookie", "x-cache", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"}


def _codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def api_language(request: HttpRequest) -> str:
    """The answer's language: ``?lang=`` when it names one of the site's, else the best of
    ``Accept-Language``, else the site's default. Never a cookie: nothing per visitor."""
    wanted = request.GET.get("lang", "")
    if wanted in _codes():
        return wanted
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")[:255]):
        if code == "*":
            break
        try:
            return get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def error_response(status: int, errors: list[dict]) -> JsonResponse:
    """The API's errors: ``{"errors": [{"parameter": ..., "message": ...}]}``."""
    return JsonResponse({"errors": errors}, status=status, json_dumps_params={"ensure_ascii": False})


def client_address(request: HttpRequest) -> str:
    """The visitor's address as the site trusts it for sign-in lockouts (``AXES_CLIENT_IP_CALLABLE``:
    behind the site's proxy, the hop the proxy added), so both limits count the same address."""
    return import_string(settings.AXES_CLIENT_IP_CALLABLE)(request) or "unknown"


def _rate(request: HttpRequest) -> tuple[bool, int, int, int]:
    """Count this request against its address's window: (allowed, limit, remaining, seconds to reset).

    A fixed window in the default cache (shared between workers when that cache is): ``add`` then
    ``incr``, so concurrent requests never lose a count.
    """
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_WINDOW
    now = time.time()
    current = int(now // window)
    key = f"api-rate:{client_address(request)}:{current}"
    cache.add(key, 0, window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, window + 1)
        count = 1
    reset = max(1, math.ceil((current + 1) * window - now))
    return count <= limit, limit, max(0, limit - count), reset


def _fingerprint(request: HttpRequest, language: str) -> str:
    return hashlib.sha256(f"{registry_generation()}|{language}|{request.get_full_path()}".encode()).hexdigest()


class PublicApiMiddleware:
    """Everything under ``/api/``: rate limit first, then CORS, ETag/304, ``Cache-Control`` and
    the cache of answers. Placed right after WhiteNoise, so a cached answer or a 304 skips
    sessions, authentication and the view."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        # The host is checked before anything is answered, from the cache or not (a disallowed
        # Host header gets Django's 400, as everywhere else on the site).
        request.get_host()
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
        else:
            allowed, limit, remaining, reset = _rate(request)
            if allowed and request.method == "HEAD":
                # HEAD is GET without the body (the operations are declared for GET).
                request.method = "GET"
                try:
                    response = self._answer(request)
                finally:
                    request.method = "HEAD"
                if not response.streaming:
                    response.content = b""
            elif allowed:
                response = self._answer(request)
            else:
                message = "Too many requests from this address; wait and try again."
                response = error_response(429, [{"parameter": "", "message": message}])
                response["Retry-After"] = str(reset)
                response["Cache-Control"] = "no-store"
            response["X-RateLimit-Limit"] = str(limit)
            response["X-RateLimit-Remaining"] = str(remaining)
            response["X-RateLimit-Reset"] = str(reset)
        for name, value in CORS_HEADERS.items():
            response[name] = value
        return response

    def _answer(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = self.get_response(request)
            response["Cache-Control"] = "no-store"
            return response
        language = api_language(request)
        try:
            fingerprint = _fingerprint(request, language)
        except DatabaseError:
            return self.get_response(request)  # the database middleware answers with its 503 page
        etag = f'"{fingerprint[:32]}"'
        if etag in parse_etags(request.headers.get("If-None-Match", "")):
            # Revalidation: the ETag alone says nothing changed; neither the cache nor the view is read.
            response = HttpResponseNotModified()
            response["ETag"] = etag
            patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)
            patch_vary_headers(response, ["Accept-Language"])
            response["Content-Language"] = language
            return response
        key = f"api:{fingerprint}"
        pages = caches[PAGE_CACHE_ALIAS]
        entry = pages.get(key) if settings.PAGE_CACHE_ENABLED else None
        if entry is not None:
            status, headers, content = entry
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Cache"] = "HIT"
        else:
            response = self.get_response(request)
            if response.status_code in (200, 404):
                response["ETag"] = etag
                patch_cache_control(response, public=True, max_age=settings.API_CACHE_SECONDS)
                patch_vary_headers(response, ["Accept-Language"])
                if settings.PAGE_CACHE_ENABLED and self._storable(response):
                    headers = [(n, v) for n, v in response.items() if n.lower() not in _NOT_STORED_HEADERS]
                    pages.set(key, (response.status_code, headers, response.content), settings.PAGE_CACHE_SECONDS)
                    response["X-Cache"] = "MISS"
            else:
                response["Cache-Control"] = "no-store"
        response["Content-Language"] = language
        if response.status_code == 200:
            return get_conditional_response(request, etag=etag, response=response)
        return response

    @staticmethod
    def _storable(response: HttpResponse) -> bool:
        return (
            not response.streaming
            and not response.cookies
            and len(response.content) <= settings.PAGE_CACHE_MAX_ENTRY_BYTES
        )
