"""From a visitor's testimony to the registry in a real browser: the visitor sends a testimony with
a photo (a phone in Russian, a desktop in Azerbaijani) and the receipt arrives at a real SMTP
server; a curator turns it into a draft person and submits it; an editor publishes it; the person
is in the registry, and their photo only once an editor has approved it. A correction sent from the
person page ends in the editor's change form, beside the record."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from contributions.models import Contribution, ContributionStatus, Kind
from tests.conftest import DESKTOP, PHONE, make_user
from tests.factories import VictimFactory
from tests.public_fixtures import portrait_upload
from tests.test_accessibility import audit
from tests.test_browser_curators import staff_page
from victims.models import Photo, Status, Victim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def visitor_page(browser, viewport):
    context = browser.new_context(viewport=viewport, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def public_url(name: str, language: str, *args) -> str:
    with translation.override(language):
        return reverse(name, args=args)


@pytest.mark.parametrize(("language", "viewport"), [("ru", PHONE), ("az", DESKTOP)], ids=["ru-375", "az-1280"])
def test_a_testimony_with_a_photo_reaches_the_registry(
    browser, live_server, django_user_model, smtp, axe, screenshot, tmp_path, language, viewport
):
    make_user(django_user_model, "curator", "Curator")
    make_user(django_user_model, "editor", "Editor")
    portrait = tmp_path / "portrait.jpg"
    portrait.write_bytes(portrait_upload().read())

    visitor = visitor_page(browser, viewport)
    visitor.goto(live_server.url + public_url("contributions:testimony", language))
    visitor.fill("#id_family_name", "Тестова")
    visitor.fill("#id_given_name", "Нигяр")
    visitor.fill("#id_birth_date", "1965")
    visitor.fill("#id_death_date", "1990-01-20")
    visitor.fill("#id_message", "Synthetic circumstances for the moderation test.")
    visitor.fill("#id_relation", "Synthetic niece")
    visitor.set_input_files("#id_upload", str(portrait))
    visitor.fill("#id_submitter_name", "Aysel Sendertestova")
    visitor.fill("#id_submitter_email", "aysel.sender@example.org")
    visitor.check("#id_consent")
    visitor.locator("form button[type=submit]").click()
    visitor.wait_for_url(f"**{public_url('contributions:thanks', language)}")
    [receipt] = smtp.wait(1)
    assert receipt["X-Envelope-To"] == "aysel.sender@example.org"
    contribution = Contribution.objects.get()
    assert contribution.kind == Kind.TESTIMONY and contribution.file

    # The curator: from the queue, one click makes the draft person, then submits it for review.
    curator = staff_page(browser, live_server, "curator")
    curator.goto(f"{live_server.url}{reverse('admin:contributions_contribution_change', args=[contribution.pk])}")
    assert "Nobody in the registry has this name" in curator.locator("#content-main").inner_text()
    screenshot(curator, f"moderation-testimony-{language}")
    curator.get_by_role("button", name="Create a draft person from this testimony").click()
    curator.wait_for_url("**/admin/victims/victim/*/change/")
    victim = Victim.objects.get()
    assert (victim.status, victim.family_name, victim.given_name) == (Status.DRAFT, "Тестова", "Нигяр")
    panel = curator.locator(".contribution-panel")
    assert "aysel.sender@example.org" in panel.inner_text()  # who sent it: for the curators only
    assert curator.input_value("#id_death_date") == "1990-01-20"
    assert not curator.locator("#id_photos-0-is_published").is_checked()
    screenshot(curator, f"moderation-draft-from-testimony-{language}")
    curator.get_by_role("button", name="Submit for review").click()
    curator.wait_for_url(f"{live_server.url}/admin/victims/victim/")
    curator.context.close()
    assert Contribution.objects.get().status == ContributionStatus.ACCEPTED
    _receipt, outcome = smtp.wait(2)
    assert outcome["X-Envelope-To"] == "aysel.sender@example.org"

    # The editor publishes it: the person is in the registry, without the unapproved photo.
    editor = staff_page(browser, live_server, "editor")
    change = f"{live_server.url}{reverse('admin:victims_victim_change', args=[victim.pk])}"
    editor.goto(change)
    editor.get_by_role("button", name="Publish").click()
    editor.wait_for_url(f"{live_server.url}/admin/victims/victim/")
    victim.refresh_from_db()
    assert victim.status == Status.PUBLISHED

    person_url = live_server.url + public_url("victims:victim_detail", language, victim.slug)
    visitor.goto(person_url)
    assert "Нигяр" in visitor.locator("h1").inner_text()
    assert visitor.locator("main picture").count() == 0
    assert "Sendertestova" not in visitor.content() and "aysel.sender" not in visitor.content()
    assert audit(axe, visitor) == []
    visitor.goto(live_server.url + public_url("victims:victim_list", language) + "?q=Testova")
    assert visitor.locator(f"a[href$='{victim.slug}/']").count() >= 1

    # Approved, the photo shows.
    editor.goto(change)
    editor.check("#id_photos-0-is_published")
    screenshot(editor, f"moderation-approve-photo-{language}")
    editor.get_by_role("button", name="Save", exact=True).click()
    editor.wait_for_url(f"{live_server.url}/admin/victims/victim/")
    photo = Photo.objects.get()
    assert photo.is_published and photo.is_primary
    editor.context.close()
    visitor.goto(person_url)
    image = visitor.locator("main picture img").first
    visitor.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert audit(axe, visitor) == []
    screenshot(visitor, f"moderation-published-with-photo-{language}-{viewport['width']}")
    visitor.context.close()


@pytest.mark.parametrize(("language", "viewport"), [("en", PHONE), ("ru", DESKTOP)], ids=["en-375", "ru-1280"])
def test_a_correction_ends_beside_the_change_form(
    browser, live_server, django_user_model, screenshot, language, viewport
):
    make_user(django_user_model, "editor", "Editor")
    person = VictimFactory(family_name="Testova", given_name="Nigar")
    visitor = visitor_page(browser, viewport)
    visitor.goto(live_server.url + public_url("victims:victim_detail", language, person.slug))
    visitor.click(f"a[href='{public_url('contributions:correction', language, person.slug)}']")
    visitor.fill("#id_death_date", "1990-01-21")
    visitor.fill("#id_message", "The date of death is 21 January (synthetic).")
    visitor.fill("#id_evidence", "A synthetic letter from the family.")
    visitor.fill("#id_submitter_name", "Aysel Sendertestova")
    visitor.fill("#id_submitter_email", "aysel.sender@example.org")
    visitor.check("#id_consent")
    visitor.locator("form button[type=submit]").click()
    visitor.wait_for_url(f"**{public_url('contributions:thanks', language)}")
    visitor.context.close()
    correction = Contribution.objects.get()

    editor = staff_page(browser, live_server, "editor")
    editor.goto(f"{live_server.url}{reverse('admin:contributions_contribution_change', args=[correction.pk])}")
    editor.get_by_role("link", name="Correct the person's record beside this proposal").click()
    editor.wait_for_url(f"**/admin/victims/victim/{person.pk}/change/?contribution={correction.pk}")
    panel = editor.locator(".contribution-panel")
    assert "A synthetic letter from the family." in panel.inner_text()
    assert "1990-01-21" in panel.inner_text()
    editor.fill("#id_death_date", "1990-01-21")
    screenshot(editor, f"moderation-correction-beside-{language}")
    editor.get_by_role("button", name="Save and continue editing").click()
    editor.wait_for_url(f"**/admin/victims/victim/{person.pk}/change/**")
    person.refresh_from_db()
    assert person.death_date.isoformat() == "1990-01-21"
    editor.goto(f"{live_server.url}/admin/victims/victim/{person.pk}/change/?contribution={correction.pk}")
    editor.get_by_role("button", name="Accept the correction").click()
    editor.wait_for_load_state("load")
    assert editor.locator(".messagelist").inner_text().strip() != ""
    assert Contribution.objects.get().status == ContributionStatus.ACCEPTED
    editor.context.close()
