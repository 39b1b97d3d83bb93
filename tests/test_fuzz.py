"""Fuzzing the public registry: whatever a visitor puts in the search and filter parameters
(NUL bytes, huge numbers, any Unicode, repeated keys), the answer is never a server error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.http import urlencode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import EventFactory, PlaceFactory, VictimFactory

PARAMETERS = ["q", "category", "gender", "age", "place", "died", "sort", "letter", "event", "page"]
VALID = {
    "category": ["killed", "wounded", "missing"],
    "gender": ["female", "male", "unknown"],
    "age": ["0-17", "18-29", "60+"],
    "died": ["19", "20", "21-22", "later"],
    "sort": ["name", "death", "age"],
    "letter": ["A", "Ə", "Ş", "İ", "I"],
    "page": ["1", "2", "last"],
    "event": ["synthetic-fuzz-event", "no-such-event"],
}

nasty_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.sampled_from(
        [
            "\x00", "a\x00b", "%", "%%", "'", '"', "\\", "' OR 1=1 --", "<script>alert(1)</script>",
            "ə" * 500, "Ş" * 101, "%00", "*", "_", "[", "(", "|", "&", "!", ":*", "\u202e", "\ufeff", " ",
            "9" * 400, "-1", "0", "1e309", "NaN", "inf", "２", "１９", "0x10", "last", "first",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)  # fmt: skip


def values_for(name: str):
    return st.one_of(nasty_text, st.sampled_from(VALID[name])) if name in VALID else nasty_text


query_strings = st.lists(
    st.sampled_from(PARAMETERS).flatmap(lambda name: st.tuples(st.just(name), values_for(name))),
    max_size=6,
)


@pytest.fixture
def registry(db):
    place = PlaceFactory(slug="synthetic-street")
    EventFactory(slug="synthetic-fuzz-event")
    for index in range(5):
        VictimFactory(place_of_death=place if index % 2 else None, age=18 + index * 9)


@pytest.fixture
def visitor(settings_debug_off):
    return Client(raise_request_exception=False)


@pytest.fixture
def settings_debug_off(settings):
    settings.DEBUG = False
    return settings


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=query_strings, language=st.sampled_from(["az", "en", "ru"]))
def test_registry_search_and_filters_never_answer_500(registry, visitor, pairs, language):
    url = f"/{language}/victims/" if language == "en" else None
    if url is None:
        from django.urls import reverse
        from django.utils import translation

        with translation.override(language):
            url = reverse("victims:victim_list")
    response = visitor.get(f"{url}?{urlencode(pairs, doseq=True)}")
    assert response.status_code in (200, 304, 400, 404), (pairs, response.status_code)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.text(min_size=1, max_size=200))
def test_raw_query_strings_never_answer_500(registry, visitor, raw):
    """Not even a query string no form would send: stray %, NUL, invalid UTF-8 escapes."""
    from urllib.parse import quote

    query = quote(raw, safe="=&%+;")
    response = visitor.get(f"/en/victims/?{query}")
    assert response.status_code in (200, 304, 400, 404), (query, response.status_code)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(slug=st.text(min_size=1, max_size=120))
def test_person_and_event_addresses_never_answer_500(registry, visitor, slug):
    from urllib.parse import quote

    for prefix in ("/en/victims/", "/en/events/"):
        response = visitor.get(f"{prefix}{quote(slug, safe='')}/")
        assert response.status_code in (200, 301, 302, 404), (slug, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "q=%00", "q=%ff%fe", "page=99999999999999999999999999", "page=-1", "page=0", "letter=%00",
        "q=" + "%C9%99" * 2000, "category=killed&category=wounded", "sort=age&page=last", "q=%25%5F%5C",
    ],
)  # fmt: skip
def test_known_awkward_queries(registry, visitor, query):
    response = visitor.get(f"/en/victims/?{query}")
    assert response.status_code in (200, 400, 404), response.status_code
