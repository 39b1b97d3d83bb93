"""The site's canonical origin and the absolute URLs built from it.

Every absolute URL the site writes (``rel="canonical"``, ``og:url``, JSON-LD, sitemaps, robots.txt,
feeds) starts with the configured ``SITE_URL``, never with the request's ``Host`` header: public
pages are kept in the page cache and served to everyone, so a forged ``Host`` must not be able to
write itself into them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings


def check_site_url(value: str, *, require_https: bool) -> str:
    """``value`` as an origin (``scheme://host[:port]``, no trailing slash); ValueError says why not."""
    value = value.strip().rstrip("/")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        raise ValueError(f"SITE_URL {value!r} is not a URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"SITE_URL {value!r} must be an origin such as https://memorial.example.org.")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"SITE_URL {value!r} must be an origin only: no path, query, fragment or user.")
    if require_https and parts.scheme != "https":
        raise ValueError(f"SITE_URL {value!r} must start with https:// in production.")
    return value


def site_origin() -> str:
    """``https://memorial.example.org``: the configured ``SITE_URL``."""
    return settings.SITE_URL


def absolute_url(path: str) -> str:
    """The absolute URL of a path of this site: ``/en/victims/x/`` → ``https://…/en/victims/x/``.

    Only a path of this site is accepted (it starts with one ``/``); anything else, such as a
    protocol-relative ``//elsewhere``, is a programming error.
    """
    if not path.startswith("/") or path.startswith("//") or path.startswith("/\\"):
        raise ValueError(f"not a path of this site: {path!r}")
    return site_origin() + path
