"""Template helpers of the public site: translated texts with fallback, JSON-LD, ISO dates."""

from __future__ import annotations

import json

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

from memorial.partialdates import iso_partial_date
from memorial.translation_fallback import Translated, translated

register = template.Library()

# The same escapes as Django's json_script: the JSON can never close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def translate_field(obj, field: str, original: str = "") -> Translated:
    """``{% translate_field victim "biography" as biography %}``: text, language, is_fallback."""
    return translated(obj, field, original=original or None)


@register.filter
def jsonld(value) -> SafeString:
    """A value as JSON safe to place inside ``<script type="application/ld+json">``."""
    text = json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return mark_safe(text.translate(_JSON_ESCAPES))  # noqa: S308 - escaped above like json_script


@register.simple_tag
def iso_date(value, precision: str) -> str:
    """ISO 8601 reduced precision for ``<time datetime>``: "1990", "1990-01" or "1990-01-20"."""
    return iso_partial_date(value, precision)


@register.simple_tag
def rendition(photo, size: str) -> dict:
    """``{% rendition photo "card" as r %}``: r.webp, r.jpeg, r.width, r.height ("" when missing)."""
    if photo is None:
        return {}
    info = (photo.renditions or {}).get(size, {})
    return {
        "webp": photo.rendition_url(size, "webp"),
        "jpeg": photo.rendition_url(size, "jpeg"),
        "width": info.get("width", ""),
        "height": info.get("height", ""),
    }


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """The current page in every language: code, local name, and its URL in that language.

    The switcher is a list of plain links (the URLs carry the language), not a form: a public
    page holds no per-visitor CSRF token, so the same bytes serve every visitor and can be kept
    in the page cache.
    """
    request = context.get("request")
    current = translation.get_language()
    path = request.get_full_path() if request else "/"
    links = []
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        url = translate_url(path, code)
        if url == path and code != current:
            # A page that cannot be translated (a 404): offer that language's home page instead.
            with translation.override(code):
                url = reverse("home")
        links.append(
            {
                "code": code,
                "name_local": info["name_local"],
                "url": url,
                "is_current": code == current,
            }
        )
    return links
