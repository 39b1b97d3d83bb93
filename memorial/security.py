"""Middleware that keeps the memorial safe and calm: browser permissions, the two-factor gate
for staff, and a quiet 503 page while the database is away.
"""

from __future__ import annotations

import contextlib
import logging

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

        logger.error("Database unavailable for %s: %s", request.path, error)
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
    """The visitor's address for django-axes. Behind the site's own TLS proxy
    (``DJANGO_BEHIND_PROXY``) every request comes from the proxy, which appends the real client to
    ``X-Forwarded-For``: take that last hop (earlier ones are whatever the client chose to send)."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")
