"""The short path: public pages asked for by an anonymous visitor skip the per-visitor middleware.

A public page (a view marked with :func:`mark_public`, which ``victims.caching.public_page`` does)
carries nothing per visitor: the same bytes for everybody, no form that posts, no session. When
such a page is asked for with GET or HEAD by a visitor without a session or messages cookie, the
middleware that acts on a session, a signed-in user, a form, a second factor, a sign-in attempt or
a history author (``settings.PER_VISITOR_MIDDLEWARE``) has nothing to do, and costs a fifth of a
small page's time. :class:`PublicShortPathMiddleware` then runs the rest of ``MIDDLEWARE`` without
them.

The decision is made on the view the path resolves to, resolved exactly as Django's handler
resolves it (in the path's language, against the same URLconf), and that resolved view is the one
that runs: however a path is spelled, it reaches the short path only if it lands on a public view.
The admin, the staff pages, the contribution forms, sign-in and the API are not public views, so
they always take the full path with every protection.
"""

from __future__ import annotations

import contextlib

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.urls import Resolver404, get_resolver
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string

PUBLIC_VIEW = "memorial_public_view"
SHORT_PATH_MIDDLEWARE = "common.shortpath.PublicShortPathMiddleware"


def mark_public(view):
    """Mark a view as public: the same bytes for every visitor, nothing per visitor read or set."""
    setattr(view, PUBLIC_VIEW, True)
    return view


def is_public_view(view) -> bool:
    """A function view marked public, or a class-based view whose ``dispatch`` is (method_decorator
    copies the mark onto it)."""
    if getattr(view, PUBLIC_VIEW, False):
        return True
    view_class = getattr(view, "view_class", None)
    return bool(view_class is not None and getattr(getattr(view_class, "dispatch", None), PUBLIC_VIEW, False))


def personal_cookies() -> tuple[str, ...]:
    """Cookies that mark a visitor with a session (staff) or pending messages."""
    return (settings.SESSION_COOKIE_NAME, getattr(settings, "MESSAGE_COOKIE_NAME", "messages"))


class _ShortPathHandler(BaseHandler):
    """Django's handler over the middleware a public page still needs, for a request already resolved."""

    def __init__(self, middleware: list[str]):
        self.middleware = middleware
        self.load_middleware()

    def load_middleware(self, is_async: bool = False) -> None:
        """``BaseHandler.load_middleware`` for ``self.middleware`` (synchronous, as the site is served)."""
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(self.middleware):
            try:
                instance = import_string(path)(handler)
            except MiddlewareNotUsed:
                continue
            if instance is None:
                raise ImproperlyConfigured(f"Middleware factory {path} returned None.")
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def resolve_request(self, request):
        # Resolved by PublicShortPathMiddleware, from this request's path, and judged public.
        return request.resolver_match


class PublicShortPathMiddleware:
    """Send anonymous GET and HEAD requests for public views past the per-visitor middleware.

    Everything before this middleware in ``MIDDLEWARE`` (security headers, CSP, WhiteNoise, the
    page cache, ...) runs for every request; after it, a short-path request runs only the
    middleware not listed in ``PER_VISITOR_MIDDLEWARE``, in the same order. ``request.short_path``
    says which path a request took.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        after = settings.MIDDLEWARE[settings.MIDDLEWARE.index(SHORT_PATH_MIDDLEWARE) + 1 :]
        skipped = list(settings.PER_VISITOR_MIDDLEWARE)
        if stray := [path for path in skipped if path not in after]:
            raise ImproperlyConfigured(
                f"PER_VISITOR_MIDDLEWARE names middleware that does not follow {SHORT_PATH_MIDDLEWARE} "
                f"in MIDDLEWARE: {', '.join(stray)}"
            )
        self.handler = _ShortPathHandler([path for path in after if path not in skipped])

    def __call__(self, request):
        match = self._public_match(request)
        if match is None:
            request.short_path = False
            return self.get_response(request)
        request.short_path = True
        request.resolver_match = match
        response = self.handler._middleware_chain(request)
        # The answer to a visitor without a session: one with a session may get another (a curator
        # who has not entered a second factor is sent to do so), as the full path says too.
        patch_vary_headers(response, ("Cookie",))
        return response

    @staticmethod
    def _public_match(request):
        """The request's URL match if it takes the short path, else ``None``."""
        if request.method not in ("GET", "HEAD") or hasattr(request, "urlconf"):
            return None
        cookies = request.COOKIES
        if any(name in cookies for name in personal_cookies()):
            return None
        # As Django's handler will: the path in its own language (LocaleMiddleware activates it
        # before the view is resolved; i18n_patterns match only the active language's prefix).
        language = translation.get_language_from_path(request.path_info)
        with translation.override(language) if language else contextlib.nullcontext():
            try:
                match = get_resolver().resolve(request.path_info)
            except Resolver404:
                return None  # a 404 page is answered on the full path
        return match if is_public_view(match.func) else None
