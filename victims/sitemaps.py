"""sitemap.xml (an index) and its sections: the public pages in every language, with hreflang alternates."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import Max, QuerySet
from django.urls import reverse

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
    # URLs per page of a section (each language counts): far below the protocol's 50,000, and a
    # page renders in a fraction of a second. sitemap.xml is the index of the pages.
    limit = 5000

    def _items(self):
        items = self.items()
        if isinstance(items, QuerySet):
            return _PagedI18nItems(items, self._languages())
        return super()._items()


class StaticPagesSitemap(_I18nSitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self) -> list[str]:
        return ["home", "about", "victims:victim_list", "victims:event_list", "victims:source_list",
                "victims:statistics"]  # fmt: skip

    def location(self, item: str) -> str:
        return reverse(item)


class VictimSitemap(_I18nSitemap):
    changefreq = "monthly"
    priority = 0.6

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

    def items(self):
        return Event.objects.published().only("slug", "updated_at").order_by("start_date", "id")

    def lastmod(self, event: Event):
        return event.updated_at

    def get_latest_lastmod(self):
        return Event.objects.published().aggregate(latest=Max("updated_at"))["latest"]


sitemaps = {"pages": StaticPagesSitemap, "victims": VictimSitemap, "events": EventSitemap}
