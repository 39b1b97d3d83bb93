"""URLs of many records at once."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_MARK = "slug-url-marker"


def slug_url_maker(view_name: str) -> Callable[[str], str]:
    """``view_name``'s URL for any slug, in the active language, from a single ``reverse``.

    A list of records (a wall of name cards, a sitemap section) otherwise reverses once per record
    and language, which took most of its time.
    """
    pattern = reverse(view_name, kwargs={"slug": _MARK})
    return lambda slug: pattern.replace(_MARK, slug)
