"""The Atom feeds (one per language): valid Atom, published records only, links on the canonical
origin, and linked from every page's head."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest

from tests.factories import EventFactory, VictimFactory
from victims.models import Status

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "https://memorial.example"


def test_each_language_has_a_valid_atom_feed_of_published_people_and_events(client):
    person = VictimFactory(family_name="Lentov", given_name="Sınaq")
    VictimFactory(family_name="Qaralamov", draft=True)
    EventFactory(title_en="Synthetic feed event", title_az="Sınaq hadisəsi", original_language="en")
    EventFactory(title_en="Draft feed event", status=Status.DRAFT, published_at=None)
    for language in ("az", "en", "ru"):
        response = client.get(f"/{language}/feed/")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/atom+xml")
        parsed = feedparser.parse(response.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert parsed.version == "atom10"
        assert parsed.feed.language == language
        titles = [entry.title for entry in parsed.entries]
        assert "Sınaq Lentov" in titles
        assert "Qaralamov" not in " ".join(titles) and "Draft feed event" not in titles
        assert ("Sınaq hadisəsi" if language == "az" else "Synthetic feed event") in titles
        links = [entry.link for entry in parsed.entries]
        assert f"https://memorial.example/{language}/" in parsed.feed.link
        assert all(link.startswith(f"https://memorial.example/{language}/") for link in links), links
        assert any(person.slug in link for link in links)
        # RFC 4287: the feed and each entry have an id, a title and an updated date; the feed an author.
        root = ET.fromstring(response.content)  # noqa: S314 (our own feed)
        for element in (root, *root.findall(f"{ATOM}entry")):
            for required in ("id", "title", "updated"):
                assert element.find(f"{ATOM}{required}") is not None, (required, element)
        assert root.find(f"{ATOM}author/{ATOM}name") is not None


def test_a_withdrawn_person_leaves_the_feed(client):
    person = VictimFactory(family_name="Çəkilənov")
    assert "Çəkilənov" in client.get("/en/feed/").content.decode()
    person.status = Status.WITHDRAWN
    person.save()
    assert "Çəkilənov" not in client.get("/en/feed/").content.decode()


def test_every_page_links_its_languages_feed_in_the_head(client):
    person = VictimFactory()
    for url, feed in (("/en/", "/en/feed/"), ("/az/", "/az/feed/"), (person.get_absolute_url(), "/en/feed/"),
                      ("/ru/", "/ru/feed/")):  # fmt: skip
        html = client.get(url).content.decode()
        head = html.split("</head>")[0]
        assert '<link rel="alternate" type="application/atom+xml"' in head and f'href="{feed}"' in head, url
