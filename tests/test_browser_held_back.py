"""A Data staff member imports a file with one likely duplicate, finds the row held back on the
admin home and resolves it, in a real browser at 1280 px. Names are synthetic ("Testova")."""

from __future__ import annotations

import pytest

from tests.conftest import make_user
from tests.test_browser_curators import OVERFLOWING, staff_page
from tests.test_held_back import _csv, _row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_member_imports_a_likely_duplicate_finds_it_on_the_home_page_and_resolves_it(
    browser, live_server, django_user_model, screenshot, tmp_path
):
    from tests.factories import SourceFactory, VictimFactory
    from victims.models import HeldBackRow, HeldBackState, Victim

    make_user(django_user_model, "datastaff", "Data staff")
    existing = VictimFactory(family_name="Testova", given_name="Nigar", slug="testova-nigar")
    SourceFactory(key="sinaq-arxiv")
    upload = tmp_path / "batch.csv"
    upload.write_bytes(_csv([_row("Testova", "Nigar", citations="sinaq-arxiv|p. 7|"), _row("Sınaqlı", "Nərmin")]))

    page = staff_page(browser, live_server, "datastaff")
    page.goto(f"{live_server.url}/staff/import/")
    page.set_input_files("input[type=file]", str(upload))
    page.locator("#content-main form input[type=submit], #content-main form button[type=submit]").first.click()
    page.wait_for_url("**/staff/import/preview/")
    assert "Nigar Testova" in page.locator(".staff-duplicates").inner_text()
    page.get_by_role("button", name="Import").click()
    page.wait_for_url("**/staff/import/")
    assert Victim.objects.filter(given_name="Nərmin").exists()

    page.goto(f"{live_server.url}/admin/")
    needs = page.locator(".what-needs-me")
    link = needs.get_by_role("link", name="1 imported row is held back as a likely duplicate")
    screenshot(page, "admin-home-held-back", full_page=False)
    link.click()
    page.wait_for_url("**/admin/victims/heldbackrow/?state__exact=waiting")
    screenshot(page, "admin-held-back-list")
    assert page.evaluate(OVERFLOWING) == []  # nothing cut off at 1280 px
    page.locator("#result_list").get_by_role("link", name="Nigar Testova").click()
    page.wait_for_url(lambda url: "/admin/victims/heldbackrow/" in url and "/change/" in url)
    assert "name similarity" in page.locator("#content-main").inner_text()
    page.get_by_label("It is this person in the registry").check()
    page.get_by_label("Open the person’s form afterwards").uncheck()
    screenshot(page, "admin-held-back-row")
    assert page.evaluate(OVERFLOWING) == []
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/victims/heldbackrow/?state__exact=waiting")
    assert "was recorded as “Nigar Testova”, who was not changed" in page.locator(".messagelist").inner_text()
    row = HeldBackRow.objects.get()
    assert (row.state, row.victim_id) == (HeldBackState.MATCHED, existing.pk)
    page.goto(f"{live_server.url}/admin/")
    assert "held back as a likely duplicate" not in page.locator(".what-needs-me").inner_text()
    page.context.close()
