"""The public pages are kept on the server per registry generation: a repeated request is answered
from the page cache, a change to the registry shows at once, and nothing personal is ever stored."""

from __future__ import annotations

import os

import pytest
from django.test import Client

from tests.factories import CitationFactory, VictimFactory
from victims import services
from victims.caching import forget_generation
from victims.models import Status, Victim

pytestmark = pytest.mark.django_db


def test_a_repeated_public_page_comes_from_the_cache_with_the_same_bytes(client, django_assert_num_queries):
    victim = VictimFactory()
    url = f"/en/victims/{victim.slug}/"
    first = client.get(url)
    assert first.status_code == 200 and first["X-Cache"] == "MISS"
    # A hit costs the generation query (read each time in tests) and nothing else.
    with django_assert_num_queries(1):
        again = client.get(url)
    assert again.status_code == 200 and again["X-Cache"] == "HIT"
    assert again.content == first.content
    assert again["ETag"] == first["ETag"]
    assert again["Content-Type"] == "text/html; charset=utf-8"
    assert again["Cache-Control"] == "no-cache"
    # The outer middleware still adds the security headers to a cached answer.
    assert again["Content-Security-Policy"].startswith("default-src 'self'")
    assert again["X-Frame-Options"] == "DENY"
    assert again.cookies == {} and first.cookies == {}


def test_a_cached_page_still_answers_a_revalidation_with_304(client):
    VictimFactory()
    first = client.get("/en/victims/")
    response = client.get("/en/victims/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert response.status_code == 304
    assert response["ETag"] == first["ETag"]
    assert response.content == b""
    assert client.get("/en/victims/", HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_each_language_and_query_is_its_own_entry(client):
    VictimFactory(family_name="Sınaqov")
    english = client.get("/en/victims/")
    russian = client.get("/ru/zhertvy/")
    assert russian["X-Cache"] == "MISS" and '<html lang="ru">' in russian.content.decode()
    assert client.get("/en/victims/?q=Sinaqov")["X-Cache"] == "MISS"
    assert client.get("/en/victims/?q=Sinaqov")["X-Cache"] == "HIT"
    assert client.get("/en/victims/")["X-Cache"] == "HIT"
    assert english.content != russian.content


def test_publishing_and_withdrawing_show_at_once(client, editor):
    person = VictimFactory(family_name="Sınaqzadə")
    url = f"/en/victims/{person.slug}/"
    assert "Sınaqzadə" in client.get("/en/victims/").content.decode()
    assert client.get(url).status_code == 200
    assert client.get(url)["X-Cache"] == "HIT"

    services.victim_withdraw(victim=person, user=editor)
    assert client.get(url).status_code == 404
    listing = client.get("/en/victims/")
    assert listing["X-Cache"] == "MISS" and "Sınaqzadə" not in listing.content.decode()

    services.victim_return_to_draft(victim=person, user=editor)
    CitationFactory(victim=person)
    services.victim_publish(victim=Victim.objects.get(pk=person.pk), user=editor)
    assert client.get(url).status_code == 200
    assert "Sınaqzadə" in client.get("/en/victims/").content.decode()


def test_a_bulk_update_shows_too(client):
    """A queryset ``.update()`` sends no signal; the generation (a trigger stamps updated_at) still moves."""
    person = VictimFactory(family_name="Sınaqbəyli")
    assert "Sınaqbəyli" in client.get("/en/victims/").content.decode()
    Victim.objects.filter(pk=person.pk).update(status=Status.WITHDRAWN)
    assert "Sınaqbəyli" not in client.get("/en/victims/").content.decode()


def test_another_process_change_shows_within_the_generation_ttl(client, settings):
    """Each worker trusts the generation it read for REGISTRY_GENERATION_TTL seconds; a change this
    process saves through the ORM resets it at once."""
    settings.REGISTRY_GENERATION_TTL = 3600
    forget_generation()
    person = VictimFactory(family_name="Sınaqova")
    assert "Sınaqova" in client.get("/en/victims/").content.decode()
    # A bulk update sends no signal: it stands for another process's commit; this worker keeps
    # its generation (and its cached page) until the TTL runs out.
    Victim.objects.filter(pk=person.pk).update(status=Status.WITHDRAWN)
    assert "Sınaqova" in client.get("/en/victims/").content.decode()
    forget_generation()  # what the TTL's expiry does
    assert "Sınaqova" not in client.get("/en/victims/").content.decode()
    # A save in this process (a curator's edit) shows at once.
    person.refresh_from_db()
    person.status = Status.PUBLISHED
    person.save()
    assert "Sınaqova" in client.get("/en/victims/").content.decode()


def test_signed_in_visitors_and_other_requests_are_never_cached(client, superuser):
    VictimFactory()
    client.get("/en/victims/")
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(superuser)
    response = staff.get("/en/victims/")
    assert response.status_code == 200 and "X-Cache" not in response
    # Only successful public pages are stored; other paths are not even looked up.
    assert client.get("/en/victims/no-such-person/").status_code == 404
    assert "X-Cache" not in client.get("/en/victims/no-such-person/")
    assert "X-Cache" not in client.get("/healthz")
    assert "X-Cache" not in client.get("/robots.txt")
    assert client.post("/en/victims/").status_code == 405


def test_the_page_cache_can_be_switched_off(client, settings):
    settings.PAGE_CACHE_ENABLED = False
    VictimFactory()
    client.get("/en/victims/")
    assert "X-Cache" not in client.get("/en/victims/")


def test_pages_are_stored_with_the_production_two_factor_check(client, settings):
    """In production the two-factor middleware looks at the session (the answer says Vary: Cookie);
    a visitor without a session cookie still gets the stored page."""
    settings.MEMORIAL_REQUIRE_2FA = True
    VictimFactory()
    first = client.get("/en/victims/")
    assert first["X-Cache"] == "MISS" and "Cookie" in first["Vary"]
    again = client.get("/en/victims/")
    assert again["X-Cache"] == "HIT" and again["Vary"] == first["Vary"]


def test_made_up_parameters_and_huge_pages_are_not_kept(client, settings):
    """Only the parameters the pages read make a cache key: anything else is answered afresh,
    so nobody can fill the cache with copies of a page; pages over the size limit are not kept."""
    VictimFactory()
    assert client.get("/en/victims/", {"q": "Sinaq", "page": 1})["X-Cache"] == "MISS"
    assert client.get("/en/victims/", {"q": "Sinaq", "page": 1})["X-Cache"] == "HIT"
    response = client.get("/en/victims/", {"q": "Sinaq", "utm_source": "spam"})
    assert response.status_code == 200 and "X-Cache" not in response
    assert client.get("/sitemap.xml")["X-Cache"] == "MISS"
    settings.PAGE_CACHE_MAX_ENTRY_BYTES = 1000
    assert "X-Cache" not in client.get("/en/about/")  # a few kilobytes: not kept
    assert "X-Cache" not in client.get("/en/about/")


def test_an_import_shows_at_once_in_the_process_that_ran_it(client, settings, django_capture_on_commit_callbacks):
    """An import writes in bulk and sends no signal; it still resets this process's generation."""
    from tests.factories import SourceFactory
    from tests.test_import import _csv
    from victims.exchange.services import registry_import

    settings.REGISTRY_GENERATION_TTL = 3600
    forget_generation()
    SourceFactory(key="sinaq-menbe")
    assert "Sınaqimportov" not in client.get("/en/victims/").content.decode()
    rows = [{"uuid": "", "family_name": "Sınaqimportov", "given_name": "Testəli", "category": "killed",
             "death_date": "1990-01-20", "status": "published", "citations": "sinaq-menbe|p. 1|ölüm"}]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        result = registry_import(_csv(rows), file_name="new.csv", may_publish=True)
    assert result.ok, result.problems
    assert "Sınaqimportov" in client.get("/en/victims/").content.decode()


# --- A forged Host header (issue 13, item 1) --------------------------------------------------

SITE = "https://memorial.example.org"


@pytest.fixture
def canonical_site(settings):
    settings.SITE_URL = SITE
    settings.ALLOWED_HOSTS = ["memorial.example.org", "localhost"]
    return settings


def test_absolute_urls_come_from_site_url_never_from_the_host_header(client, canonical_site):
    import json
    import re

    victim = VictimFactory(family_name="Hostov")
    url = f"/en/victims/{victim.slug}/"
    canonical = f"{SITE}{url}"
    # Django's host check ignores the port: this host passes it, and must still not reach the page.
    forged = client.get(url, HTTP_HOST="memorial.example.org:1")
    assert forged.status_code == 200 and forged["X-Cache"] == "MISS"
    html = forged.content.decode()
    assert f'<link rel="canonical" href="{canonical}">' in html
    assert f'<meta property="og:url" content="{canonical}">' in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert data["url"] == canonical
    assert "memorial.example.org:1" not in html
    # The next visitor gets the same, correct page from the cache.
    honest = client.get(url, HTTP_HOST="memorial.example.org")
    assert honest["X-Cache"] == "HIT" and f'<link rel="canonical" href="{canonical}">' in honest.content.decode()


def test_sitemaps_and_robots_txt_use_site_url_whatever_the_host(client, canonical_site):
    victim = VictimFactory(family_name="Xəritəli")
    for path in ("/sitemap.xml", "/sitemap-victims.xml", "/sitemap-pages.xml", "/robots.txt"):
        text = client.get(path, HTTP_HOST="memorial.example.org:9999").content.decode()
        assert ":9999" not in text, path
        assert f"{SITE}/" in text, path
    assert (
        f"<loc>{SITE}/sitemap-victims.xml</loc>" in client.get("/sitemap.xml", HTTP_HOST="localhost").content.decode()
    )
    xml = client.get("/sitemap-victims.xml", HTTP_HOST="memorial.example.org:9999").content.decode()
    assert f"<loc>{SITE}{victim.get_absolute_url()}</loc>" in xml
    assert f'hreflang="ru" href="{SITE}/ru/' in xml
    assert f"Sitemap: {SITE}/sitemap.xml" in client.get("/robots.txt", HTTP_HOST="localhost").content.decode()


def test_a_host_that_is_not_allowed_gets_400_even_for_a_cached_page(client, canonical_site):
    victim = VictimFactory()
    url = f"/en/victims/{victim.slug}/"
    assert client.get(url, HTTP_HOST="memorial.example.org")["X-Cache"] == "MISS"
    assert client.get(url, HTTP_HOST="memorial.example.org")["X-Cache"] == "HIT"
    for host in ("evil.example", "127.0.0.2:9999", "memorial.example.org.evil.example"):
        response = client.get(url, HTTP_HOST=host)
        assert response.status_code == 400, host
        assert "X-Cache" not in response


def test_a_deploy_of_code_templates_translations_or_static_files_is_a_new_release(settings, tmp_path, monkeypatch):
    """The release is part of every page's key: whatever a deploy changes that a page shows (its
    code, templates, translations, static files) gives a new one; other files do not."""
    from victims.caching import _release

    monkeypatch.delenv("MEMORIAL_RELEASE", raising=False)
    settings.BASE_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    deployed = ["templates/victims/page.html", "templates/robots.txt", "templates/feed.xml",
                "locale/az/LC_MESSAGES/django.mo", "victims/views.py", "memorial/views.py",
                "common/partialdates.py", "config/settings.py", "staticfiles/staticfiles.json"]  # fmt: skip
    other = ["templates/notes.md", "locale/az/LC_MESSAGES/django.po", "tests/test_pages.py", "var/log.txt",
             "staticfiles/css/site.css"]  # fmt: skip
    for name in deployed + other:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
        os.utime(tmp_path / name, ns=(10**18, 10**18))
    releases = [_release()]
    for step, name in enumerate(deployed + other, start=1):
        os.utime(tmp_path / name, ns=(10**18 + step, 10**18 + step))
        releases.append(_release())
    assert len(set(releases[: len(deployed) + 1])) == len(deployed) + 1  # each deployed file counted
    assert set(releases[len(deployed) :]) == {releases[len(deployed)]}  # the others not

    monkeypatch.setenv("MEMORIAL_RELEASE", " 2026.11.30-1 ")
    assert _release() == "2026.11.30-1"
