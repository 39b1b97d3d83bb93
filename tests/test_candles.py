"""Candles: one per person, browser and day, counted outside the cached person page."""

from __future__ import annotations

import pytest

from contributions.models import Candle, ContributionStatus, Kind
from tests.factories import ContributionFactory, VictimFactory

pytestmark = pytest.mark.django_db

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def endpoint(person, language: str = "en") -> str:
    return f"/candles/{person.uuid}/?lang={language}"


def test_one_candle_per_person_browser_and_day(client):
    person = VictimFactory()
    assert client.get(endpoint(person)).json() == {"count": 0, "text": "0 candles", "lit": False}
    first = client.post(endpoint(person), headers=SAME_ORIGIN)
    assert first.json() == {"count": 1, "text": "1 candle", "lit": True}
    cookie = first.cookies["memorial_candle"]
    assert cookie["path"] == "/candles/" and cookie["httponly"]
    assert client.post(endpoint(person), headers=SAME_ORIGIN).json()["count"] == 1
    other_browser = type(client)()
    assert other_browser.post(endpoint(person), headers=SAME_ORIGIN).json()["count"] == 2
    assert Candle.objects.count() == 2


def test_counts_in_russian_plural_forms(client):
    person = VictimFactory()
    for _ in range(3):
        type(client)().post(endpoint(person), headers=SAME_ORIGIN)
    assert client.get(endpoint(person, "ru")).json()["text"] == "3 свечи"


def test_a_candle_is_lit_only_from_the_sites_own_pages(client):
    person = VictimFactory()
    assert client.post(endpoint(person), headers={"Sec-Fetch-Site": "cross-site"}).status_code == 404
    assert client.post(endpoint(person), headers={"Origin": "https://elsewhere.example"}).status_code == 404
    assert client.post(endpoint(person)).status_code == 404
    assert not Candle.objects.exists()


def test_unpublished_people_have_no_candles(client):
    draft = VictimFactory(draft=True)
    assert client.get(endpoint(draft)).status_code == 404
    assert client.post(endpoint(draft), headers=SAME_ORIGIN).status_code == 404


def test_thirty_candles_an_hour_from_one_address(client):
    people = VictimFactory.create_batch(31)
    for person in people[:30]:
        assert client.post(endpoint(person), headers=SAME_ORIGIN).status_code == 200
    refused = client.post(endpoint(people[30]), headers=SAME_ORIGIN)
    assert refused.status_code == 429
    assert "Many candles were lit from your connection" in refused.json()["error"]


def test_a_candle_leaves_the_cached_person_page_as_it_was(client, settings):
    settings.PAGE_CACHE_ENABLED = True
    person = VictimFactory()
    before = client.get(person.get_absolute_url())
    assert f'data-candles="/candles/{person.uuid}/"' in before.content.decode()
    client.post(endpoint(person), headers=SAME_ORIGIN)
    after = client.get(person.get_absolute_url())
    assert after["ETag"] == before["ETag"] and after.content == before.content


def test_candle_messages_are_shown_only_after_approval_and_escaped(client):
    person = VictimFactory()
    ContributionFactory(kind=Kind.CANDLE_MESSAGE, victim=person, message="Waiting <b>message</b>")
    ContributionFactory(
        kind=Kind.CANDLE_MESSAGE, victim=person, message="Approved <b>message</b>", status=ContributionStatus.ACCEPTED
    )
    content = client.get(f"/en/contribute/candle/{person.slug}/").content.decode()
    assert "Approved &lt;b&gt;message&lt;/b&gt;" in content
    assert "Waiting" not in content
    from contributions.models import Contribution

    for name, email in Contribution.objects.values_list("submitter_name", "submitter_email"):
        assert name not in content and email not in content
