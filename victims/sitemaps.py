"""sitemap.xml (an index) and its sections: the public pages in every language, with hreflang alternates."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from victims.models import Event, Victim


class _I18nSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True
    # URLs per page of a section (each language counts): far below the protocol's 50,000, and a
    # page renders in a fraction of a second. sitemap.xml is the index of the pages.
    limit = 5000


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
