"""WCAG 2.2 AA: an axe-core audit of every public page in every language, keyboard use, 320 px."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.public_fixtures import public_records

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["az", "en", "ru"]


def public_pages(records, language: str) -> dict[str, str]:
    """Each page in one language; the paths after the language prefix are translated too."""
    with translation.override(language):
        registry = reverse("victims:victim_list")
        return {
            "home": reverse("home"),
            "registry": registry,
            "search": f"{registry}?q=mammadov&gender=male",
            "no-results": f"{registry}?q=mammadzade",
            "person": reverse("victims:victim_detail", args=[records["person"].slug]),
            "timeline": reverse("victims:event_list"),
            "event": reverse("victims:event_detail", args=[records["event"].slug]),
            "sources": reverse("victims:source_list"),
            "statistics": reverse("victims:statistics"),
            "about": reverse("about"),
            "open-data": reverse("open_data"),
            "embed-card": reverse("embed_person", args=[records["person"].slug]),
            "embed-counter": reverse("embed_counter"),
            "methodology": reverse("methodology"),
        }


@pytest.fixture
def records():
    from victims.dataset import dataset_publish

    records = public_records()
    dataset_publish()  # the Data page lists the release's files
    return records


def audit(axe, page) -> list[str]:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})  # fmt: skip
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + "; ".join(
            node["target"][0] if isinstance(node["target"][0], str) else str(node["target"])
            for node in violation["nodes"][:5]
        )  # fmt: skip
        for violation in results.response["violations"]
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_axe_finds_no_violations_on_the_public_pages(page, live_server, records, axe, language):
    problems = {}
    for name, url in public_pages(records, language).items():
        response = page.goto(f"{live_server.url}{url}")
        assert response.status == 200, url
        found = audit(axe, page)
        if found:
            problems[f"{language} {name}"] = found
    assert problems == {}


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_horizontal_scrolling_at_320_pixels(page, live_server, records, language):
    page.set_viewport_size({"width": 320, "height": 640})
    for url in public_pages(records, language).values():
        page.goto(f"{live_server.url}{url}")
        width = page.evaluate("Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)")
        assert width <= 320, url


def test_keyboard_alone_searches_and_opens_a_person(page, live_server, records):
    page.goto(f"{live_server.url}/en/victims/")
    # Tab from the top of the page until the search box has focus; every stop shows its focus.
    for _ in range(20):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.id")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", page.evaluate("document.activeElement.outerHTML")
        if focused == "id_q":
            break
    assert focused == "id_q"
    page.keyboard.type("Мамедов")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=*")
    link = page.locator(".wall .name-card a").first
    link.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/en/victims/{records['person'].slug}/")
    assert page.locator("h1").inner_text().endswith("Məmmədov")


def test_filters_and_alphabet_work_by_keyboard(page, live_server, records):
    page.goto(f"{live_server.url}/en/victims/")
    page.locator(".filters summary").focus()
    page.keyboard.press("Enter")
    page.get_by_label("Age", exact=True).focus()
    page.get_by_label("Age", exact=True).select_option("18-29")
    page.get_by_role("button", name="Show").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**age=18-29*")
    page.locator(".alphabet a", has_text="C").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**letter=*")
    assert "age=18-29" in page.url
    # C, not Ç: Çələbiyev (26) is of age but under another letter.
    assert page.locator(".wall .name-card-name").all_inner_texts() == ["Sınaq1 Cəfərli"]


def test_the_audit_itself_reports_a_known_violation(page, axe):
    """The audit can fail: an image without alternative text is reported."""
    page.set_content('<!doctype html><html lang="en"><title>t</title><main><img src="x.png"></main></html>')
    assert any(problem.startswith("image-alt") for problem in audit(axe, page))
