"""Candles in a real browser, on a phone and a desktop, in two languages: one click lights one and
the count changes without the cached page changing; a message left with a candle is shown once a
curator has accepted it in the admin. Axe clean, no CSP violation."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from contributions.models import Candle, Contribution, ContributionStatus, Kind
from tests.conftest import DESKTOP, PHONE, make_user
from tests.factories import VictimFactory
from tests.test_accessibility import audit
from tests.test_browser_admin import log_in
from tests.test_browser_csp import CspWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [("en", PHONE), ("ru", DESKTOP)]
IDS = ["en-375", "ru-1280"]
COUNT = {"en": ("0 candles", "1 candle"), "ru": ("0 свечей", "1 свеча")}
LIT = {"en": "You lit a candle today", "ru": "Сегодня вы зажгли свечу"}


def person_url(person, language: str) -> str:
    with translation.override(language):
        return person.get_absolute_url()


@pytest.mark.parametrize(("language", "viewport"), CASES, ids=IDS)
def test_one_click_lights_a_candle_and_the_count_follows(
    page, live_server, axe, screenshot, settings, language, viewport
):
    settings.PAGE_CACHE_ENABLED = True
    person = VictimFactory(family_name="Testova", given_name="Nigar")
    page.set_viewport_size(viewport)
    csp = CspWatch(page)
    first = csp.visit(live_server.url + person_url(person, language))
    candles = page.locator("section.candles")
    count = candles.locator(".candle-count")
    count.filter(has_text=COUNT[language][0]).wait_for()
    assert audit(axe, page) == []
    button = candles.get_by_role("button")
    button.click()
    count.filter(has_text=COUNT[language][1]).wait_for()
    assert button.is_disabled() and button.inner_text() == LIT[language]
    candles.scroll_into_view_if_needed()
    screenshot(page, f"candles-lit-{language}-{viewport['width']}", full_page=False)
    assert audit(axe, page) == []
    csp.check("the person page after lighting a candle")
    assert Candle.objects.filter(victim=person).count() == 1

    # The same page bytes after the candle; the count and "you lit one" come from the endpoint.
    again = csp.visit(live_server.url + person_url(person, language))
    assert again.headers["etag"] == first.headers["etag"]
    count.filter(has_text=COUNT[language][1]).wait_for()
    assert candles.get_by_role("button").is_disabled()
    # Another browser sees the count and may light its own.
    other = page.context.browser.new_context(viewport=viewport).new_page()
    other.goto(live_server.url + person_url(person, language))
    other.locator(".candle-count").filter(has_text=COUNT[language][1]).wait_for()
    assert other.locator("section.candles").get_by_role("button").is_enabled()
    other.context.close()


@pytest.mark.parametrize(("language", "viewport"), CASES, ids=IDS)
def test_a_message_with_a_candle_is_shown_once_a_curator_accepts_it(
    browser, page, live_server, django_user_model, axe, screenshot, language, viewport
):
    person = VictimFactory(family_name="Testova", given_name="Nigar")
    make_user(django_user_model, "curator", "Curator")
    page.set_viewport_size(viewport)
    page.goto(live_server.url + person_url(person, language))
    with translation.override(language):
        message_url = reverse("contributions:candle_message", args=[person.slug])
        thanks_url = reverse("contributions:thanks")
    page.click(f"a[href='{message_url}']")
    page.wait_for_url(f"**{message_url}")
    assert audit(axe, page) == []
    page.fill("#id_message", "A synthetic message <i>for a test</i>.")
    page.fill("#id_submitter_name", "Aysel Testova")
    page.fill("#id_submitter_email", "aysel@example.org")
    page.check("#id_consent")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"**{thanks_url}")
    sent = Contribution.objects.get(kind=Kind.CANDLE_MESSAGE)
    assert sent.status == ContributionStatus.NEW and sent.victim == person
    page.goto(live_server.url + message_url)
    assert "A synthetic message" not in page.content()

    curator = browser.new_context(viewport=DESKTOP, locale="en-GB").new_page()
    curator.set_default_timeout(15_000)
    log_in(curator, live_server, "curator")
    curator.goto(f"{live_server.url}/admin/contributions/contribution/{sent.pk}/change/")
    curator.select_option("#id_move_to", ContributionStatus.ACCEPTED)
    curator.locator("input[name=_save]").click()
    curator.wait_for_url("**/admin/contributions/contribution/")
    sent.refresh_from_db()
    assert sent.status == ContributionStatus.ACCEPTED
    assert sent.history.filter(history_change_reason__contains="accepted").exists()
    curator.context.close()

    page.goto(live_server.url + message_url)
    shown = page.locator(".candle-messages")
    assert "A synthetic message <i>for a test</i>." in shown.inner_text()  # as typed, shown as text
    assert "Aysel" not in page.content() and "aysel@example.org" not in page.content()
    assert audit(axe, page) == []
    screenshot(page, f"candle-message-shown-{language}-{viewport['width']}")
