"""The short path (common/shortpath.py): anonymous GETs of public pages skip the per-visitor
middleware, and nothing else does.

Each attack on the layer is a test: a crafted path, a POST, a session or messages cookie, a
language prefix in front of the admin. The protections the skipped middleware give (CSRF, the
session, the sign-in lockout, the second factor) are checked where they matter.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse
from django.utils import translation

from common.shortpath import PublicShortPathMiddleware, is_public_view
from tests.factories import EventFactory
from tests.public_fixtures import public_records

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def took_short_path(response) -> bool:
    return response.wsgi_request.short_path


@pytest.fixture
def records():
    return public_records()


def public_urls(records) -> list[str]:
    event = EventFactory(victims=[records["person"]])
    urls = ["/sitemap.xml", "/sitemap-victims.xml", "/robots.txt"]
    for language in ("az", "en", "ru"):
        with translation.override(language):
            registry = reverse("victims:victim_list")
            urls += [
                reverse("home"), registry, f"{registry}?q=mammadov", f"{registry}?q=Zyxwtestova",
                f"{registry}?page=1&sort=age", records["person"].get_absolute_url(), reverse("victims:event_list"),
                event.get_absolute_url(), reverse("victims:source_list"), reverse("victims:statistics"),
                reverse("about"), reverse("methodology"), reverse("open_data"), reverse("feed"),
            ]  # fmt: skip
    return urls


def test_public_pages_take_the_short_path_and_answer_what_the_full_path_answers(client, records, settings):
    """The same bytes and headers (but Vary) with and without the per-visitor middleware: a
    visitor with an unknown session cookie is anonymous too, but takes the full path."""
    settings.PAGE_CACHE_ENABLED = False  # both render
    with_cookie = Client(headers={"Accept-Language": "en"})
    with_cookie.cookies["sessionid"] = "no-such-session"
    for url in public_urls(records):
        short, full = client.get(url), with_cookie.get(url)
        assert took_short_path(short) and not took_short_path(full), url
        assert (short.status_code, short.content) == (full.status_code, full.content), url
        headers = {name: value for name, value in short.items() if name != "Vary"}
        assert headers == {name: value for name, value in full.items() if name != "Vary"}, url
        assert "Cookie" in short["Vary"], url
        assert "csrftoken" not in short.cookies and "sessionid" not in short.cookies


def test_a_head_request_takes_the_short_path_without_a_body(client, records):
    response = client.head("/en/victims/")
    assert took_short_path(response) and response.status_code == 200 and response.content == b""


@pytest.mark.parametrize(
    "url",
    [
        "/admin/", "/admin/login/", "/admin/login/?next=/en/", "/admin", "//admin/", "/admin//", "/ADMIN/",
        "/en/admin/", "/az/admin/login/", "/en/../admin/", "/en/victims/../../admin/", "/%2e/admin/",
        "/%2E%2E/admin/", "/admin/./", "/admin%00/", "/en/victims/\x00/", "/en/%00", "/admin/victims/victim/",
        "/admin/two-factor/", "/admin/two-factor/setup/", "/staff/export/", "/staff/import/",
        "/en/contribute/testimony/", "/az/melumat/sehadet/", "/i18n/setlang/", "/api/v1/summary",
        "/api/v1/people", "/healthz", "/readyz", "/media/photos/x.jpg", "/en/no-such-page/", "/en/victims",
        "/en/victims/no-such-person/x/",
    ],
)  # fmt: skip
def test_no_other_path_takes_the_short_path(client, records, url):
    """However a path to the admin, the staff pages, a form, sign-in or the API is spelled, it runs
    every middleware; so do 404s and redirects."""
    response = client.get(url)
    assert not took_short_path(response), url
    match = response.wsgi_request.resolver_match
    assert match is None or not is_public_view(match.func), url


def test_other_methods_and_personal_cookies_take_the_full_path(records):
    for cookie in ("sessionid", "messages"):
        visitor = Client()
        visitor.cookies[cookie] = "x"
        assert not took_short_path(visitor.get("/en/victims/")), cookie
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/en/victims/", {"q": "mammadov"})
    assert not took_short_path(response) and response.status_code == 403  # CSRF refuses it first


def test_csrf_still_guards_sign_in_and_the_contribution_forms(records):
    strict = Client(enforce_csrf_checks=True)
    form = strict.get("/en/contribute/testimony/")
    assert not took_short_path(form) and "csrftoken" in form.cookies and "csrfmiddlewaretoken" in form.text
    fields = {"family_name": "Testova", "given_name": "Nigar", "death_date": "1990-01-20", "message": "Synthetic.",
              "submitter_name": "Aysel Testova", "submitter_email": "aysel@example.org", "consent": "on"}  # fmt: skip
    assert Client(enforce_csrf_checks=True).post("/en/contribute/testimony/", fields).status_code == 403
    login = strict.get(reverse("admin:login"))
    assert not took_short_path(login) and "csrftoken" in login.cookies
    refused = Client(enforce_csrf_checks=True).post(reverse("admin:login"), {"username": "x", "password": "y"})
    assert refused.status_code == 403


def test_the_sign_in_lockout_still_counts(settings, client, editor):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    client.get("/en/")  # a public page in between changes nothing
    for _ in range(3):
        client.post(reverse("admin:login"), {"username": "editor", "password": "wrong", "next": "/admin/"})
    response = client.post(reverse("admin:login"), {"username": "editor", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 429


def test_a_signed_in_curator_keeps_the_session_and_the_second_factor_is_still_required(settings, client, editor):
    client.force_login(editor)
    page = client.get("/en/victims/")
    assert not took_short_path(page) and page.wsgi_request.user == editor
    assert client.get("/admin/").status_code == 200
    settings.MEMORIAL_REQUIRE_2FA = True
    for url in ("/en/", "/en/victims/", "/admin/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("two_factor_setup"), url


def test_per_visitor_middleware_must_follow_the_short_path(settings):
    settings.PER_VISITOR_MIDDLEWARE = [*settings.PER_VISITOR_MIDDLEWARE, "memorial.proxies.ForwardedHeadersMiddleware"]
    with pytest.raises(ImproperlyConfigured, match="ForwardedHeadersMiddleware"):
        PublicShortPathMiddleware(lambda request: None)
