"""sitemap.xml (an index) and its sections: the public pages in every language, with hreflang alternates."""

from __future__ import annotations

import dataclasses
import datetime
from urllib.parse import urlsplit
from xml.sax.saxutils import escape, quoteattr

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import index, sitemap
from django.db.models import Max, QuerySet
from django.template.response import SimpleTemplateResponse
from django.urls import reverse
from django.utils import timezone, translation

from common.siteurl import absolute_url, site_origin
from victims.links import slug_url_maker
from victims.models import Event, Victim


class _PagedI18nItems:
    """(item, language) pairs of a queryset, for the paginator, without loading every row.

    Django's i18n sitemap builds the list of all pairs for every page (and for the index); this
    counts with one query and loads only the rows of the page asked for.
    """

    def __init__(self, queryset: QuerySet, languages: list[str]):
        self.queryset, self.languages = queryset, languages

    def count(self) -> int:
        return self.queryset.count() * len(self.languages)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[tuple]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("only slices of the pairs")
        start, stop = index.start or 0, index.stop
        per = len(self.languages)
        first = start // per
        rows = self.queryset[first:] if stop is None else self.queryset[first : -(-stop // per)]
        pairs = [(row, language) for row in rows for language in self.languages]
        offset = start - first * per
        return pairs[offset:] if stop is None else pairs[offset : offset + stop - start]


class _I18nSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    # URLs per page of a section (each language counts): about 600 bytes each with their
    # alternates, so a page stays under the page cache's 512 KB per entry and renders in ~20 ms.
    # The protocol allows 50,000 URLs a file and 50,000 files in the index (sitemap.xml).
    limit = 600
    # Records: their page's URL name, reversed once per language and request (slug_url_maker),
    # not once per URL and alternate (four reverses per URL took most of a section's time).
    detail_view: str | None = None

    # Every URL starts with the configured SITE_URL, never with the request's Host (common.siteurl).
    def get_protocol(self, protocol=None) -> str:
        return urlsplit(site_origin()).scheme

    def get_domain(self, site=None) -> str:
        return urlsplit(site_origin()).netloc

    def _location(self, item, force_lang_code=None):
        if self.detail_view is None:
            return super()._location(item, force_lang_code)
        record, lang_code = item
        language = force_lang_code or lang_code
        makers = self.__dict__.setdefault("_url_makers", {})
        if (url := makers.get(language)) is None:
            with translation.override(language):
                url = makers[language] = slug_url_maker(self.detail_view)
        return url(record.slug)

    def _urls(self, page, protocol, domain):
        # Django's x-default drops the default language's prefix, as if that language had none;
        # here every language has its prefix (/ only redirects), so that URL would be a 404.
        # x-default is the page in the default language, with its prefix.
        urls = super()._urls(page, protocol, domain)
        for url in urls:
            alternates = url.get("alternates") or []
            default = next((a["location"] for a in alternates if a["lang_code"] == settings.LANGUAGE_CODE), None)
            for alternate in alternates:
                if alternate["lang_code"] == "x-default" and default:
                    alternate["location"] = default
        return urls

    def _items(self):
        items = self.items()
        if isinstance(items, QuerySet):
            return _PagedI18nItems(items, self._languages())
        return super()._items()


class StaticPagesSitemap(_I18nSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self) -> list[str]:
        return ["home", "about", "methodology", "victims:victim_list", "victims:event_list", "victims:source_list",
                "victims:statistics"]  # fmt: skip

    def location(self, item: str) -> str:
        return reverse(item)


class VictimSitemap(_I18nSitemap):
    changefreq = "monthly"
    priority = 0.6
    detail_view = "victims:victim_detail"

    def items(self):
        return Victim.objects.published().only("slug", "updated_at").order_by("family_name", "given_name", "id")

    def lastmod(self, victim: Victim):
        return victim.updated_at

    def get_latest_lastmod(self):
        # For the index: by the updated_at index, instead of loading every person once more.
        return Victim.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class EventSitemap(_I18nSitemap):
    changefreq = "yearly"
    priority = 0.5
    detail_view = "victims:event_detail"

    def items(self):
        return Event.objects.published().only("slug", "updated_at").order_by("start_date", "id")

    def lastmod(self, event: Event):
        return event.updated_at

    def get_latest_lastmod(self):
        return Event.objects.published().aggregate(latest=Max("updated_at"))["latest"]


sitemaps = {"pages": StaticPagesSitemap, "victims": VictimSitemap, "events": EventSitemap}


def _day(value) -> str:
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date().isoformat()
    return value.isoformat()


def urlset_xml(urlset: list[dict]) -> str:
    """The section's XML, as Django's sitemap.xml template writes it, built without the template
    engine (which took most of the time of a 5,000-URL page)."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">\n'
    ]
    append = parts.append
    for url in urlset:
        append(f"<url><loc>{escape(url['location'])}</loc>")
        if url.get("lastmod"):
            append(f"<lastmod>{_day(url['lastmod'])}</lastmod>")
        if url.get("changefreq"):
            append(f"<changefreq>{escape(str(url['changefreq']))}</changefreq>")
        if url.get("priority"):
            append(f"<priority>{escape(str(url['priority']))}</priority>")
        for alternate in url.get("alternates", ()):
            append(
                f'<xhtml:link rel="alternate" hreflang={quoteattr(alternate["lang_code"])} '
                f"href={quoteattr(alternate['location'])}/>"
            )
        append("</url>\n")
    append("</urlset>\n")
    return "".join(parts)


def sitemap_index(request, **kwargs):
    """Django's sitemap index, its sections' URLs on the configured SITE_URL instead of the request's host."""
    response = index(request, **kwargs)
    response.context_data["sitemaps"] = [
        dataclasses.replace(item, location=absolute_url(_path_of(item.location)))
        for item in response.context_data["sitemaps"]
    ]
    return response


def _path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sitemap_section(request, **kwargs):
    """Django's sitemap view (paging, 404s, Last-Modified), its page written by :func:`urlset_xml`."""
    response = sitemap(request, **kwargs)
    if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
        response.content = urlset_xml(response.context_data["urlset"])
    return response
