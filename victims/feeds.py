"""Atom feeds, one per language: people and events newly published or updated.

Every link comes from the canonical origin (``SITE_URL``), never from the request: the feed is
kept in the page cache and read by everyone.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.siteurl import absolute_url
from common.translation_fallback import translated
from victims.caching import public_page
from victims.models import Event, Victim

ITEMS = 50


class RegistryFeed(Feed):
    feed_type = Atom1Feed

    def title(self) -> str:
        return _("%(site)s: new and updated records") % {"site": settings.SITE_NAME}

    def subtitle(self) -> str:
        return _("People and events of the registry, as they are published or updated.")

    def link(self) -> str:
        return absolute_url(reverse("home"))

    def feed_url(self) -> str:
        return absolute_url(reverse("feed"))

    def feed_guid(self) -> str:
        return self.feed_url()

    def author_name(self) -> str:
        return str(settings.SITE_NAME)

    def feed_copyright(self) -> str:
        return settings.DATA_LICENCE_TITLE

    def items(self) -> list:
        people = Victim.objects.published().only(
            "id", "slug", "display_name", "given_name", "patronymic", "family_name", "death_date", "death_precision",
            "birth_date", "birth_precision", "published_at", "updated_at", "category", "gender",
        ).order_by("-updated_at", "-id")[:ITEMS]  # fmt: skip
        events = Event.objects.published().order_by("-updated_at", "-id")[:ITEMS]
        return sorted([*people, *events], key=lambda record: record.updated_at, reverse=True)[:ITEMS]

    def item_title(self, item) -> str:
        if isinstance(item, Event):
            return str(translated(item, "title"))
        return str(item)

    def item_description(self, item) -> str:
        if isinstance(item, Event):
            return "; ".join(part for part in (item.start_display, str(translated(item, "summary"))) if part)
        dates = " – ".join(part for part in (item.birth_display, item.death_display) if part)
        return "; ".join(part for part in (item.category_label, dates) if part)

    def item_link(self, item) -> str:
        return absolute_url(item.get_absolute_url())

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_categories(self, item) -> list[str]:
        return [_("Event") if isinstance(item, Event) else _("Person")]

    def feed_extra_kwargs(self, obj) -> dict:
        return {}

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response["Content-Language"] = get_language()
        return response


registry_feed = public_page(RegistryFeed())
