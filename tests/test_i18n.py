"""Languages: dates per language, language-prefixed pages, and the per-record fallback of texts."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation

from common.partialdates import format_partial_date
from common.translation_fallback import translated
from tests.factories import EventFactory, VictimFactory

JAN_20 = datetime.date(1990, 1, 20)


def url_in(language: str, name: str, **kwargs) -> str:
    """A page's address in one language: the path segments after the prefix are translated too."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.mark.parametrize(
    ("language", "day", "month", "year"),
    [
        ("az", "20 yanvar 1990", "yanvar 1990", "1990"),
        ("en", "20 January 1990", "January 1990", "1990"),
        ("ru", "20 января 1990", "январь 1990", "1990"),
    ],
)
def test_partial_dates_are_written_in_each_language(language, day, month, year):
    with translation.override(language):
        assert format_partial_date(JAN_20, "day") == day
        assert format_partial_date(datetime.date(1990, 1, 1), "month") == month
        assert format_partial_date(datetime.date(1990, 1, 1), "year") == year
    # An explicit language wins over the active one.
    with translation.override("en"):
        assert format_partial_date(JAN_20, "day", language=language) == day


@pytest.mark.parametrize(
    ("language", "expected"),
    [("az", "3 avqust 1990"), ("en", "3 August 1990"), ("ru", "3 августа 1990")],
)
def test_other_months_and_single_digit_days(language, expected):
    assert format_partial_date(datetime.date(1990, 8, 3), "day", language=language) == expected


def test_no_date_is_empty():
    assert format_partial_date(None, "") == ""


class Record:
    original_language = "en"
    biography_az = ""
    biography_en = "Written in English."
    biography_ru = "Написано по-русски."


def test_translated_prefers_the_current_language_then_the_original():
    record = Record()
    assert translated(record, "biography", language="ru").text == "Написано по-русски."
    az = translated(record, "biography", language="az")
    assert (az.text, az.language, az.is_fallback) == ("Written in English.", "en", True)
    en = translated(record, "biography", language="en")
    assert not en.is_fallback


def test_translated_falls_back_to_any_language_when_the_original_is_empty():
    record = Record()
    record.biography_en = ""
    result = translated(record, "biography", language="az")
    assert (result.text, result.language) == ("Написано по-русски.", "ru")


def test_translated_of_an_empty_field_is_empty_and_not_a_fallback():
    record = Record()
    record.biography_en = record.biography_ru = ""
    result = translated(record, "biography", language="az")
    assert not result and not result.is_fallback


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["az", "ru"])
def test_biography_falls_back_to_the_original_language_with_a_note(client, language):
    victim = VictimFactory(biography_en="A synthetic biography.", original_language="en")
    html = client.get(url_in(language, "victims:victim_detail", slug=victim.slug)).content.decode()
    assert '<div class="translated-text" lang="en"><p>A synthetic biography.</p></div>' in html
    assert 'class="translation-note"' in html


@pytest.mark.django_db
def test_biography_in_the_current_language_has_no_note(client):
    victim = VictimFactory(biography_az="Sınaq tərcümeyi-halı.", biography_en="A synthetic biography.")
    html = client.get(url_in("az", "victims:victim_detail", slug=victim.slug)).content.decode()
    assert '<div class="translated-text" lang="az"><p>Sınaq tərcümeyi-halı.</p></div>' in html
    assert 'class="translation-note"' not in html


@pytest.mark.django_db
def test_event_title_falls_back_on_timeline_and_event_page(client):
    event = EventFactory(title_en="Synthetic event title", summary_en="Synthetic summary.")
    timeline = client.get(url_in("ru", "victims:event_list")).content.decode()
    assert 'lang="en">Synthetic event title</a>' in timeline and 'class="translation-note"' in timeline
    page = client.get(url_in("ru", "victims:event_detail", slug=event.slug)).content.decode()
    assert '<h1 id="event-title" lang="en">Synthetic event title</h1>' in page
    assert 'class="translation-note"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "date"), [("az", "20 yanvar 1990"), ("en", "20 January 1990"), ("ru", "20 января 1990")]
)
def test_person_page_writes_dates_in_the_page_language(client, language, date):
    victim = VictimFactory()
    html = client.get(url_in(language, "victims:victim_detail", slug=victim.slug)).content.decode()
    assert f'<html lang="{language}">' in html
    assert f'<time datetime="1990-01-20">{date}</time>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("cookie_language", ["az", "en", "ru"])
def test_language_switcher_links_keep_the_page_and_the_query(client, cookie_language):
    """Whatever language the visitor's cookie says, each link is the same page in that language."""
    import html as html_lib
    import re

    victim = VictimFactory()
    client.cookies["django_language"] = cookie_language
    page = client.get("/en/victims/", {"q": "sinaq", "sort": "age"}).content.decode()
    assert "csrfmiddlewaretoken" not in page
    switcher = re.search(r'<nav class="language-switcher".*?</nav>', page, re.S).group(0)
    links = dict(re.findall(r'<a href="([^"]+)" hreflang="(\w+)"', switcher))
    links = {code: html_lib.unescape(url) for url, code in links.items()}
    assert links == {
        "az": url_in("az", "victims:victim_list") + "?q=sinaq&sort=age",
        "en": "/en/victims/?q=sinaq&sort=age",
        "ru": url_in("ru", "victims:victim_list") + "?q=sinaq&sort=age",
    }
    assert 'hreflang="en" lang="en" aria-current="page"' in switcher
    assert client.get(links["ru"]).status_code == 200
    page = client.get(url_in("az", "victims:victim_detail", slug=victim.slug)).content.decode()
    assert f'<a href="/en/victims/{victim.slug}/" hreflang="en" lang="en">English</a>' in page


@pytest.mark.django_db
def test_the_layout_kept_per_process_follows_the_page_kind_and_language(client):
    """The header's navigation and the footer are rendered once per language and kind of page
    (CACHES["fragments"]): each page still marks its own section and speaks its own language."""
    import re

    def current_section(path: str) -> tuple[str, str]:
        page = client.get(path).content.decode()
        nav = re.search(r'<nav class="site-nav".*?</nav>', page, re.S).group(0)
        footer = re.search(r'<footer class="site-footer">.*?</footer>', page, re.S).group(0)
        marked = re.findall(r'<a href="([^"]+)" aria-current="page">', nav)
        return (marked[0] if marked else ""), footer

    registry_en, footer_en = current_section("/en/victims/")
    timeline_en, _footer = current_section("/en/events/")
    home_en, _footer = current_section("/en/")
    registry_az, footer_az = current_section(url_in("az", "victims:victim_list"))
    assert (registry_en, timeline_en, home_en) == ("/en/victims/", "/en/events/", "")
    assert registry_az == url_in("az", "victims:victim_list")
    assert "/en/about/" in footer_en and url_in("az", "about") in footer_az and footer_en != footer_az


def test_language_links_of_a_resolved_page_are_those_of_translate_url(rf):
    """The switcher reverses the request's own match instead of resolving its path again: the same
    links as Django's translate_url, query string included."""
    from django.urls import resolve, translate_url

    from victims.templatetags.public import translated_path

    for path in ("/en/victims/?q=%C9%99li&page=2", "/en/events/some-event/", "/en/", "/en/about/"):
        match = resolve(path.partition("?")[0])
        for code in ("az", "en", "ru"):
            assert translated_path(path, match, code) == translate_url(path, code)
    assert translated_path("/en/nowhere/", None, "az") == translate_url("/en/nowhere/", "az")
