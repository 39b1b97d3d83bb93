"""A visitor contributes in a real browser, on a phone and a desktop, in two languages: a
testimony whose receipt arrives at a real SMTP server, a correction from the person page; the
new pages are axe clean."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from contributions.models import Contribution, Kind
from tests.conftest import DESKTOP, PHONE
from tests.factories import VictimFactory
from tests.test_accessibility import audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [("en", PHONE), ("az", DESKTOP)]


def url(name: str, language: str, *args) -> str:
    with translation.override(language):
        return reverse(f"contributions:{name}", args=args)


@pytest.mark.parametrize(("language", "viewport"), CASES, ids=["en-375", "az-1280"])
def test_a_visitor_sends_a_testimony_and_the_receipt_arrives(
    page, live_server, smtp, axe, screenshot, language, viewport
):
    page.set_viewport_size(viewport)
    page.goto(live_server.url + url("testimony", language))
    assert audit(axe, page) == []
    page.fill("#id_family_name", "Testova")
    page.fill("#id_given_name", "Nigar")
    page.fill("#id_birth_date", "1990-05")
    page.fill("#id_death_date", "1990-01-20")
    page.fill("#id_message", "Synthetic circumstances <b>typed</b>.")
    page.fill("#id_relation", "Synthetic niece")
    page.fill("#id_submitter_name", "Aysel Testova")
    page.fill("#id_submitter_email", "aysel@example.org")
    page.check("#id_consent")
    page.click("button[type=submit]")  # the ALTCHA check runs, then the form goes
    # Death before birth: the error beside the field, the text kept.
    page.locator("#id_death_date_error").wait_for()
    assert page.input_value("#id_message") == "Synthetic circumstances <b>typed</b>."
    assert audit(axe, page) == []
    screenshot(page, f"contribution-testimony-error-{language}-{viewport['width']}")
    page.fill("#id_birth_date", "1965")
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{url('thanks', language)}")
    assert audit(axe, page) == []
    screenshot(page, f"contribution-thanks-{language}-{viewport['width']}")
    [message] = smtp.wait(1)
    assert message["X-Envelope-To"] == "aysel@example.org"
    assert Contribution.objects.get().message == "Synthetic circumstances <b>typed</b>."


@pytest.mark.parametrize(("language", "viewport"), CASES, ids=["en-375", "az-1280"])
def test_a_correction_from_the_person_page(page, live_server, axe, screenshot, language, viewport):
    person = VictimFactory(family_name="Testova", given_name="Nigar")
    page.set_viewport_size(viewport)
    with translation.override(language):
        page.goto(live_server.url + person.get_absolute_url())
    page.click(f"a[href='{url('correction', language, person.slug)}']")
    assert page.input_value("#id_family_name") == "Testova"
    assert audit(axe, page) == []
    screenshot(page, f"contribution-correction-{language}-{viewport['width']}")
    page.fill("#id_message", "The date of death is 21 January (synthetic).")
    page.fill("#id_submitter_name", "Aysel Testova")
    page.fill("#id_submitter_email", "aysel@example.org")
    page.check("#id_consent")
    page.click("button[type=submit]")
    page.wait_for_url(f"**{url('thanks', language)}")
    contribution = Contribution.objects.get()
    assert (contribution.kind, contribution.victim_id, contribution.language) == (Kind.CORRECTION, person.pk, language)


def test_privacy_notice_is_axe_clean(page, live_server, axe, screenshot):
    page.set_viewport_size(PHONE)
    page.goto(live_server.url + url("privacy", "ru"))
    assert audit(axe, page) == []
    screenshot(page, "contribution-privacy-ru-375")
