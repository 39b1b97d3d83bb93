"""oEmbed, the embeddable person card and counter, and which pages other sites may frame."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.factories import VictimFactory
from tests.public_fixtures import add_photo
from victims.models import Status

pytestmark = pytest.mark.django_db

ORIGIN = "https://memorial.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = ORIGIN


def oembed(client, url: str, **extra):
    query = "&".join([f"url={quote(url, safe='')}", *(f"{k}={v}" for k, v in extra.items())])
    return client.get(f"/oembed?{query}")


def test_oembed_answers_a_rich_card_for_a_person_page_in_its_language(client):
    person = VictimFactory(family_name="Yerləşdirilənov", given_name="Sınaq")
    add_photo(person, alt_text_en="A grey placeholder drawing")
    response = oembed(client, f"{ORIGIN}/az/qurbanlar/{person.slug}/")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.content)
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["title"] == "Sınaq Yerləşdirilənov"
    assert data["provider_url"] == f"{ORIGIN}/"
    assert f'src="{ORIGIN}/az/embed/person/{person.slug}/"' in data["html"]
    assert (data["width"], data["height"]) == (420, 200)
    assert data["thumbnail_url"].startswith(f"{ORIGIN}/media/")
    smaller = json.loads(oembed(client, f"{ORIGIN}/en/victims/{person.slug}/", maxwidth=300).content)
    assert smaller["width"] == 300 and f"{ORIGIN}/en/embed/person/" in smaller["html"]


@pytest.mark.parametrize(
    "url, status",
    [
        ("", 400),
        (f"{ORIGIN}/en/victims/no-such-person/", 404),
        ("https://evil.example/en/victims/{slug}/", 404),
        (f"{ORIGIN}/en/events/", 404),
        (f"{ORIGIN}/en/victims/{{draft}}/", 404),
        (f"{ORIGIN}/en/victims/x\x00y/", 404),
        (f"{ORIGIN}/../etc/passwd", 404),
    ],
)
def test_oembed_refuses_what_is_not_a_published_persons_page(client, url, status):
    person, draft = VictimFactory(), VictimFactory(draft=True)
    response = oembed(client, url.format(slug=person.slug, draft=draft.slug))
    assert response.status_code == status
    assert json.loads(response.content)["error"]


def test_oembed_offers_only_json(client):
    person = VictimFactory()
    assert oembed(client, f"{ORIGIN}/en/victims/{person.slug}/", format="xml").status_code == 501


def test_person_page_links_its_oembed(client):
    person = VictimFactory()
    head = client.get(person.get_absolute_url()).content.decode().split("</head>")[0]
    href = f"{ORIGIN}/oembed?url={quote(f'{ORIGIN}/en/victims/{person.slug}/', safe='')}&amp;format=json"
    assert f'<link rel="alternate" type="application/json+oembed" href="{href}"' in head


def test_card_shows_a_published_person_and_hides_the_others(client):
    person = VictimFactory(family_name="Kartov", given_name="Sınaq")
    html = client.get(f"/en/embed/person/{person.slug}/").content.decode()
    assert "Sınaq Kartov" in html and f'href="{ORIGIN}/en/victims/{person.slug}/"' in html
    for hidden in (VictimFactory(draft=True), VictimFactory(status=Status.REVIEW, published_at=None)):
        assert client.get(f"/en/embed/person/{hidden.slug}/").status_code == 404


def test_counter_counts_published_people(client):
    VictimFactory()
    VictimFactory()
    VictimFactory(draft=True)
    html = client.get("/en/embed/counter/").content.decode()
    assert '<p class="embed-number">2</p>' in html
    assert "people are recorded in the registry" in html


def frame_ancestors(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part.strip() for part in policy.split(";") if part.strip().startswith("frame-ancestors"))


@pytest.mark.parametrize("page_cache", [False, True])
def test_only_the_embeds_may_be_framed_by_other_sites(client, settings, page_cache):
    settings.PAGE_CACHE_ENABLED = page_cache
    person = VictimFactory()
    for attempt in range(2):  # the second answer may come from the page cache
        for url in (f"/en/embed/person/{person.slug}/", "/az/embed/counter/"):
            response = client.get(url)
            assert response.status_code == 200
            assert frame_ancestors(response) == "frame-ancestors *", (url, attempt)
            assert "X-Frame-Options" not in response, url
            assert "nonce-" not in response["Content-Security-Policy"]
        for url in ("/en/", person.get_absolute_url(), "/en/victims/", "/api/v1/summary", "/en/feed/"):
            response = client.get(url)
            assert frame_ancestors(response) == "frame-ancestors 'none'", (url, attempt)
            assert response["X-Frame-Options"] == "DENY", url
    if page_cache:
        assert client.get("/az/embed/counter/")["X-Cache"] == "HIT"
