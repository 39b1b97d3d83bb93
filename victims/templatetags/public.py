"""Template helpers of the public site: translated texts with fallback, JSON-LD, ISO dates."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from html import escape
from urllib.parse import urlencode

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.urls import NoReverseMatch, translate_url
from django.utils import translation
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import get_language, gettext, ngettext

from common.partialdates import format_partial_date, iso_partial_date
from common.reversing import cached_reverse
from common.translation_fallback import Translated, translated
from common.translation_label import translation_labels as labels_of
from victims.links import slug_url_maker
from victims.pagedata import Row

register = template.Library()

# The same escapes as Django's json_script: the JSON can never close the <script> element.
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def translate_field(obj, field: str, original: str = "") -> Translated:
    """``{% translate_field victim "biography" as biography %}``: text, language, is_fallback."""
    return translated(obj, field, original=original or None)


@register.simple_tag(takes_context=True)
def translation_labels(context, records, field: str, fragment: str = "", original_date: str = "") -> list[dict]:
    """``{% translation_labels events "summary" as labels %}``: for texts shown in translation, the
    label (sentence, link text) and the address of this page in the original's language (at
    ``#fragment``). ``records`` is a record or a list of them; English pages of English texts get []."""
    if records is None:
        return []
    if not isinstance(records, list | tuple) and (hasattr(records, "_meta") or isinstance(records, Row)):
        records = [records]
    request = context.get("request")
    path = request.get_full_path() if request else "/"
    return [
        {
            "sentence": label.sentence,
            "link_text": label.link_text,
            "language": label.original_language,
            "url": translate_url(path, label.original_language) + (f"#{fragment}" if fragment else ""),
        }
        for label in labels_of(records, field, original_date=original_date)
    ]


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


def same_origin_path(path: str) -> str:
    """The request's path as a link that stays on this site. A path that begins with ``//`` (a
    request for ``//evil.example/en/``, or ``/%2F%2Fevil.example``) would be read by a browser as
    a protocol-relative URL to another host: its leading slashes become one."""
    return "/" + path.lstrip("/\\")


def translated_path(path: str, match, code: str) -> str:
    """``translate_url(path, code)`` for the request's own path: the URL pattern it resolved to is
    reversed in that language (the request was resolved once already; three more resolves were a
    tenth of a small page's time). The query string is kept; a path that did not resolve (a 404)
    goes through ``translate_url``."""
    if match is None or match.url_name is None:
        return translate_url(path, code)
    with translation.override(code):
        try:
            translated = cached_reverse(match.view_name, args=match.args, kwargs=match.kwargs)
        except NoReverseMatch:
            return path
    query = path.partition("?")[2]
    return f"{translated}?{query}" if query else translated


@register.simple_tag(takes_context=True)
def language_links(context) -> list[dict]:
    """The current page in every language: code, local name, and its URL in that language.

    The switcher is a list of plain links (the URLs carry the language), not a form: a public
    page holds no per-visitor CSRF token, so the same bytes serve every visitor and can be kept
    in the page cache.
    """
    request = context.get("request")
    current = translation.get_language()
    path = same_origin_path(request.get_full_path()) if request else "/"
    match = getattr(request, "resolver_match", None)
    links = []
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        url = translated_path(path, match, code)
        if url == path and code != current:
            # A page that cannot be translated (a 404): offer that language's home page instead.
            with translation.override(code):
                url = cached_reverse("home")
        links.append(
            {
                "code": code,
                "name_local": info["name_local"],
                "url": url,
                "is_current": code == current,
            }
        )
    return links


# --- The wall of names ------------------------------------------------------------------------
# A registry page shows 60 name cards. Through the template engine (an include per card) they took
# about 0.25 ms each, most of the page's time; written here they take a few microseconds.


def _escaped(value) -> str:
    """``conditional_escape(value)``, without its lazy-string wrapper for a plain ``str`` or ``int``."""
    kind = type(value)
    if kind is str:
        return escape(value)
    if kind is int:
        return str(value)
    return conditional_escape(value)


@register.simple_tag
def picture(photo, size: str, language: str = "", eager: bool = False) -> SafeString:
    """A photo rendition as ``<picture>`` (WebP with a JPEG fallback), its alternative text in the
    page's language or, marked with ``lang``, in the photo's original language. Lazy-loaded, except
    ``eager`` (the first photo of a person page: it is at the top and the page's largest image).
    Written with f-strings, every value escaped as ``format_html`` escapes it (``_escaped``): a
    card's photo took 36 µs through ``format_html`` and the storage's ``url()``, 7 µs now."""
    r = rendition(photo, size)
    if not (r.get("webp") or r.get("jpeg")):
        return mark_safe("")  # noqa: S308 - empty
    alt = translated(photo, "alt_text", original=language or None)
    source = f'\n  <source srcset="{_escaped(r["webp"])}" type="image/webp">' if r["webp"] else ""
    lang = f' lang="{_escaped(alt.language)}"' if alt.is_fallback else ""
    dimensions = f' width="{_escaped(r["width"])}" height="{_escaped(r["height"])}"' if r["width"] else ""
    loading = "" if eager else ' loading="lazy"'
    return mark_safe(  # noqa: S308 - escaped
        f'<picture>{source}\n  <img src="{_escaped(r["jpeg"] or r["webp"])}" alt="{_escaped(alt.text)}"'
        f'{lang}{dimensions}{loading} decoding="async">\n</picture>'
    )


@functools.lru_cache(maxsize=4096)
def _card_date(language: str | None, date, precision: str, age: int | None) -> str:
    """A card's date of death and age, in ``language`` (the active one): the same few hundred
    dates and ages recur on every page of the registry, each written out once per process."""
    when = f'<time datetime="{iso_partial_date(date, precision)}">{escape(format_partial_date(date, precision))}</time>'
    if age is not None:
        when += escape(" · " + ngettext("%(age)s year", "%(age)s years", age) % {"age": age})
    return f'<span class="name-card-date">{when}</span>'


# Written out anew after a setting changes (tests change the language settings and formats).
setting_changed.connect(lambda **kwargs: _card_date.cache_clear(), weak=False)


def victim_card(victim, url: Callable[[str], str]) -> str:
    """One name card as an ``<li>``; texts are escaped with ``html.escape`` (what Django's ``escape`` does)."""
    photos = getattr(victim, "primary_photos", None) or []
    photo = (
        f'<span class="name-card-photo">{picture(photos[0], "thumb", victim.original_language)}</span>'
        if photos
        else ""
    )
    date = _card_date(get_language(), victim.death_date, victim.death_precision, victim.age) if victim.death_date else ""
    return (
        f'<li class="name-card{" has-photo" if photos else ""}">\n  <a href="{escape(url(victim.slug))}">'
        f'\n    {photo}<span class="name-card-name">{escape(str(victim))}</span>\n    {date}\n  </a>\n</li>'
    )


@register.simple_tag
def victim_cards(victims) -> SafeString:
    """``{% victim_cards people %}``: the name cards of a wall (registry, event page, home)."""
    url = slug_url_maker("victims:victim_detail")
    return mark_safe("\n".join(victim_card(victim, url) for victim in victims))  # noqa: S308 - escaped


# Each <option> of a choices list, escaped, per language: (value, the tag up to "selected", the rest).
# Keyed by the list's identity (the list is held in the value, so that identity is never reused
# while kept): the registry form's choices are made once per list of places (victims.filters); a
# form that sets its choices per request gives a new list each time (ChoiceField's setter makes
# one), a miss. A choices list changed in place would not be seen: nothing here does that.
_written_options: dict[tuple[int, str | None], tuple[list, list[tuple[str, str, str]]]] = {}


def _option_parts(choices: list) -> list[tuple[str, str, str]]:
    key = (id(choices), get_language())
    kept = _written_options.get(key)
    if kept is not None:
        return kept[1]
    parts = [
        (str(value), f'\n  <option value="{escape(str(value))}"', f">{escape(str(label))}</option>")
        for value, label in choices
    ]
    if len(_written_options) >= 256:
        _written_options.clear()
    _written_options[key] = (choices, parts)
    return parts


setting_changed.connect(lambda **kwargs: _written_options.clear(), weak=False)


def _options(choices, current: str) -> str:
    if type(choices) is list:
        return "".join(
            f"{start} selected{end}" if value == current else start + end
            for value, start, end in _option_parts(choices)
        )
    return "".join(
        f'\n  <option value="{escape(str(key))}"{" selected" if str(key) == current else ""}>{escape(str(label))}</option>'
        for key, label in choices
    )


@register.simple_tag
def select_field(field) -> SafeString:
    """A filter's ``<select>`` as Django's Select widget writes it, without a template per option
    (the registry's six filters took 2 ms through the widget templates). Texts are escaped with
    ``html.escape`` (what Django's ``escape`` does)."""
    value = field.value()
    current = "" if value is None else str(value)
    return mark_safe(  # noqa: S308 - escaped
        f'<select name="{escape(field.html_name)}" id="{escape(field.id_for_label)}">'
        f"{_options(field.field.choices, current)}\n</select>"
    )


@register.simple_tag
def filter_fields(form, *skip: str) -> SafeString:
    """``{% filter_fields form "q" "letter" %}``: a label and a ``<select>`` per field of the form but
    those named, in a ``<div class="filter-field">`` each (a template loop over them cost as much as
    the rest of the form)."""
    return mark_safe(  # noqa: S308 - escaped
        "".join(
            f'\n        <div class="filter-field">\n          <label for="{escape(field.id_for_label)}">'
            f"{escape(str(field.label))}</label>\n          {select_field(field)}\n        </div>\n        "
            for field in form
            if field.name not in skip
        )
    )


@functools.lru_cache(maxsize=4096)
def _pair(key: str, value: str, encoding: str) -> str:
    """``key=value`` as ``urlencode`` writes it: the alphabet's 32 letters and the page numbers
    recur on every page, each encoded once per process."""
    return urlencode({key.encode(encoding): value.encode(encoding)})


def _query_strings(request, key: str, values, drop: tuple[str, ...] = ()) -> list[str]:
    """``{% querystring key=value %}`` for each of ``values`` (with ``drop`` removed), escaped, from
    one reading of the request's query: the parameter keeps its place, or comes last when new."""
    encoding = request.GET.encoding
    parts: list[str | None] = []  # None: where the parameter goes
    for name, items in request.GET.lists():
        if name == key:
            parts.append(None)
        elif name not in drop:
            parts.extend(urlencode({name.encode(encoding): str(item).encode(encoding)}) for item in items)
    if None not in parts:
        parts.append(None)
    links = []
    for value in values:
        pair = _pair(key, str(value), encoding)
        links.append(escape("?" + "&".join(pair if part is None else part for part in parts)))
    return links


@register.simple_tag(takes_context=True)
def alphabet_links(context, letters, current: str) -> SafeString:
    """The alphabet's links (``<li>`` each), as ``{% querystring letter=letter page=None %}`` writes them."""
    hrefs = _query_strings(context.request, "letter", letters, drop=("page",))
    return mark_safe(  # noqa: S308 - escaped
        "".join(
            f'<li><a href="{href}"{" aria-current=\"true\"" if letter == current else ""}>{escape(letter)}</a></li>'
            for letter, href in zip(letters, hrefs, strict=True)
        )
    )


@register.simple_tag(takes_context=True)
def page_links(context, page, page_range) -> SafeString:
    """The numbered links of the pagination, as ``{% querystring page=number %}`` writes them."""
    numbers = [number for number in page_range if isinstance(number, int)]
    hrefs = dict(zip(numbers, _query_strings(context.request, "page", numbers), strict=True))
    label = escape(gettext("Page"))
    items = []
    for number in page_range:
        if not isinstance(number, int):  # Paginator.ELLIPSIS
            items.append('\n      <li><span aria-hidden="true">…</span></li>\n      \n    ')
        elif number == page.number:
            items.append(
                f'\n      <li><a href="{hrefs[number]}" aria-current="page"><span class="visually-hidden">{label} </span>'
                f"{number}</a></li>\n      \n    "
            )
        else:
            items.append(
                f'\n      <li><a href="{hrefs[number]}"><span class="visually-hidden">{label} </span>{number}</a></li>\n    '
            )
    return mark_safe("".join(items))  # noqa: S308 - escaped


# --- The timeline --------------------------------------------------------------------------------


def timeline_item(event, day: bool, url: Callable[[str], str]) -> str:
    """One event of the timeline as an ``<li>``; ``day``: it sits under its day's heading (19–22
    January 1990), so it shows its time, not its date. Texts are escaped with ``html.escape``."""
    title = translated(event, "title")
    summary = translated(event, "summary")
    place = escape(str(event.place)) if event.place else ""
    if day:
        when = ""
        if event.start_time:
            clock = event.start_time.strftime("%H:%M")
            when = f'<time datetime="{event.start_date.isoformat()}T{clock}">{clock}</time>'
            place = f" · {place}" if place else ""
    else:
        when = (
            f'<time datetime="{iso_partial_date(event.start_date, event.start_precision)}">'
            f"{escape(event.start_display)}</time>"
        )
        if event.end_date:
            when += (
                f' – <time datetime="{iso_partial_date(event.end_date, event.end_precision)}">'
                f"{escape(event.end_display)}</time>"
            )
        place = f" · {place}" if place else ""
    heading = "h4" if day else "h3"
    text = (
        f'<p class="timeline-summary" lang="{escape(summary.language)}">{escape(summary.text)}</p>' if summary else ""
    )
    return (
        f'\n<li class="timeline-item">\n  <p class="timeline-when">{when}{place}</p>'
        f'\n  <{heading} class="timeline-title"><a href="{escape(url(event.slug))}" lang="{escape(title.language)}">'
        f"{escape(title.text)}</a></{heading}>\n  {text}\n</li>"
    )


@register.simple_tag
def timeline_items(events, day=None) -> SafeString:
    """``{% timeline_items section.events section.day %}``: the ``<li>`` of each event of a section.
    Through a template partial per event they took a third of the timeline's time."""
    url = slug_url_maker("victims:event_detail")
    return mark_safe("".join(timeline_item(event, bool(day), url) for event in events))  # noqa: S308 - escaped


# --- The statistics page's charts ---------------------------------------------------------------
# Five charts of up to 14 bars, each bar drawn in the SVG and listed in the table: through the template
# engine (a loop per chart, a filter per number) they took half of the page's time.


@register.simple_tag
def bar_chart(chart) -> SafeString:
    """``{% bar_chart chart %}``: a chart's SVG (hidden from assistive technology) and its table.

    Written with f-strings: every text is escaped with ``html.escape`` (what Django's ``escape`` does),
    every other value is a number of the chart's layout."""
    x, dy, height, value_x = (
        int(chart.bar_x),
        int(chart.text_dy),
        int(chart.bar_height),
        int(chart.bar_x + chart.BAR_AREA + 8),
    )
    bars, rows = [], []
    for bar in chart.bars:
        count = int(bar.count)
        filled = (
            f'<rect class="bar" x="{x}" y="4" width="{float(bar.length)}" height="{height}"></rect>' if count else ""
        )
        bars.append(
            f'\n        <g transform="translate(0 {int(bar.y)})">'
            f'\n          <text class="bar-label" x="0" y="{dy}">{escape(Truncator(bar.label).chars(26))}</text>'
            f'\n          <rect class="bar-track" x="{x}" y="4" width="{int(chart.BAR_AREA)}" height="{height}"></rect>'
            f"\n          {filled}"
            f'\n          <text class="bar-value" x="{value_x}" y="{dy}">{count}</text>'
            "\n        </g>"
        )
        rows.append(f'<tr><th scope="row">{escape(str(bar.label))}</th><td class="number">{count}</td></tr>')
    title, width, chart_height = escape(str(chart.title)), int(chart.WIDTH), int(chart.height)
    return mark_safe(  # noqa: S308 - texts escaped above, the rest are numbers
        f'<svg class="bar-chart" viewBox="0 0 {width} {chart_height}" width="{width}" height="{chart_height}" '
        f'aria-hidden="true" focusable="false" preserveAspectRatio="xMinYMin meet">{"".join(bars)}\n      </svg>'
        '\n      <table class="chart-table">'
        f'\n        <caption class="visually-hidden">{title}</caption>'
        f'\n        <thead><tr><th scope="col">{title}</th><th scope="col" class="number">{escape(gettext("People"))}</th></tr></thead>'
        f"\n        <tbody>\n          {''.join(rows)}\n        </tbody>"
        f'\n        <tfoot><tr><th scope="row">{escape(gettext("Total"))}</th><td class="number">{int(chart.total)}</td></tr></tfoot>'
        "\n      </table>"
    )
