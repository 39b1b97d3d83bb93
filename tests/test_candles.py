"""Candles: one per person, browser and day, counted outside the cached person page."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from contributions.models import Candle, Contribution, ContributionStatus, Kind
from tests.factories import ContributionFactory, VictimFactory
from victims import merging, services
from victims.models import Status

pytestmark = pytest.mark.django_db

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def endpoint(person, language: str = "en") -> str:
    return f"/candles/{person.uuid}/?lang={language}"


def light(person, n: int) -> None:
    """``n`` candles lit by ``n`` browsers today."""
    for _ in range(n):
        Client().post(endpoint(person), headers=SAME_ORIGIN)


def test_one_candle_per_person_browser_and_day(client):
    person = VictimFactory()
    assert client.get(endpoint(person)).json() == {"count": 0, "text": "0 candles", "lit": False}
    first = client.post(endpoint(person), headers=SAME_ORIGIN)
    assert first.json() == {"count": 1, "text": "1 candle", "lit": True}
    cookie = first.cookies["memorial_candle"]
    assert cookie["path"] == "/candles/" and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert client.post(endpoint(person), headers=SAME_ORIGIN).json()["count"] == 1
    assert client.get(endpoint(person)).json() == {"count": 1, "text": "1 candle", "lit": True}
    other_browser = Client()
    other_browser.post(endpoint(VictimFactory()), headers=SAME_ORIGIN)  # it has a cookie, and a candle elsewhere
    assert other_browser.get(endpoint(person)).json() == {"count": 1, "text": "1 candle", "lit": False}
    assert other_browser.post(endpoint(person), headers=SAME_ORIGIN).json()["count"] == 2
    assert Candle.objects.count() == 3


def test_a_new_day_lights_a_new_candle(client):
    person = VictimFactory()
    client.post(endpoint(person), headers=SAME_ORIGIN)
    Candle.objects.update(day=Candle.objects.get().day.replace(year=2000))  # yesterday, as far as it matters
    assert client.get(endpoint(person)).json() == {"count": 1, "text": "1 candle", "lit": False}
    answer = client.post(endpoint(person), headers=SAME_ORIGIN).json()
    assert answer == {"count": 2, "text": "2 candles", "lit": True}


def test_a_forged_cookie_is_a_new_browser(client):
    person = VictimFactory()
    client.cookies["memorial_candle"] = "not-a-uuid\x00<script>"
    assert client.post(endpoint(person), headers=SAME_ORIGIN).json()["count"] == 1
    assert uuid.UUID(client.cookies["memorial_candle"].value)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("ru", {1: "1 свеча", 3: "3 свечи", 5: "5 свечей", 21: "21 свеча"}),
        ("az", {1: "1 şam", 3: "3 şam"}),
        ("en", {1: "1 candle", 3: "3 candles"}),
    ],
)
def test_counts_in_each_languages_plural_forms(client, language, expected):
    person = VictimFactory()
    lit = 0
    for n, text in expected.items():
        light(person, n - lit)
        lit = n
        assert client.get(endpoint(person, language)).json()["text"] == text


def test_an_unknown_language_answers_in_the_sites_default(client):
    person = VictimFactory()
    assert client.get(f"/candles/{person.uuid}/?lang=xx").json()["text"] == "0 şam"


def test_a_candle_is_lit_only_from_the_sites_own_pages(client):
    person = VictimFactory()
    assert client.post(endpoint(person), headers={"Sec-Fetch-Site": "cross-site"}).status_code == 404
    assert client.post(endpoint(person), headers={"Sec-Fetch-Site": "same-site"}).status_code == 404
    assert client.post(endpoint(person), headers={"Origin": "https://elsewhere.example"}).status_code == 404
    assert client.post(endpoint(person)).status_code == 404
    assert not Candle.objects.exists()


def test_other_methods_are_refused(client):
    person = VictimFactory()
    assert client.put(endpoint(person), headers=SAME_ORIGIN).status_code == 405
    assert client.delete(endpoint(person), headers=SAME_ORIGIN).status_code == 405
    assert not Candle.objects.exists()


def hide(person, status: str, user):
    """Withdraw ``person``, or merge it into a new published record (returned)."""
    if status == Status.MERGED:
        keep = VictimFactory()
        merging.victim_merge(keep=keep, merged=person, user=user)
        return keep
    services.record_transition(record=person, to_status=status, user=user)
    return None


@pytest.mark.parametrize("status", [Status.WITHDRAWN, Status.MERGED])
def test_a_person_no_longer_published_has_no_candles(client, superuser, status):
    person = VictimFactory()
    client.post(endpoint(person), headers=SAME_ORIGIN)
    ContributionFactory(kind=Kind.CANDLE_MESSAGE, victim=person, message="Approved", status=ContributionStatus.ACCEPTED)
    keep = hide(person, status, superuser)
    assert client.get(endpoint(person)).status_code == 404
    assert client.post(endpoint(person), headers=SAME_ORIGIN).status_code == 404
    assert Client().post(endpoint(person), headers=SAME_ORIGIN).status_code == 404
    assert client.get(f"/en/contribute/candle/{person.slug}/").status_code == 404
    assert Candle.objects.count() == 1
    if keep is not None:  # the merge moved the candle (contributions.merging): the kept record counts it
        assert client.get(endpoint(keep)).json() == {"count": 1, "text": "1 candle", "lit": True}


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW])
def test_unpublished_people_have_no_candles(client, status):
    person = VictimFactory(status=status)
    assert client.get(endpoint(person)).status_code == 404
    assert client.post(endpoint(person), headers=SAME_ORIGIN).status_code == 404
    assert client.get(f"/en/contribute/candle/{person.slug}/").status_code == 404
    assert client.get(f"/candles/{uuid.uuid4()}/").status_code == 404
    assert not Candle.objects.exists()


def test_thirty_candles_an_hour_from_one_address(client, settings):
    assert settings.CANDLES_PER_HOUR == 30
    people = VictimFactory.create_batch(31)
    for person in people[:30]:
        assert client.post(endpoint(person), headers=SAME_ORIGIN).status_code == 200
    refused = client.post(endpoint(people[30]), headers=SAME_ORIGIN)
    assert refused.status_code == 429 and refused["Cache-Control"] == "no-store"
    assert "Many candles were lit from your connection" in refused.json()["error"]
    in_russian = Client().post(endpoint(people[30], "ru"), headers=SAME_ORIGIN)
    assert in_russian.status_code == 429 and "с вашего подключения" in in_russian.json()["error"]
    assert Candle.objects.count() == 30
    other_address = Client(REMOTE_ADDR="192.0.2.7")
    assert other_address.post(endpoint(people[30]), headers=SAME_ORIGIN).status_code == 200


def test_the_count_costs_two_queries_and_lighting_five(client, django_assert_num_queries):
    person = VictimFactory()
    light(person, 2)
    with django_assert_num_queries(2):  # the person, the count with "lit by you today"
        assert client.get(endpoint(person)).json()["count"] == 2
    with django_assert_num_queries(5):  # the person, savepoint, insert, release, the count
        assert client.post(endpoint(person), headers=SAME_ORIGIN).json()["count"] == 3


def test_a_candle_leaves_the_cached_person_page_as_it_was(client, settings):
    settings.PAGE_CACHE_ENABLED = True
    person = VictimFactory()
    before = client.get(person.get_absolute_url())
    content = before.content.decode()
    assert f'data-candles="/candles/{person.uuid}/"' in content
    assert "memorial_candle" not in content and "csrfmiddlewaretoken" not in content
    client.post(endpoint(person), headers=SAME_ORIGIN)
    after = client.get(person.get_absolute_url())
    assert after["ETag"] == before["ETag"] and after.content == before.content
    assert "Set-Cookie" not in after
    answer = client.get(endpoint(person))
    assert answer["Cache-Control"] == "no-store"


def test_candle_messages_are_shown_only_after_approval_and_escaped(client):
    person = VictimFactory()
    for status in ContributionStatus.values:
        ContributionFactory(kind=Kind.CANDLE_MESSAGE, victim=person, message=f"Message {status} <b>bold</b>",
                            status=status, rejection_reason="No" if status == ContributionStatus.REJECTED else "")  # fmt: skip
    ContributionFactory(kind=Kind.CORRECTION, victim=person, message="An accepted correction",
                        status=ContributionStatus.ACCEPTED)  # fmt: skip
    ContributionFactory(kind=Kind.CANDLE_MESSAGE, victim=VictimFactory(), message="About someone else",
                        status=ContributionStatus.ACCEPTED)  # fmt: skip
    content = client.get(f"/en/contribute/candle/{person.slug}/").content.decode()
    assert "Message accepted &lt;b&gt;bold&lt;/b&gt;" in content
    assert "<b>bold</b>" not in content
    for hidden in ("Message new", "Message in_progress", "Message rejected", "Message withdrawn",
                   "An accepted correction", "About someone else"):  # fmt: skip
        assert hidden not in content
    for name, email in Contribution.objects.values_list("submitter_name", "submitter_email"):
        assert name not in content and email not in content
