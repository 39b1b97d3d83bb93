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


# Names as Russian documents write Azerbaijani names, and as they are typed from those documents.
# The names are made up (Azerbaijani words, never people's names); each query missed before the
# search key knew its class of spelling.
RUSSIAN_STYLE = {
    # h and x are both х (kh); h is also г
    "Hesab": ["Khesab", "Хесаб", "Гесаб"],
    "Xətalı": ["Hatali"],
    "Həyətli": ["Хаятлы", "Khayatly", "Гаятли"],
    # q is к or г; ğ is г, gh, g or nothing between vowels
    "Qutulu": ["Kutulu", "Кутулу"],
    "Kağızlı": ["Kagyzly", "Kaghyzly", "Kaizly"],
    # ı is ы, у or и; ə is а, е or я; ö and ü are ё, ю, о, у (ё printed as е)
    "Sınaq": ["Synag", "Сунаг", "Sunag"],
    "Çıraqov": ["Чыраков", "Chyrakov", "Чураков", "Churakov"],
    "Dəftər": ["Dyaftyar"],
    "Kələm": ["Kyalyam"],
    "Gözlük": ["Gyozlyuk", "Гезлюк", "Gezlyuk"],
    "Güzgü": ["Gyuzgyu"],
    "Hüsnü": ["Гюсню", "Хюсню", "Gusnu", "Khusnu"],
    # y is й or absorbed in я, ю, е
    "Yarpaq": ["Ярпак"],
}


def test_russian_style_spellings_find_the_azerbaijani_names(client):
    people = {name: VictimFactory(family_name=name, given_name="Testər") for name in RUSSIAN_STYLE}
    for n in range(8):  # others the queries must not crowd out
        VictimFactory(family_name=f"Sınaqov{n}", given_name="Testəli")
    missed = [
        (name, query)
        for name, queries in RUSSIAN_STYLE.items()
        for query in queries
        if people[name] not in found(client, query)[:3]
    ]
    assert missed == []


def test_a_name_written_as_in_a_russian_document_finds_the_person(client):
    person = VictimFactory(family_name="Kağızlı", given_name="Hüsnü", patronymic="Sınaq oğlu")
    VictimFactory(family_name="Kağızova", given_name="Testərə")
    assert found(client, "Каизлы Гусну Сынаг оглы")[0] == person
    assert found(client, "Kaghyzly Khusnu")[0] == person


def test_kh_finds_both_h_and_x_and_the_exact_spelling_comes_first(client):
    with_h = VictimFactory(family_name="Hesab", given_name="Testər")
    with_x = VictimFactory(family_name="Xesab", given_name="Testər")
    assert set(found(client, "Khesab")[:2]) == {with_h, with_x}
    assert set(found(client, "Хесаб")[:2]) == {with_h, with_x}
    assert found(client, "Hesab")[0] == with_h
    assert found(client, "Xesab")[0] == with_x


def test_the_exact_spelling_comes_first_among_many_equal_keys(client):
    for n in range(65):  # more than a page of people whose key is the same
        VictimFactory(family_name="Qutulu", given_name=f"Sınaq{n}")
    with_k = VictimFactory(family_name="Kutulu", given_name="Zərif")
    with_g = VictimFactory(family_name="Gutulu", given_name="Zərif")
    assert found(client, "Kutulu")[0] == with_k
    assert found(client, "Gutulu")[0] == with_g
    results = found(client, "Qutulu")
    assert len(results) == 60 and {person.family_name for person in results} == {"Qutulu"}


def test_the_migration_rebuilds_the_stored_documents():
    import importlib
    from types import SimpleNamespace

    from django.apps import apps
    from django.db import connection

    from victims.normalize import search_document

    migration = importlib.import_module("victims.migrations.0008_rebuild_search_documents")
    person = VictimFactory(family_name="Xətalı", given_name="Sınaqəli")
    NameVariantFactory(victim=person, name="Хаталы Синагали")
    Victim.objects.filter(pk=person.pk).update(search_document="xatali sinagali | sinagali xatali")  # the old key
    migration.rebuild(apps, SimpleNamespace(connection=connection))
    person.refresh_from_db()
    assert person.search_document == search_document(services.victim_search_names(person))
    assert person in Victim.objects.search("Hatali")


# A one-word search reads its nearest matches first (victims.views.RegistryPaginator): while the
# page lies inside them, it is the page all matches give, and the count says "at least".
@pytest.fixture
def common_name(settings):
    settings.PAGE_CACHE_ENABLED = False  # every request computes its page
    exact = [VictimFactory(family_name="Məmmədov", given_name=f"Sınaq{n:02}") for n in range(70)]
    near = [VictimFactory(family_name="Məmmədli", given_name=f"Testər{n:02}") for n in range(20)]
    return exact, near


def test_a_common_name_s_first_page_is_the_page_all_matches_give(client, common_name, monkeypatch):
    from victims import views

    nearest = client.get("/en/victims/", {"q": "Mammadov"})
    monkeypatch.setattr(views, "NEAR_FIRST", ())
    every = client.get("/en/victims/", {"q": "Mammadov"})
    assert nearest.context["paginator"].count_is_lower_bound and not every.context["paginator"].count_is_lower_bound
    assert list(nearest.context["victims"]) == list(every.context["victims"])
    assert (nearest.context["result_count"], every.context["result_count"]) == (70, 90)


def test_the_nearest_count_says_at_least_and_the_last_page_counts_them_all(client, common_name):
    html = client.get("/en/victims/", {"q": "Mammadov"}).content.decode()
    assert "At least 70 people found for “Mammadov”." in html and "Page 1." in html and "Page 1 of" not in html
    assert 'href="?q=Mammadov&amp;page=2"' in html
    last = client.get("/en/victims/", {"q": "Mammadov", "page": 2})
    assert last.context["result_count"] == 90 and not last.context["paginator"].count_is_lower_bound
    assert {v.family_name for v in last.context["victims"]} == {"Məmmədov", "Məmmədli"}
    assert "90 people found for “Mammadov”." in last.content.decode()


@pytest.mark.parametrize(
    ("language", "text"),
    [("az", "“Mammadov” sorğusu üzrə ən azı 70 nəfər tapıldı."), ("ru", "По запросу «Mammadov» найдено не менее 70 человек.")],
)
def test_the_at_least_count_is_translated(client, common_name, language, text):
    from django.urls import reverse
    from django.utils import translation

    with translation.override(language):
        url = reverse("victims:victim_list")
    html = client.get(url, {"q": "Mammadov"}).content.decode()
    assert text in html


def test_a_sorted_or_multi_word_search_counts_every_match(client, common_name):
    for query in ({"q": "Mammadov", "sort": "name"}, {"q": "Mammadov Sinaq05"}):
        assert not client.get("/en/victims/", query).context["paginator"].count_is_lower_bound


def test_the_nearest_first_page_runs_a_fixed_number_of_queries(client, common_name, django_assert_num_queries):
    client.get("/en/victims/", {"q": "Mammadov"})  # the count cache and the places, once
    # The generation (for the ETag, and again for the places of death kept per generation: tests read
    # it every time), the threshold and the nearest matches with their photos; in a test's own
    # transaction the threshold's transaction is a savepoint (three statements more).
    with django_assert_num_queries(7):
        assert client.get("/en/victims/", {"q": "Mammadov"}).context["paginator"].count_is_lower_bound


# The statements that read and score every match (the nearest-first probe, a search's first page
# with its window count) send the key as a sub-select, which PostgreSQL plans without estimating
# how many documents it matches (victims.querysets.unestimated_search): the same people, in the
# same order, with the same counts.
def _search_statements(client, query: dict) -> tuple[list[str], object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/en/victims/", query)
    return [q["sql"] for q in captured.captured_queries if "search_document" in q["sql"]], response


@pytest.mark.parametrize(
    "query",
    [{"q": "Mammadov"}, {"q": "Mammadov Sinaq05"}, {"q": "Мамедов Синаг"}, {"q": "Mammadov", "letter": "M"}],
)
def test_a_statement_that_scores_every_match_sends_its_key_unestimated(client, common_name, query, monkeypatch):
    from victims import views

    statements, response = _search_statements(client, query)
    assert statements and all("%> (SELECT '" in sql for sql in statements), statements
    again, _response = _search_statements(client, query)  # the count known: the page alone
    assert again and all("%> (SELECT '" in sql for sql in again), again
    monkeypatch.setattr(views, "unestimated_search", lambda queryset: queryset)
    old_statements, old = _search_statements(client, query)
    assert not any("%> (SELECT" in sql for sql in old_statements)
    assert list(response.context["victims"]) == list(old.context["victims"])
    assert response.context["result_count"] == old.context["result_count"]
    assert response.content == old.content


def test_a_statement_that_can_stop_early_keeps_its_key_estimated(client, common_name):
    # A later page reads its ids with a limit, a sorted search too: the estimate keeps an ordered
    # index walk (testing every person of a rare name's registry) out of their plans.
    pages = ({"q": "Mammadov", "page": 2}, {"q": "Mammadov Sinaq", "page": 2})
    for query in pages:
        statements, response = _search_statements(client, query)
        limited = [sql for sql in statements if "OVER ()" not in sql]  # not a probe nor a first page
        assert response.status_code == 200 and limited and len(response.context["victims"]) > 0
        assert not any("%> (SELECT" in sql for sql in limited), limited
    for query in ({"q": "Mammadov", "sort": "name"}, {"q": "Mammadov Sinaq", "sort": "age", "page": 2}):
        for _request in range(2):
            statements, response = _search_statements(client, query)
            assert response.status_code == 200 and statements and len(response.context["victims"]) > 0
            assert not any("%> (SELECT" in sql for sql in statements), statements


def test_unestimated_search_leaves_the_queryset_it_was_given_alone():
    from victims.querysets import unestimated_search

    searched = Victim.objects.published().search("Mammadov").filter(gender="male")
    sql, params = searched.query.sql_with_params()
    unestimated, unestimated_params = unestimated_search(searched).query.sql_with_params()
    assert searched.query.sql_with_params() == (sql, params) and "%%> (SELECT" not in sql
    assert '"search_document" %%> (SELECT %s::text)' in unestimated and unestimated_params == params
    for unsearched in (Victim.objects.published().filter(initial="M"), searched.order_by("family_name")):
        assert unestimated_search(unsearched) is unsearched


def test_the_same_people_in_the_same_order_with_the_key_unestimated(common_name):
    from victims.querysets import unestimated_search

    VictimFactory(family_name="Məmmədova", given_name="Sınaq")
    VictimFactory(family_name="Mamedov", given_name="Testər")
    for query in ("Mammadov", "Məmmədli", "Mammadov Sinaq07", "Мамедов", "Mamedova"):
        searched = Victim.objects.published().search(query)
        expected = [(v.pk, v.similarity, v.spelling_similarity) for v in searched]
        assert len(expected) > 1
        assert [(v.pk, v.similarity, v.spelling_similarity) for v in unestimated_search(searched)] == expected


# Outside a transaction (a request as deployed) the threshold goes in the probe's own round trip,
# "SET LOCAL …; SELECT …", and ends with it (victims.views.word_similarity_threshold).
@pytest.mark.django_db(transaction=True)
def test_as_deployed_the_threshold_goes_with_its_statement_and_ends_with_it(client, settings):
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    settings.PAGE_CACHE_ENABLED = False
    [VictimFactory(family_name="Məmmədov", given_name=f"Sınaq{n:02}") for n in range(70)]
    [VictimFactory(family_name="Məmmədli", given_name=f"Testər{n:02}") for n in range(20)]
    with transaction.atomic():  # in a transaction: the savepoint, as before
        in_transaction = client.get("/en/victims/", {"q": "Mammadov"})
        missing_in_transaction = client.get("/en/victims/", {"q": "Mammadzade", "gender": "female"})
    connection.close()  # a brand-new connection: pg_trgm not yet loaded in the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/en/victims/", {"q": "Mammadov"})
        missing = client.get("/en/victims/", {"q": "Mammadzade", "gender": "female"})
    searched = [q["sql"] for q in captured.captured_queries if "%>" in q["sql"]]
    settings_sent = [q["sql"] for q in captured.captured_queries if "word_similarity_threshold" in q["sql"]]
    # The probe of the first search; the probes of the second (nobody near) and its suggestions.
    thresholds = [sql.partition("; SELECT ")[0].rpartition(" = ")[2] for sql in searched]
    assert thresholds == ["0.8", "0.8", "0.7", "0.3"] and settings_sent == searched
    assert all(sql.startswith("SET LOCAL pg_trgm.word_similarity_threshold = ") for sql in searched)
    assert response.context["paginator"].count_is_lower_bound and response.context["result_count"] == 70
    assert list(response.context["victims"]) == list(in_transaction.context["victims"])
    assert response.content == in_transaction.content
    assert missing.context["suggestions"] and missing.content == missing_in_transaction.content
    with connection.cursor() as cursor:
        cursor.execute("SHOW pg_trgm.word_similarity_threshold")
        assert cursor.fetchone()[0] == "0.6"
