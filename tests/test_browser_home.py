"""A person opens the home page in a real browser, on a phone and on a desktop."""

import pytest

from tests.conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_home_page_shows_the_statement(page, live_server, screenshot, viewport):
    page.set_viewport_size(viewport)
    page.goto(f"{live_server.url}/en/")
    assert page.locator("h1").inner_text() == "Black January"
    assert page.get_by_role("heading", name="The Black January: 15th Anniversary").is_visible()
    assert page.locator(".statement-body p").count() == 6
    assert page.locator("q.quotation").is_visible()
    # Nothing wider than the screen: no horizontal scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    path = screenshot(page, f"home-{viewport['width']}")
    assert path.stat().st_size > 10_000


def test_skip_link_moves_focus_to_the_content(page, live_server):
    page.goto(f"{live_server.url}/en/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
