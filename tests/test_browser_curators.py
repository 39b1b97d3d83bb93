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


def test_a_curator_finds_what_was_returned_to_draft(browser, live_server, django_user_model, screenshot):
    from tests.factories import VictimFactory
    from victims import services

    curator = make_user(django_user_model, "curator", "Curator")
    editor = make_user(django_user_model, "editor", "Editor")
    person = VictimFactory(draft=True, family_name="Testova", given_name="Nigar")
    services.victim_submit_for_review(victim=person, user=curator)
    services.victim_return_to_draft(victim=person, user=editor)

    page = staff_page(browser, live_server, "curator")
    needs = page.locator(".what-needs-me")
    assert "1 person was returned to draft" in needs.inner_text()
    screenshot(page, "admin-home-curator")
    needs.get_by_role("link", name="1 person was returned to draft").click()
    page.wait_for_url("**/admin/victims/victim/?returned=yes")
    assert page.locator("#result_list").get_by_role("link", name="Nigar Testova").count() == 1
    # Only what a curator may do: no export or import link, no withdraw button.
    assert page.locator("#nav-sidebar").get_by_role("link", name="Export the registry").count() == 0
    page.context.close()


def test_an_editor_withdraws_a_person_with_a_reason(browser, live_server, django_user_model, screenshot):
    from tests.factories import CitationFactory, VictimFactory
    from victims.models import Status, Victim

    make_user(django_user_model, "editor", "Editor")
    person = VictimFactory(family_name="Testova", given_name="Nigar")
    CitationFactory(victim=person)

    page = staff_page(browser, live_server, "editor")
    page.goto(f"{live_server.url}/admin/victims/victim/{person.pk}/change/")
    page.get_by_role("link", name="Withdraw…").click()
    page.wait_for_url(f"**/admin/victims/victim/{person.pk}/withdraw/")
    assert "Nigar Testova" in page.locator("#content").inner_text()
    page.get_by_role("button", name="Yes, withdraw").click()  # no reason yet: asked again
    assert page.locator(".errorlist").is_visible()
    assert Victim.objects.get(pk=person.pk).status == Status.PUBLISHED
    page.get_by_label("Reason").fill("A synthetic duplicate of another record")
    screenshot(page, "admin-withdraw-confirmation")
    page.get_by_role("button", name="Yes, withdraw").click()
    page.wait_for_url(f"**/admin/victims/victim/{person.pk}/change/")
    message = page.locator(".messagelist").inner_text()
    assert "“Nigar Testova” was withdrawn: A synthetic duplicate of another record" in message
    assert "successfully" not in message
    assert "A synthetic duplicate of another record" in page.locator(".record-withdrawal").inner_text()
    screenshot(page, "admin-withdrawn-record")
    assert Victim.objects.get(pk=person.pk).status == Status.WITHDRAWN
    page.context.close()


OVERFLOWING = """() => {
  const main = document.querySelector('#content-main').getBoundingClientRect();
  const cut = [];
  for (const el of document.querySelectorAll('#content-main input:not([type=hidden]):not([type=checkbox]), #content-main textarea, #content-main select, #content-main th')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    const name = el.id || el.name || el.textContent.trim();
    if (box.right > main.right + 1) cut.push(`${name}: right edge ${Math.round(box.right)} > ${Math.round(main.right)}`);
    if (el.scrollWidth > el.clientWidth + 1 && el.tagName === 'TH') cut.push(`${name}: header text cut`);
    let parent = el.parentElement;
    while (parent && parent !== document.body) {
      const style = getComputedStyle(parent);
      if (style.overflowX !== 'visible') {
        const clip = parent.getBoundingClientRect();
        if (box.right > clip.right + 1 || box.left < clip.left - 1) cut.push(`${name}: clipped by ${parent.tagName}.${parent.className}`);
        break;
      }
      parent = parent.parentElement;
    }
  }
  return cut;
}"""


@pytest.mark.parametrize("model", ["victim", "event"])
def test_no_text_box_or_header_is_cut_off_at_1280_px(browser, live_server, django_user_model, screenshot, model):
    from tests.factories import CitationFactory, EventFactory, NameVariantFactory, VictimFactory

    make_user(django_user_model, "editor", "Editor")
    if model == "victim":
        record = VictimFactory(draft=True, family_name="Testova", given_name="Nigar")
        NameVariantFactory(victim=record, name="Тестова Нигяр Синаг гызы")
        CitationFactory(victim=record, locator="pp. 12–14", supports="date and place of death (synthetic)")
    else:
        record = EventFactory(status="draft", published_at=None)
        CitationFactory(victim=None, event=record, locator="p. 3", supports="synthetic")
    page = staff_page(browser, live_server, "editor")
    page.goto(f"{live_server.url}/admin/victims/{model}/{record.pk}/change/")
    page.wait_for_load_state("load")
    screenshot(page, f"admin-{model}-change-1280")
    cut = page.evaluate(OVERFLOWING)
    assert cut == [], cut
    page.context.close()


def test_a_superuser_adds_a_staff_member_and_data_staff_read_the_import_page(
    browser, live_server, django_user_model, screenshot
):
    from django.contrib.auth.models import Group

    django_user_model.objects.create_superuser(username="root", password="correct horse battery staple")
    from tests.factories import VictimFactory

    make_user(django_user_model, "datastaff", "Data staff")
    person = VictimFactory()
    page = staff_page(browser, live_server, "root")
    page.goto(f"{live_server.url}/admin/auth/user/")
    page.get_by_role("link", name="Add staff member").click()
    page.get_by_label("First name").fill("Nigar")
    page.get_by_label("Last name").fill("Testova")
    page.get_by_label("Email address").fill("nigar.testova@example.org")
    page.get_by_role("radio", name="Curator: Adds people").check()
    page.get_by_label("Username").fill("ntestova")
    page.fill("#id_password1", "a long synthetic passphrase 71")
    page.fill("#id_password2", "a long synthetic passphrase 71")
    assert page.evaluate(OVERFLOWING) == []
    screenshot(page, "admin-add-staff-member")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url("**/admin/auth/user/*/change/")
    member = django_user_model.objects.get(username="ntestova")
    assert member.is_staff and list(member.groups.all()) == [Group.objects.get(name="Curator")]
    page.context.close()

    page = staff_page(browser, live_server, "datastaff")
    page.locator("#content-main").get_by_role("link", name="Import people").click()
    page.wait_for_url("**/staff/import/")
    page.get_by_text("Place slugs").click()  # opens the list
    assert page.locator(".staff-places table").is_visible()
    screenshot(page, "staff-import-page")
    page.goto(f"{live_server.url}/admin/victims/victim/{person.pk}/history/")
    assert "Your role does not allow this" in page.locator("#content").inner_text()
    screenshot(page, "admin-forbidden")
    page.context.close()
