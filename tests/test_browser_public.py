"""A visitor's journey through the public site in a real browser, on a phone and on a desktop."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.conftest import DESKTOP, PHONE
from tests.public_fixtures import public_records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def url_in(language: str, name: str, **kwargs) -> str:
    """A page's address in one language: the path segments after the prefix are translated too."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.fixture
def records():
    return public_records()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_visitor_searches_filters_reads_a_person_follows_a_source_and_switches_language(
    page, live_server, screenshot, records, viewport
):
    width = viewport["width"]
    page.set_viewport_size(viewport)
    person, source = records["person"], records["source"]

    # Search the registry, typing the name without Azerbaijani letters.
    page.goto(f"{live_server.url}/en/victims/")
    screenshot(page, f"public-registry-{width}")
    page.get_by_label("Search by name").fill("mammadov")
    page.get_by_label("Search by name").press("Enter")
    page.wait_for_url(re.compile(r"q=mammadov"))
    assert page.locator(".result-count").inner_text().startswith("2 people found")
    assert page.locator(".wall .name-card").count() == 2
    screenshot(page, f"public-search-{width}")

    # Filter the results: only men.
    page.locator(".filters summary").click()
    page.get_by_label("Gender").select_option("male")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"gender=male"))
    assert "q=mammadov" in page.url
    assert page.locator(".wall .name-card").count() == 1
    assert page.get_by_label("Search by name").input_value() == "mammadov"

    # Open the person's page.
    page.locator(".wall .name-card a").first.click()
    page.wait_for_url(re.compile(rf"/en/victims/{person.slug}/$"))
    assert page.locator("h1").inner_text() == "Sınaqəli Testər oğlu Məmmədov"
    assert page.locator(".person-dates").inner_text().strip() == "March 1965 – 20 January 1990"
    # The first photo is loaded at once (not lazily): it is at the top of the page.
    assert page.locator(".person-photo img").first.get_attribute("loading") is None
    page.wait_for_function(
        "() => { const img = document.querySelector('.person-photo img');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )
    assert page.locator(".person-photo img").get_attribute("alt").startswith("A grey placeholder")
    screenshot(page, f"public-person-{width}")

    # Follow the citation to its source.
    page.locator(".citations a", has_text=source.title).click()
    page.wait_for_url(re.compile(rf"/en/sources/#source-{source.key}$"))
    assert page.locator(f"#source-{source.key}").is_visible()
    assert page.locator(f"#source-{source.key}").evaluate("el => el.matches(':target')")

    # Switch to Azerbaijani, then Russian: the same page, in the other language.
    page.locator(".language-switcher a[hreflang=az]").click()
    page.wait_for_url(re.compile(rf"{url_in('az', 'victims:source_list')}"))
    assert page.locator("html").get_attribute("lang") == "az"
    page.locator(".language-switcher a[hreflang=ru]").click()
    page.wait_for_url(re.compile(rf"{url_in('ru', 'victims:source_list')}"))
    assert page.locator("html").get_attribute("lang") == "ru"

    # Open the timeline from the menu (a phone may show the menu the same way: it is a plain list).
    timeline = url_in("ru", "victims:event_list")
    page.locator(f".site-nav a[href='{timeline}']").click()
    page.wait_for_url(re.compile(rf"{timeline}$"))
    assert page.locator("#day-1990-01-20").inner_text() == "20 января 1990"
    screenshot(page, f"public-timeline-ru-{width}")
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_other_public_pages_render_on_phone_and_desktop(page, live_server, screenshot, records, viewport):
    width = viewport["width"]
    page.set_viewport_size(viewport)
    pages = {
        "home": "/en/",
        "home-az": "/az/",
        "event": f"/en/events/{records['event'].slug}/",
        "sources": "/en/sources/",
        "statistics": "/en/statistics/",
        "person-ru": url_in("ru", "victims:victim_detail", slug=records["person"].slug),
    }
    for name, url in pages.items():
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        assert page.locator("h1").count() == 1, url
        assert page.evaluate("document.documentElement.scrollWidth") <= width, url
        screenshot(page, f"public-{name}-{width}")


def test_person_page_prints_as_a_record(page, live_server, records):
    page.goto(f"{live_server.url}/en/victims/{records['person'].slug}/")
    page.emulate_media(media="print")
    assert not page.locator(".site-header").is_visible()
    assert not page.locator(".language-switcher").is_visible()
    assert page.locator("h1").is_visible() and page.locator(".citations").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf[:4] == b"%PDF"


@pytest.mark.parametrize("path", ["/%2F%2Fevil.example/en/", "/%2F%2Fevil.example/en/victims/"])
def test_the_language_switcher_of_a_crafted_address_stays_on_the_site(page, live_server, screenshot, path):
    """Found by an outside probe: a 404 for ``//evil.example/...`` linked its languages there. (The
    test server, Python's http.server, folds a literal leading ``//`` itself; gunicorn does not:
    tests/test_security.py sends that one to gunicorn.)"""
    from urllib.parse import urlsplit

    site = urlsplit(live_server.url).netloc
    response = page.goto(f"{live_server.url}{path}")
    assert response.status == 404
    screenshot(page, "public-404-crafted-path")
    for name in ("Azərbaycanca", "English", "Русский"):
        page.goto(f"{live_server.url}{path}")
        link = page.locator(".language-switcher").get_by_role("link", name=name)
        assert urlsplit(link.evaluate("a => a.href")).netloc == site, name  # where Chromium would go
        with page.expect_navigation():
            link.click()
        assert urlsplit(page.url).netloc == site, (name, page.url)
