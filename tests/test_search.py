"""Name search: forgiving of how people type Azerbaijani names, in any script, with typos."""

from __future__ import annotations

import pytest

from tests.factories import NameVariantFactory, VictimFactory
from victims import services
from victims.models import Victim

pytestmark = pytest.mark.django_db


@pytest.fixture
def mammadov():
    victim = VictimFactory(family_name="Məmmədov", given_name="Sınaqəli")
    NameVariantFactory(victim=victim, name="Мамедов Синагали", script="cyrillic", kind="russian")
    services.victim_refresh_search(victim=victim)
    VictimFactory(family_name="Həsənov", given_name="Testər")
    VictimFactory(family_name="Quliyev", given_name="Sınaqçı")
    return victim


def found(client, query: str) -> list[Victim]:
    return list(client.get("/en/victims/", {"q": query}).context["victims"])


@pytest.mark.parametrize("query", ["Məmmədov", "mammadov", "memmedov", "Mamedov", "Мамедов", "MAMMADOV"])
def test_spellings_of_mammadov_find_the_person(client, mammadov, query):
    assert found(client, query)[0] == mammadov


@pytest.mark.parametrize("query", ["Mammadof", "Mamadov", "Mammedow", "Məmmədob"])
def test_a_one_letter_typo_still_finds_the_person(client, mammadov, query):
    assert mammadov in found(client, query)


def test_full_name_in_either_order_finds_the_person(client, mammadov):
    assert found(client, "sinagali mammadov")[0] == mammadov
    assert found(client, "Mammadov Sinagali")[0] == mammadov


def test_best_matches_come_first(client):
    exact = VictimFactory(family_name="Əliyev", given_name="Testəli")
    near = VictimFactory(family_name="Əlizadə", given_name="Sınaqçı")
    results = found(client, "Aliyev")
    assert results[0] == exact
    assert near not in results[:1]


def test_an_unpublished_person_is_never_found(client, mammadov):
    hidden = VictimFactory(family_name="Məmmədli", given_name="Gizli", draft=True)
    withdrawn = VictimFactory(family_name="Məmmədov", given_name="Geri", status="withdrawn")
    for query in ("Məmmədli", "Mammadli", "Məmmədov", "Geri"):
        results = found(client, query)
        assert hidden not in results and withdrawn not in results
    html = client.get("/en/victims/", {"q": "Gizli"}).content.decode()
    assert hidden.get_absolute_url() not in html and "No published record matches" in html


def test_no_results_suggests_the_nearest_names(client, mammadov):
    response = client.get("/en/victims/", {"q": "Mammadzade"})
    assert list(response.context["victims"]) == []
    assert mammadov in response.context["suggestions"]
    html = response.content.decode()
    assert "No published record matches" in html and mammadov.get_absolute_url() in html


def test_suggestions_never_include_unpublished_people(client):
    VictimFactory(family_name="Məmmədov", given_name="Gizli", draft=True)
    response = client.get("/en/victims/", {"q": "Mammadzade"})
    assert response.context["suggestions"] == []


def test_search_keeps_the_query_in_pagination_and_filters(client):
    for n in range(65):
        VictimFactory(family_name="Məmmədov", given_name=f"Sınaq{n}")
    html = client.get("/en/victims/", {"q": "mammadov", "gender": "unknown"}).content.decode()
    assert "65 people found for “mammadov”." in html
    assert 'href="?q=mammadov&amp;gender=unknown&amp;page=2"' in html
    assert 'value="mammadov"' in html


def test_search_combines_with_a_filter(client, mammadov):
    VictimFactory(family_name="Məmmədov", given_name="Yaralı", category="wounded")
    results = found(client, "mammadov")
    assert len(results) == 2
    wounded = list(client.get("/en/victims/", {"q": "mammadov", "category": "wounded"}).context["victims"])
    assert [v.given_name for v in wounded] == ["Yaralı"]


def test_suggestion_threshold_does_not_leak_into_later_queries(client, mammadov):
    from django.db import connection

    client.get("/en/victims/", {"q": "Mammadzade"})
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert cursor.fetchone()[0] == "0.6"


@pytest.mark.django_db(transaction=True)
def test_nearest_names_work_on_a_brand_new_connection():
    """pg_trgm's settings are unknown to a session until the library is loaded in it: a fresh
    connection must not fail on them (every earlier test ran on a connection that had used it)."""
    from django.db import connection

    from victims.views import nearest_names

    mammadov = VictimFactory(family_name="Məmmədov", given_name="Sınaqəli")
    connection.close()
    assert nearest_names("Mammadzade") == [mammadov]
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert cursor.fetchone()[0] == "0.6"


@pytest.mark.django_db(transaction=True)
def test_a_search_that_finds_nobody_answers_on_brand_new_connections(client, settings):
    """As under ``make run`` (no page cache, a new connection per request): the second time the
    count comes from the cache, so the suggestions are the connection's first trigram query."""
    from django.db import connection

    settings.PAGE_CACHE_ENABLED = False
    VictimFactory(family_name="Məmmədov", given_name="Sınaqəli")
    for _ in range(2):
        connection.close()
        response = client.get("/en/victims/", {"q": "Zyxwtestova"})
        assert response.status_code == 200
        assert "No published record matches" in response.content.decode()
