"""The ALTCHA check in a real browser, on a phone and a desktop, in two languages: a person solves
it from the keyboard and sends a testimony; a robot that posts over plain HTTP with the CSRF token
but no solution is refused, and what it typed comes back. The widget runs under the site's strict
CSP (no violation, no error), is labelled in the page's language, and the form stays axe clean."""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse
from django.utils import translation

from contributions.models import Contribution
from tests.conftest import DESKTOP, PHONE
from tests.test_accessibility import audit
from tests.test_browser_csp import CspWatch

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = [("en", PHONE), ("az", DESKTOP)]
IDS = ["en-375", "az-1280"]
LABEL = {"en": "I am not a robot", "az": "Mən robot deyiləm", "ru": "Я не робот"}
CHECKED = {"en": "Checked: you may send", "az": "Yoxlanıldı: göndərə bilərsiniz", "ru": "Проверено: можно отправлять"}


def url(name: str, language: str, *args) -> str:
    with translation.override(language):
        return reverse(f"contributions:{name}", args=args)


def fill_testimony(page) -> None:
    page.fill("#id_family_name", "Testova")
    page.fill("#id_given_name", "Nigar")
    page.fill("#id_death_date", "1990-01-20")
    page.fill("#id_message", "Synthetic circumstances, typed in a browser.")
    page.fill("#id_relation", "Synthetic niece")
    page.fill("#id_submitter_name", "Aysel Testova")
    page.fill("#id_submitter_email", "aysel@example.org")
    page.check("#id_consent")


@pytest.mark.parametrize(("language", "viewport"), CASES, ids=IDS)
def test_a_person_solves_the_check_from_the_keyboard_and_sends_a_testimony(
    page, live_server, axe, screenshot, language, viewport
):
    page.set_viewport_size(viewport)
    csp = CspWatch(page)
    csp.visit(live_server.url + url("testimony", language))
    page.get_by_role("checkbox", name=LABEL[language]).wait_for()  # labelled in the page's language
    checkbox = page.locator("altcha-widget input[type=checkbox]")  # its name follows its state
    assert audit(axe, page) == []
    fill_testimony(page)
    # From the consent box, Tab reaches the check; Space starts it.
    page.focus("#id_consent")
    page.keyboard.press("Tab")
    assert checkbox.evaluate("element => element === document.activeElement || element.matches(':focus')")
    page.keyboard.press("Space")
    page.locator("altcha-widget").get_by_text(CHECKED[language]).wait_for()
    assert checkbox.is_checked()
    assert page.get_by_role("checkbox", name=CHECKED[language]).count() == 1
    payload = page.locator("altcha-widget input[type=hidden][name=altcha]").input_value()
    assert len(payload) > 100
    page.locator("altcha-widget").scroll_into_view_if_needed()
    screenshot(page, f"altcha-checked-{language}-{viewport['width']}", full_page=False)
    assert audit(axe, page) == []
    csp.check("the testimony form with the check solved")
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"**{url('thanks', language)}")
    assert Contribution.objects.get().message == "Synthetic circumstances, typed in a browser."


def test_the_check_runs_by_itself_when_the_form_is_sent_at_the_production_cost(page, live_server, settings):
    """Nobody has to find the check: sending starts it, then the form goes. At the production
    cost (ALTCHA_COST as in config/settings.py) the browser needs about a second (printed)."""
    settings.ALTCHA_COST = 5000
    csp = CspWatch(page)
    csp.visit(live_server.url + url("testimony", "ru"))
    page.get_by_role("checkbox", name=LABEL["ru"]).wait_for()
    fill_testimony(page)
    started = time.monotonic()
    page.locator("button[type=submit]").click()
    page.wait_for_url(f"**{url('thanks', 'ru')}", timeout=90_000)
    print(f"ALTCHA at cost {settings.ALTCHA_COST}: solved and sent in {time.monotonic() - started:.1f} s")
    assert Contribution.objects.count() == 1
    csp.check("the testimony form solved on sending")


@pytest.mark.parametrize(("language", "viewport"), CASES, ids=IDS)
def test_a_robot_without_the_proof_of_work_is_refused_over_http(
    page, live_server, axe, screenshot, language, viewport
):
    form_url = live_server.url + url("testimony", language)
    robot = page.context.request  # plain HTTP requests, with the browser's cookies but no script
    form = robot.get(form_url)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text()).group(1)
    data = {"csrfmiddlewaretoken": token, "family_name": "Testova", "given_name": "Nigar",
            "message": "Robot text 4242", "relation": "none", "submitter_name": "Robot Testov",
            "submitter_email": "robot@example.org", "consent": "on"}  # fmt: skip
    answer = robot.post(form_url, form=data, headers={"Referer": form_url})
    assert answer.status == 200
    refusal = {"en": "Please let your browser confirm that you are not a robot",
               "az": "Brauzerinizin robot olmadığınızı təsdiqləməsinə"}[language]  # fmt: skip
    assert refusal in answer.text() and "Robot text 4242" in answer.text()
    assert not Contribution.objects.exists()
    # The same refusal in a browser that sends the form without its check (form.submit() fires no
    # submit event): beside the check, everything typed kept.
    page.set_viewport_size(viewport)
    page.goto(form_url)
    fill_testimony(page)
    page.fill("#id_message", "Robot text 4242")
    with page.expect_navigation():
        page.evaluate("document.querySelector('form.contribution-form').submit()")
    error = page.locator("#id_altcha_error")
    assert error.is_visible()
    assert page.input_value("#id_message") == "Robot text 4242"
    assert audit(axe, page) == []
    error.scroll_into_view_if_needed()
    screenshot(page, f"altcha-refused-{language}-{viewport['width']}", full_page=False)
    assert not Contribution.objects.exists()
