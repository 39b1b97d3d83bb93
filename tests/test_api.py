"""The public read API (/api/v1/): published records only, the registry's filters, the envelope,
languages, conditional GET, CORS, the rate limit, errors as JSON, and query counts."""

from __future__ import annotations

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.partialdates import Precision
from tests.factories import (
    CitationFactory,
    EventFactory,
    NameVariantFactory,
    PlaceFactory,
    SourceFactory,
    VictimFactory,
)
from tests.test_public_views import bulk_people
from victims.models import Category, Gender, Status, Victim

pytestmark = pytest.mark.django_db

API = "/api/v1"


def get(client, path: str, **headers):
    return client.get(API + path, headers=headers)


def body(response) -> dict:
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    return json.loads(response.content)


# --- What is visible -------------------------------------------------------------------------------


def test_people_lists_only_published_people_in_the_envelope(client):
    shown = VictimFactory(family_name="Görünənov", given_name="Sınaq")
    VictimFactory(family_name="Qaralamov", draft=True)
    VictimFactory(family_name="Baxışov", status=Status.REVIEW, published_at=None)
    withdrawn = VictimFactory(family_name="Geriçəkilmişov")
    Victim.objects.filter(pk=withdrawn.pk).update(status=Status.WITHDRAWN)
    data = body(get(client, "/people"))
    assert [person["family_name"] for person in data["data"]] == ["Görünənov"]
    assert data["meta"] == {"language": "en", "page": 1, "limit": 50, "total": 1, "total_pages": 1,
                            "next": None, "next_cursor": None}  # fmt: skip
    person = data["data"][0]
    assert person["uuid"] == str(shown.uuid)
    assert person["url"] == f"http://testserver.example/en/victims/{shown.slug}/"
    assert person["api_url"] == f"http://testserver.example/api/v1/people/{shown.slug}"
    assert person["death"] == {"date": "1990-01-20", "precision": "day", "display": "20 January 1990"}


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver.example"


def test_hidden_people_are_not_found_by_slug_or_uuid(client):
    for hidden in (VictimFactory(draft=True), VictimFactory(status=Status.REVIEW, published_at=None)):
        for key in (hidden.slug, str(hidden.uuid)):
            response = get(client, f"/people/{key}")
            assert response.status_code == 404
            assert body(response) == {"errors": [{"parameter": "", "message": "No published record has this address."}]}
    draft = VictimFactory(family_name="Qaralamova", draft=True)
    assert body(get(client, "/people?q=Qaralamova"))["data"] == []
    assert body(get(client, f"/people?cursor=start&q={draft.family_name}"))["data"] == []


def test_person_detail_has_names_dates_places_texts_citations_events_and_photos(client):
    place = PlaceFactory(name_en="Synthetic Avenue", name_az="Sınaq prospekti", slug="synthetic-avenue")
    source = SourceFactory(key="synthetic-report", title="Synthetic report", reliability="primary")
    person = VictimFactory(
        family_name="Məmmədov", given_name="Sınaqəli", gender=Gender.MALE, birth_date=datetime.date(1965, 3, 1),
        birth_precision=Precision.MONTH, place_of_death=place, biography_en="A synthetic biography.",
        circumstances_az="Sınaq mətni.", original_language="az",
    )  # fmt: skip
    NameVariantFactory(victim=person, name="Мамедов Синагали")
    CitationFactory(victim=person, source=source, locator="p. 7", supports="date of death")
    event = EventFactory(title_en="Synthetic night")
    hidden_event = EventFactory(title_en="Draft event", status=Status.DRAFT, published_at=None)
    event.victims.add(person)
    hidden_event.victims.add(person)
    for key in (person.slug, str(person.uuid)):
        data = body(get(client, f"/people/{key}"))["data"]
        assert data["slug"] == person.slug
    assert data["variants"] == [{"name": "Мамедов Синагали", "script": "cyrillic", "kind": "russian"}]
    assert data["birth"] == {"date": "1965-03", "precision": "month", "display": "March 1965"}
    assert data["place_of_death"] == {"slug": "synthetic-avenue", "name": "Synthetic Avenue", "kind": "street"}
    assert data["biography"] == {"text": "A synthetic biography.", "language": "en"}
    assert data["circumstances"] == {"text": "Sınaq mətni.", "language": "az"}  # the original, not translated
    cited = next(c for c in data["citations"] if c["source"]["key"] == "synthetic-report")
    assert cited["source"]["reliability"] == "primary"
    assert cited["locator"] == "p. 7"
    assert [e["slug"] for e in data["events"]] == [event.slug]
    assert data["url"] == f"http://testserver.example/en/victims/{person.slug}/"


def test_language_from_the_parameter_or_accept_language(client):
    place = PlaceFactory(name_en="Synthetic Avenue", name_az="Sınaq prospekti", name_ru="Тестовый проспект")
    person = VictimFactory(place_of_death=place)
    assert body(get(client, f"/people/{person.slug}?lang=az"))["data"]["place_of_death"]["name"] == "Sınaq prospekti"
    data = body(client.get(f"{API}/people/{person.slug}", headers={"Accept-Language": "ru-RU,ru;q=0.9"}))
    assert data["meta"]["language"] == "ru"
    assert data["data"]["place_of_death"]["name"] == "Тестовый проспект"
    assert data["data"]["death"]["display"] == "20 января 1990"
    assert data["data"]["url"].startswith("http://testserver.example/ru/")
    # A language cookie does not change an answer that is the same for everyone.
    client.cookies["django_language"] = "az"
    assert body(get(client, f"/people/{person.slug}"))["meta"]["language"] == "en"


def test_people_filters_are_the_registrys(client):
    place = PlaceFactory(slug="sinaq-meydani")
    source = SourceFactory(key="synthetic-list")
    event = EventFactory(slug="synthetic-night")
    one = VictimFactory(family_name="Məmmədov", category=Category.WOUNDED, gender=Gender.FEMALE, place_of_death=place,
                        death_date=datetime.date(1990, 1, 19), age_recorded=30)  # fmt: skip
    other = VictimFactory(family_name="Əliyev", death_date=datetime.date(1990, 1, 25))
    CitationFactory(victim=one, source=source)
    event.victims.add(other)

    def slugs(query: str) -> list[str]:
        response = get(client, "/people?" + query)
        assert response.status_code == 200, (query, response.content)
        return [person["slug"] for person in body(response)["data"]]

    assert slugs("q=mamedov") == [one.slug]  # the forgiving name search
    assert slugs("category=wounded") == [one.slug]
    assert slugs("gender=female") == [one.slug]
    assert slugs("place=sinaq-meydani") == [one.slug]
    assert slugs("source=synthetic-list") == [one.slug]
    assert slugs("event=synthetic-night") == [other.slug]
    assert slugs("died=19") == [one.slug]
    assert slugs("age=30-44") == [one.slug]
    assert slugs("died_from=1990-01-20") == [other.slug]
    assert slugs("died_to=1990-01-20") == [one.slug]
    assert slugs("letter=Ə") == [other.slug]
    assert slugs("sort=death") == [one.slug, other.slug]


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("limit=101", "limit"),
        ("limit=0", "limit"),
        ("page=0", "page"),
        ("page=x", "page"),
        ("category=hero", "category"),
        ("died_from=1990-13-40", "died_from"),
        ("place=../etc", "place"),
        ("place=unknown-place", "place"),
        ("cursor=1234", "cursor"),
        ("lang=fr", "lang"),
        ("q=%00", "q"),
    ],
)
def test_bad_parameters_answer_400_with_a_json_list(client, query, parameter):
    response = get(client, "/people?" + query)
    assert response.status_code == 400, response.content
    errors = body(response)["errors"]
    assert [error["parameter"] for error in errors] == [parameter]
    assert errors[0]["message"]


def test_unknown_keys_are_a_json_404_never_a_500(client):
    for path in ("/people/no-such-person", "/people/x%00y", "/people/" + "a" * 300, "/events/nope", "/nothing"):
        response = get(client, path)
        assert response.status_code == 404, path


def test_pages_and_the_cursor_walk_the_whole_set_once(client):
    people = bulk_people(23, photos=False)
    first = body(get(client, "/people?limit=10"))
    assert first["meta"]["total"] == 23 and first["meta"]["total_pages"] == 3
    assert first["meta"]["next"] == "http://testserver.example/api/v1/people?limit=10&page=2"
    last = body(get(client, "/people?limit=10&page=3"))
    assert len(last["data"]) == 3 and last["meta"]["next"] is None
    assert body(get(client, "/people?limit=10&page=9"))["data"] == []

    seen, url = [], "/people?cursor=start&limit=10"
    while url:
        page = body(get(client, url))
        seen += [person["uuid"] for person in page["data"]]
        url = page["meta"]["next"] and page["meta"]["next"].removeprefix("http://testserver.example" + API)
    assert sorted(seen) == sorted(str(person.uuid) for person in people)
    assert len(seen) == len(set(seen))


def test_events_sources_places_statistics_and_summary(client):
    source = SourceFactory(key="synthetic-report")
    person = VictimFactory(place_of_death=PlaceFactory(slug="shown-place"))
    VictimFactory(draft=True, place_of_death=PlaceFactory(slug="hidden-place"))
    CitationFactory(victim=person, source=source)
    event = EventFactory(slug="synthetic-event")
    EventFactory(slug="draft-event", status=Status.DRAFT, published_at=None)
    event.victims.add(person)
    assert [e["slug"] for e in body(get(client, "/events"))["data"]] == ["synthetic-event"]
    assert get(client, "/events/draft-event").status_code == 404
    detail = body(get(client, "/events/synthetic-event"))["data"]
    assert detail["people_count"] == 1
    sources = {s["key"]: s for s in body(get(client, "/sources"))["data"]}
    assert sources["synthetic-report"]["people_count"] == 1
    assert [p["slug"] for p in body(get(client, "/places"))["data"]] == ["shown-place"]
    charts = {chart["slug"]: chart for chart in body(get(client, "/statistics"))["data"]}
    assert charts["category"]["total"] == 1
    summary = body(get(client, "/summary"))["data"]
    assert (summary["people"], summary["events"]) == (1, 1)
    assert summary["licence"]["name"] == "CC-BY-4.0"


def test_statistics_are_the_statistics_pages_numbers(client):
    bulk_people(12, photos=False)
    page = client.get("/en/statistics/").context["charts"]
    api = body(get(client, "/statistics"))["data"]
    assert [(c.slug, [(b.key, b.count) for b in c.bars]) for c in page] == [
        (c["slug"], [(b["key"], b["count"]) for b in c["bars"]]) for c in api
    ]


# --- HTTP ------------------------------------------------------------------------------------------------


def test_etag_and_conditional_get_follow_the_registry_generation(client):
    person = VictimFactory()
    first = get(client, "/people")
    etag = first["ETag"]
    assert "public" in first["Cache-Control"] and "max-age=60" in first["Cache-Control"]
    assert "Accept-Language" in first["Vary"]
    assert get(client, "/people", **{"If-None-Match": etag}).status_code == 304
    assert get(client, "/people?lang=az", **{"If-None-Match": etag}).status_code == 200
    person.status = Status.WITHDRAWN
    person.save()
    again = get(client, "/people", **{"If-None-Match": etag})
    assert again.status_code == 200
    assert body(again)["data"] == []


def test_a_revalidation_reads_neither_the_cache_nor_the_view(client, django_assert_max_num_queries):
    VictimFactory()
    etag = get(client, "/people")["ETag"]
    with django_assert_max_num_queries(1):  # the registry generation, nothing else
        response = get(client, "/people", **{"If-None-Match": etag})
    assert response.status_code == 304 and response["ETag"] == etag
    assert "Accept-Language" in response["Vary"] and "public" in response["Cache-Control"]


def test_answers_are_cached_and_carry_nothing_per_visitor(client, settings):
    settings.PAGE_CACHE_ENABLED = True
    VictimFactory()
    first = get(client, "/people")
    assert first["X-Cache"] == "MISS" and not first.cookies
    second = get(client, "/people")
    assert second["X-Cache"] == "HIT"
    assert second.content == first.content
    assert "Set-Cookie" not in second


def test_cors_is_open_for_reading(client):
    response = get(client, "/summary", Origin="https://elsewhere.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    preflight = client.options(API + "/people", headers={"Origin": "https://elsewhere.example",
                                                          "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert client.post(API + "/people").status_code == 405


def test_a_foreign_host_is_refused_even_from_the_cache(client, settings):
    settings.PAGE_CACHE_ENABLED = True
    VictimFactory()
    assert get(client, "/people").status_code == 200
    assert get(client, "/people")["X-Cache"] == "HIT"
    assert client.get(API + "/people", headers={"Host": "evil.example"}).status_code == 400


def test_head_answers_like_get_without_a_body(client):
    VictimFactory()
    response = client.head(API + "/people")
    assert response.status_code == 200
    assert response.content == b""
    assert response["ETag"] == get(client, "/people")["ETag"]


def test_rate_limit_answers_429_with_retry_after(client, settings):
    settings.API_RATE_LIMIT = 3
    responses = [get(client, "/summary") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r["X-RateLimit-Remaining"] for r in responses] == ["2", "1", "0", "0"]
    assert responses[0]["X-RateLimit-Limit"] == "3"
    limited = responses[-1]
    assert int(limited["Retry-After"]) >= 1
    assert body(limited)["errors"][0]["message"].startswith("Too many requests")
    # Another address has its own allowance.
    assert client.get(API + "/summary", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_openapi_document_is_3_1_and_the_docs_page_uses_own_static_files(client):
    spec = body(get(client, "/openapi.json"))
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/people", "/api/v1/people/{key}", "/api/v1/events", "/api/v1/events/{slug}", "/api/v1/sources",
            "/api/v1/places", "/api/v1/statistics", "/api/v1/summary"} <= set(spec["paths"])  # fmt: skip
    html = get(client, "/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


# --- Cost -------------------------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = get(client, path)
    assert response.status_code == 200, (path, response.content)
    return len(queries)


def test_query_counts_do_not_grow_with_the_registry(client):
    event = EventFactory(slug="counted-event")
    source = SourceFactory(key="counted-source")
    small = bulk_people(5, events=[event], sources=[source])
    person = small[0]
    CitationFactory(victim=person, source=source)
    NameVariantFactory(victim=person)
    paths = ["/people?limit=100", "/people?q=Sinaq&limit=100", "/people?cursor=start&limit=100",
             "/people?page=2&limit=2", f"/people/{person.slug}", "/events", "/events/counted-event", "/sources",
             "/places", "/statistics", "/summary"]  # fmt: skip
    few = {path: _queries(client, path) for path in paths}
    bulk_people(300, start=5, events=[event], sources=[source])
    many = {path: _queries(client, path) for path in paths}
    assert many == few
    assert max(many.values()) <= 10, many
