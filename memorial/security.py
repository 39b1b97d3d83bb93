"""Middleware that keeps the memorial safe and calm: browser permissions, the two-factor gate
for staff, and a quiet 503 page while the database is away.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template import loader
from django.urls import reverse
from django.utils import translation

logger = logging.getLogger(__name__)

PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class PermissionsPolicyMiddleware:
    """Tell browsers that no page of the site may use the camera, microphone, location or payments."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def render_unavailable(request: HttpRequest | None = None) -> HttpResponse:
    """The calm 503 page. Renders without the database: no context processors, no queries."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    body = loader.get_template("503.html").render({"SITE_NAME": settings.SITE_NAME, "LANGUAGE_CODE": language})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = "30"
    response["Cache-Control"] = "no-store"
    return response


class HeadWithoutBodyMiddleware:
    """A HEAD answer carries the headers of the GET, never its body. Django leaves the body in
    (its development server drops it), and gunicorn warns once per HEAD request when it has to
    drop it itself. Outermost, so that ``Content-Length`` still says the GET's length."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method == "HEAD":
            if response.streaming:
                response.streaming_content = []  # the file stays open until response.close()
            else:
                response.content = b""
        return response


class DatabaseOutageLog:
    """Log a database outage once per interval, not once per request: while PostgreSQL is away a
    busy site answers thousands of 503s a minute. The first 503 is logged at once; the next line
    comes after ``DATABASE_OUTAGE_LOG_SECONDS`` (default 60) and says how many were not logged."""

    def __init__(self):
        self._lock = threading.Lock()
        self._logged_at: float | None = None
        self._unlogged = 0

    def report(self, path: str, error: Exception) -> None:
        interval = getattr(settings, "DATABASE_OUTAGE_LOG_SECONDS", 60)
        now = time.monotonic()
        with self._lock:
            if self._logged_at is not None and now - self._logged_at < interval:
                self._unlogged += 1
                return
            unlogged, self._unlogged, self._logged_at = self._unlogged, 0, now
        if unlogged:
            logger.error(
                "Database unavailable for %s: %s (and %d more requests answered 503 since the last report)",
                path, str(error).strip(), unlogged,
            )  # fmt: skip
        else:
            logger.error("Database unavailable for %s: %s", path, str(error).strip())

    def reset(self) -> None:
        with self._lock:
            self._logged_at, self._unlogged = None, 0


database_outage_log = DatabaseOutageLog()


def mark_database_unavailable(request: HttpRequest | None, error: Exception) -> None:
    """Report the outage (once per interval) and mark the request, so that Django's own
    "Service Unavailable" line for its 503 is left out (:class:`QuietDatabaseOutageFilter`)."""
    database_outage_log.report(getattr(request, "path", "?"), error)
    if request is not None:
        request.database_unavailable = True


class QuietDatabaseOutageFilter(logging.Filter):
    """On the ``django.request`` logger: drop the line for a 503 already reported as an outage."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        return not (getattr(record, "status_code", None) == 503 and getattr(request, "database_unavailable", False))


class DatabaseUnavailableMiddleware:
    """When PostgreSQL cannot be reached, answer 503 with a short explanation instead of a 500.

    The connection is dropped so that the next request opens a fresh one: with
    ``CONN_HEALTH_CHECKS`` on, the site recovers by itself once the database is back.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, (OperationalError, InterfaceError)):
            return self._unavailable(request, exception)
        return None

    @staticmethod
    def _unavailable(request: HttpRequest, error: Exception) -> HttpResponse:
        from django.db import connections

        mark_database_unavailable(request, error)
        for connection in connections.all(initialized_only=True):
            with contextlib.suppress(Exception):  # the connection is broken already
                connection.close()
        return render_unavailable(request)


def two_factor_required() -> bool:
    return getattr(settings, "MEMORIAL_REQUIRE_2FA", False)


class RequireTwoFactorMiddleware:
    """With ``MEMORIAL_REQUIRE_2FA`` on, a staff session that has not passed a second factor
    reaches nothing but the two-factor pages, logout, static files and the public health checks.

    Staff without a confirmed device are sent to enrol one; the others to enter a code.
    Must come after django_otp's ``OTPMiddleware`` (which sets ``user.is_verified``).
    """

    EXEMPT_PREFIXES = ("/static/", "/media/", "/healthz", "/readyz", "/i18n/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if two_factor_required() and not self._exempt(request.path):
            try:
                if self._needs_second_factor(request):
                    from django_otp import user_has_device

                    name = "two_factor_verify" if user_has_device(request.user) else "two_factor_setup"
                    return HttpResponseRedirect(reverse(name))
            except (OperationalError, InterfaceError) as error:  # reading the session's user needs the database
                return DatabaseUnavailableMiddleware._unavailable(request, error)
        return self.get_response(request)

    @staticmethod
    def _needs_second_factor(request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not (user.is_staff or user.is_superuser):
            return False
        return not user.is_verified()

    def _exempt(self, path: str) -> bool:
        allowed = (reverse("two_factor_setup"), reverse("two_factor_verify"), reverse("admin:logout"))
        return path in allowed or path.startswith(self.EXEMPT_PREFIXES)


def lockout_response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """The page django-axes shows once an account is locked for this address (HTTP 429)."""
    from django.shortcuts import render

    cooloff = getattr(settings, "AXES_COOLOFF_TIME", None)
    minutes = round(cooloff.total_seconds() / 60) if hasattr(cooloff, "total_seconds") else None
    return render(
        request,
        "memorial/lockout.html",
        {"cooloff_minutes": minutes},
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address for django-axes: the same one Django sees (memorial.proxies)."""
    from memorial.proxies import client_address

    return client_address(request.META)
