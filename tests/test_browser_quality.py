"""An Editor opens the data quality page from the admin home and follows a line to the admin list
it filters, in a real browser at 1280 px; axe finds nothing on the page."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.factories import VictimFactory
from tests.test_accessibility import audit
from tests.test_browser_admin import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_opens_data_quality_and_follows_a_line(browser, live_server, django_user_model, screenshot, axe):
    make_user(django_user_model, "editor", "Editor")
    VictimFactory(family_name="Testova", given_name="Nigar")
    VictimFactory(family_name="Sınaqova", given_name="Leyla", death_date=None, death_precision="")
    VictimFactory(family_name="Testov", given_name="Sınaq", death_date=None, death_precision="")

    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "editor")
    page.locator("#content-main").get_by_role("link", name="Data quality").click()
    page.wait_for_url("**/staff/quality/")
    row = page.get_by_role("row", name="People without a date of death")
    assert row.get_by_role("cell").inner_text() == "2"
    assert audit(axe, page) == []
    screenshot(page, "staff-quality")

    row.get_by_role("link").click()
    page.wait_for_url("**/admin/victims/victim/?quality=no_death_date")
    names = page.locator("#result_list tbody .field-name").all_inner_texts()
    assert sorted(name.strip() for name in names) == ["Leyla Sınaqova", "Sınaq Testov"]
    assert "People without a date of death" in page.locator("#changelist-filter").inner_text()
    screenshot(page, "staff-quality-filtered-list")
