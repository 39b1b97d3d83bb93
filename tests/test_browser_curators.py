"""What a curator and an editor do in the admin, in a real browser, from a time zone other than
the server's: dates without a time-zone note, what waits for each role, withdrawing with a reason."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.test_browser_admin import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def staff_page(browser, live_server, username: str, timezone_id: str = "Europe/London"):
    """A signed-in staff member's page at 1280 px, in a browser whose clock is not in Baku."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB", timezone_id=timezone_id)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, username)
    return page


@pytest.mark.parametrize("model", ["victim", "event"])
def test_date_fields_carry_no_time_zone_note(browser, live_server, django_user_model, screenshot, model):
    make_user(django_user_model, "curator", "Curator")
    page = staff_page(browser, live_server, "curator", timezone_id="America/New_York")
    page.goto(f"{live_server.url}/admin/victims/{model}/add/")
    date_field = "#id_death_date" if model == "victim" else "#id_start_date"
    page.wait_for_load_state("load")
    assert page.locator(date_field).is_visible()
    screenshot(page, f"admin-{model}-add-dates")
    assert page.locator(".timezonewarning").count() == 0
    assert "timezone" not in page.locator("#content-main").inner_text()
    page.context.close()
