"""A common family name in a real browser: the first page from the nearest matches says "at least",
the page that leaves them counts every match. Every person here is synthetic ("Sınaq", "Testər")."""

from __future__ import annotations

import pytest

from tests.conftest import PHONE
from tests.factories import VictimFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_common_name_pages_from_at_least_to_the_full_count(page, live_server, screenshot, settings):
    settings.PAGE_CACHE_ENABLED = False
    for n in range(70):
        VictimFactory(family_name="Məmmədov", given_name=f"Sınaq{n:02}")
    for n in range(20):
        VictimFactory(family_name="Məmmədli", given_name=f"Testər{n:02}")
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/en/victims/?q=Mammadov")
    status = page.locator(".result-count")
    assert status.inner_text().strip() == "At least 70 people found for “Mammadov”. Page 1."
    assert page.locator(".wall .name-card").count() == 60
    screenshot(page, "search-at-least-phone")
    page.get_by_role("link", name="Next").click()
    assert status.inner_text().strip() == "90 people found for “Mammadov”. Page 2 of 2."
    assert page.locator(".wall .name-card").count() == 30
    screenshot(page, "search-full-count-phone")
