"""The site works under its Content Security Policy: Chromium reports no violation on the public
pages nor in the admin (sign-in with lockout protection, two-factor enrolment, lists, a change form
with inlines, autocomplete, date widgets)."""

from __future__ import annotations

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import make_user
from tests.factories import CitationFactory, EventFactory, NameVariantFactory, SourceFactory, VictimFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


class CspWatch:
    """Collects CSP violations from the page's events and from the console, page after page."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)
        elif message.type == "error" and "favicon" not in (message.location or {}).get("url", ""):
            self.errors.append(f"{message.text} ({(message.location or {}).get('url', '')})")

    def check(self, where: str) -> None:
        events = self.page.evaluate("window.__csp || []")
        assert not events and not self.console, f"CSP violations on {where}: {events} {self.console}"
        assert not self.errors, f"errors on {where}: {self.errors}"

    def visit(self, url: str, where: str | None = None):
        response = self.page.goto(url)
        assert response.status == 200, (url, response.status)
        self.page.wait_for_load_state("networkidle")
        assert response.headers.get("content-security-policy", "").startswith("default-src 'self'")
        self.check(where or url)
        return response


@pytest.fixture
def registry():
    source = SourceFactory(title="Synthetic test source for autocomplete")
    person = VictimFactory()
    NameVariantFactory(victim=person)
    CitationFactory(victim=person, source=source)
    event = EventFactory()
    return {"person": person, "event": event, "source": source}


def test_public_pages_have_no_csp_violations(page, live_server, registry):
    watch = CspWatch(page)
    base = live_server.url
    for url in (
        "/en/",
        "/az/",
        "/en/about/",
        "/en/victims/",
        "/en/victims/?q=Sinaqov&sort=name",
        registry["person"].get_absolute_url(),
        "/en/events/",
        registry["event"].get_absolute_url(),
        "/en/sources/",
        "/en/statistics/",
        "/ru/",
    ):
        watch.visit(base + url)
    # The language switcher and the search form work under the policy.
    page.goto(base + "/en/victims/")
    page.locator("input[name=q]").first.fill("Sınaqov")
    page.locator("input[name=q]").first.press("Enter")
    page.wait_for_load_state("networkidle")
    watch.check("registry search")


def test_admin_works_under_the_policy_from_sign_in_to_a_change_form(page, live_server, registry, settings):
    settings.AXES_ENABLED = True
    settings.MEMORIAL_REQUIRE_2FA = True
    from django.contrib.auth import get_user_model

    editor = make_user(get_user_model(), "editor", "Editor")
    watch = CspWatch(page)
    base = live_server.url

    # Sign in through the admin form, then enrol a second factor as production requires.
    watch.visit(base + "/admin/login/?next=/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/two-factor/setup/**")
    watch.check("two-factor setup")
    assert page.locator("img[src^='data:image/svg+xml']").is_visible()
    device = TOTPDevice.objects.get(user=editor)
    code = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    page.fill("#id_token", f"{code:06d}")
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    watch.check("backup codes")
    assert page.locator(".two-factor-codes li").count() == 10
    backup_code = page.locator(".two-factor-codes li").first.inner_text().strip()

    # Sign out and in again: the admin now asks for a code; a backup code works once.
    page.locator("#logout-form button, form[action$='/admin/logout/'] button").first.click()
    page.wait_for_load_state("networkidle")
    watch.visit(base + "/admin/login/?next=/admin/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct horse battery staple")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/two-factor/**")
    watch.check("two-factor verify")
    page.fill("#id_token", backup_code)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
    watch.check("admin after the second factor")

    watch.visit(base + "/admin/", "admin index")
    watch.visit(base + "/admin/victims/victim/", "victim changelist")
    watch.visit(base + "/admin/victims/victim/?q=Sinaqov", "victim changelist search")
    watch.visit(base + "/admin/victims/event/", "event changelist")
    watch.visit(base + "/admin/victims/source/", "source changelist")

    person = registry["person"]
    watch.visit(base + f"/admin/victims/victim/{person.pk}/change/", "victim change form")
    # Inlines: "Add another" rows are made by the admin's JavaScript.
    add_links = page.locator(".add-row a")
    assert add_links.count() > 0
    rows_before = page.locator(".inline-related:not(.empty-form), .inline-related tr.form-row").count()
    add_links.first.click()
    assert page.locator(".inline-related:not(.empty-form), .inline-related tr.form-row").count() > rows_before
    watch.check("inline added")
    # Autocomplete (select2) on a citation's source.
    autocomplete = page.locator("select[name$='-0-source'] + .select2 .select2-selection")
    assert autocomplete.count() == 1
    autocomplete.click()
    page.locator(".select2-search__field").fill("Synthetic")
    page.wait_for_selector(".select2-results__option:has-text('Synthetic test source for autocomplete')")
    watch.check("autocomplete")
    page.keyboard.press("Escape")
    # Dates of 1990 are plain ISO inputs (common.partialdates.HistoricDateInput): no calendar
    # opening at today, no time-zone note; typing one breaks nothing under the policy.
    assert page.locator(".datetimeshortcuts").count() == 0
    page.fill("#id_birth_date", "1972-03")
    watch.check("date input")
    watch.visit(base + "/admin/victims/victim/add/", "victim add form")
    watch.visit(base + "/admin/victims/event/add/", "event add form")
    watch.visit(base + f"/admin/victims/victim/{person.pk}/history/", "history")
    watch.visit(base + "/staff/export/", "staff export")
