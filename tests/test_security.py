"""Security: sign-in lockout, the two-factor gate for staff, response headers, the media path."""

from __future__ import annotations

import os
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import CitationFactory, EventFactory, VictimFactory
from tests.public_fixtures import add_photo, portrait_upload
from tests.test_settings import GOOD_KEY, PRODUCTION_ENV, run_django
from victims import images, services
from victims.models import Event, Photo, Status, Victim

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _english(client):
    """Pages outside the language prefix (the admin) follow the browser's language: ask for English."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def totp_now(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


# --- Sign-in lockout (django-axes) ----------------------------------------------------------


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    return settings


def admin_login(client, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


@pytest.mark.django_db
def test_staff_can_sign_in_through_the_admin_form_with_axes_on(axes_on, client, editor):
    response = admin_login(client, "editor", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/admin/", "/\\evil.example", ""])
def test_a_sign_in_with_an_unsafe_or_empty_next_goes_to_the_admin_home(client, editor, next_url):
    response = client.post(reverse("admin:login"), {"username": "editor", "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


@pytest.mark.django_db
def test_account_is_locked_after_the_failure_limit_even_with_the_right_password(axes_on, client, editor):
    for _ in range(3):
        response = admin_login(client, "editor", "wrong password")
        assert response.status_code in (200, 429)
    response = admin_login(client, "editor", PASSWORD)
    assert response.status_code == 429
    html = response.content.decode()
    assert "Sign-in temporarily locked" in html
    assert "30 minutes" in html
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_lockout_is_per_username_and_address(axes_on, client, editor, curator):
    for _ in range(3):
        admin_login(client, "editor", "wrong password")
    # The same account from another address, and another account from the same address, still work.
    assert admin_login(client, "editor", PASSWORD, ip="198.51.100.2").status_code == 302
    client.logout()
    assert admin_login(client, "curator", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_failures_below_the_limit_are_forgiven_by_a_successful_sign_in(axes_on, client, editor):
    for _ in range(2):
        admin_login(client, "editor", "wrong password")
    assert admin_login(client, "editor", PASSWORD).status_code == 302
    client.logout()
    for _ in range(2):
        admin_login(client, "editor", "wrong password")
    assert admin_login(client, "editor", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_behind_the_proxy_the_lockout_follows_the_client_not_the_proxy(axes_on, client, editor, curator):
    axes_on.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    axes_on.TRUSTED_PROXIES = ["10.0.0.1"]
    for _ in range(3):  # a client that forges an earlier X-Forwarded-For hop changes nothing
        client.post(
            reverse("admin:login"),
            {"username": "editor", "password": "wrong password"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9",
        )
    locked = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="5.6.7.8, 203.0.113.9",
    )
    assert locked.status_code == 429
    other_client = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert other_client.status_code == 302


@pytest.fixture
def behind_proxy(axes_on):
    axes_on.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    axes_on.TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8::/64"]
    return axes_on


@pytest.mark.django_db
def test_a_client_that_reaches_gunicorn_directly_cannot_escape_the_lockout_with_x_forwarded_for(
    behind_proxy, client, editor
):
    """The probe's attack: seven wrong passwords, each with another last X-Forwarded-For value,
    sent straight to gunicorn (not through the proxy), then the right password."""
    for n in range(7):
        client.post(
            reverse("admin:login"),
            {"username": "editor", "password": "wrong password"},
            REMOTE_ADDR="198.51.100.66",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n + 1}",
        )
    response = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.66",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.66"}


@pytest.mark.django_db
def test_the_client_is_the_right_most_hop_that_is_not_a_trusted_proxy(behind_proxy, rf):
    from memorial.proxies import ForwardedHeadersMiddleware
    from memorial.security import client_ip

    cases = [
        # (peer, X-Forwarded-For, expected client)
        ("10.0.0.1", "1.2.3.4, 203.0.113.9", "203.0.113.9"),
        ("10.0.0.1", "1.2.3.4, 203.0.113.9, 10.0.0.7", "203.0.113.9"),  # two proxies of ours
        ("10.0.0.1", "", "10.0.0.1"),
        ("10.0.0.1", "not-an-address", "10.0.0.1"),
        ("10.0.0.1", "203.0.113.9, not-an-address", "10.0.0.1"),
        ("2001:db8::5", "2001:db8:1::9", "2001:db8:1::9"),
        ("198.51.100.66", "203.0.113.9", "198.51.100.66"),  # not a proxy: its header is ignored
        ("10.0.1.1", "203.0.113.9", "10.0.1.1"),  # outside the trusted network
        ("", "203.0.113.9", ""),  # a Unix socket: trusted only when "unix" is listed
    ]
    for peer, forwarded, expected in cases:
        request = rf.get("/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_FOR=forwarded)
        assert client_ip(request) == expected, (peer, forwarded)
        ForwardedHeadersMiddleware(lambda r: setattr(r, "seen", (r.META["REMOTE_ADDR"], client_ip(r))))(request)
        assert request.seen == (expected, expected), (peer, forwarded)


def test_a_unix_socket_peer_is_a_proxy_when_listed(behind_proxy, rf):
    from memorial.security import client_ip

    behind_proxy.TRUSTED_PROXIES = ["unix"]
    assert client_ip(rf.get("/", REMOTE_ADDR="", HTTP_X_FORWARDED_FOR="203.0.113.9")) == "203.0.113.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")) == "127.0.0.1"


@pytest.mark.django_db
def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(behind_proxy, client):
    behind_proxy.SECURE_SSL_REDIRECT = True
    direct = client.get("/en/about/", REMOTE_ADDR="198.51.100.66", HTTP_X_FORWARDED_PROTO="https")
    assert direct.status_code == 301 and direct["Location"].startswith("https://")
    proxied = client.get("/en/about/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200


def test_trusted_proxies_are_read_from_the_environment_and_checked():
    code = "print(settings.TRUSTED_PROXIES)"
    base = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": GOOD_KEY, **PRODUCTION_ENV}
    behind = run_django({**base, "DJANGO_BEHIND_PROXY": "true"}, code)
    assert behind.returncode == 0, behind.stderr
    assert behind.stdout.strip() == "['127.0.0.1', '::1', 'unix']"
    named = run_django({**base, "DJANGO_BEHIND_PROXY": "true", "DJANGO_TRUSTED_PROXIES": "10.1.2.3,10.2.0.0/16"}, code)
    assert named.stdout.strip() == "['10.1.2.3', '10.2.0.0/16']"
    assert run_django(base, code).stdout.strip() == "[]"
    bad = run_django({**base, "DJANGO_TRUSTED_PROXIES": "10.0.0.0/8,proxy.example.org"}, code)
    assert bad.returncode != 0 and "'proxy.example.org' is not an IP address" in bad.stderr


@pytest.mark.django_db
def test_sign_ins_are_audited_and_only_superusers_read_the_audit(axes_on, client, superuser, editor):
    admin_login(client, "editor", "wrong password")
    admin_login(client, "editor", PASSWORD)
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    assert AccessLog.objects.filter(username="editor", ip_address="203.0.113.7").exists()
    assert not AccessAttempt.objects.filter(username="editor").exists()  # reset on success
    assert AccessFailureLog.objects.filter(username="editor", ip_address="203.0.113.7").count() == 1  # kept
    assert client.get("/admin/axes/accesslog/").status_code == 403
    assert client.get("/admin/axes/accessfailurelog/").status_code == 403
    client.force_login(superuser)
    response = client.get("/admin/axes/accesslog/")
    assert response.status_code == 200
    assert "203.0.113.7" in response.content.decode()
    assert client.get("/admin/axes/accessfailurelog/").status_code == 200


# --- Two-factor authentication (django-otp) -------------------------------------------------


@pytest.fixture
def two_factor_on(settings):
    settings.MEMORIAL_REQUIRE_2FA = True
    return settings


@pytest.mark.django_db
def test_staff_without_a_second_factor_cannot_reach_the_admin(two_factor_on, client, editor):
    client.force_login(editor)
    for url in ("/admin/", "/admin/victims/", "/admin/auth/user/", "/staff/export/", "/en/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("two_factor_setup")


@pytest.mark.django_db
def test_superuser_without_a_second_factor_cannot_reach_the_admin(two_factor_on, client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/auth/user/").status_code == 302


@pytest.mark.django_db
def test_staff_with_a_device_must_enter_a_code_and_then_reach_the_admin(two_factor_on, client, editor):
    device = TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    client.force_login(editor)
    response = client.get("/admin/")
    assert response["Location"] == reverse("two_factor_verify")
    wrong = client.post(reverse("two_factor_verify"), {"token": "000000" if totp_now(device) != "000000" else "1"})
    assert wrong.status_code == 200
    assert "This code is not valid." in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # django-otp throttles a device after a wrong code (1 s, doubling); a right code at once is refused.
    throttled = client.post(reverse("two_factor_verify"), {"token": totp_now(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(reverse("two_factor_verify"), {"token": totp_now(device), "next": "/admin/victims/"})
    assert response.status_code == 302
    assert response["Location"] == "/admin/victims/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_verify_ignores_an_offsite_next(two_factor_on, client, editor):
    device = TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    client.force_login(editor)
    response = client.post(reverse("two_factor_verify"), {"token": totp_now(device), "next": "https://evil.example/"})
    assert response["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_enrolment_shows_a_qr_code_confirms_a_first_code_and_gives_backup_codes(two_factor_on, client, curator):
    client.force_login(curator)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    device = TOTPDevice.objects.get(user=curator, confirmed=False)
    assert client.get("/admin/").status_code == 302  # an unconfirmed device is not a second factor
    response = client.post(reverse("two_factor_setup"), {"token": totp_now(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]+)</code></li>", response.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200

    # A backup code works once, in a new session.
    client.logout()
    client.force_login(curator)
    assert client.get("/admin/")["Location"] == reverse("two_factor_verify")
    assert client.post(reverse("two_factor_verify"), {"token": codes[0]}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert StaticDevice.objects.get(user=curator).token_set.count() == 9


@pytest.mark.django_db
def test_enrolment_refuses_a_wrong_first_code(two_factor_on, client, curator):
    client.force_login(curator)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=curator)
    bad = "123456" if totp_now(device) != "123456" else "654321"
    response = client.post(reverse("two_factor_setup"), {"token": bad})
    assert "This code is not valid" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


@pytest.mark.django_db
def test_public_site_and_health_stay_open_to_anonymous_visitors_with_two_factor_on(two_factor_on, client):
    assert client.get("/en/").status_code == 200
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db
def test_two_factor_is_optional_in_development_and_test(settings, client, editor):
    assert settings.MEMORIAL_REQUIRE_2FA is False
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200


def test_production_requires_two_factor_and_enables_axes_by_default():
    result = run_django(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            "DJANGO_ALLOWED_HOSTS": "memorial.example.org",
            **PRODUCTION_ENV,
        },
        "print(settings.MEMORIAL_REQUIRE_2FA, settings.AXES_ENABLED, settings.AXES_FAILURE_LIMIT, "
        "settings.AUTHENTICATION_BACKENDS[0], settings.MIDDLEWARE[-1], settings.SESSION_COOKIE_SECURE, "
        "settings.SESSION_COOKIE_HTTPONLY, settings.CSRF_COOKIE_SECURE)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True", "True", "5", "axes.backends.AxesStandaloneBackend", "axes.middleware.AxesMiddleware",
        "True", "True", "True",
    ]  # fmt: skip


def test_strong_passwords_are_required(settings):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    for weak in ("short1!", "password1234", "123456789012"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("vivid-lantern-orchard-73")


# --- Response headers ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/en/", "/en/victims/", "/en/events/", "/admin/login/"])
def test_pages_carry_the_security_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    # Django adds the nonce only to responses whose template used it.
    assert re.fullmatch(r"'self'( 'nonce-[A-Za-z0-9_\-+/=]+')?", directives["script-src"])
    assert re.fullmatch(r"'self'( 'nonce-[A-Za-z0-9_\-+/=]+')?", directives["style-src"])
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert directives["img-src"] == "'self' data:"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["base-uri"] == "'self'"
    assert directives["form-action"] == "'self'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    # Opener isolation where there is something per visitor; public pages are the same for all.
    expected_coop = "same-origin" if url.startswith("/admin/") else "unsafe-none"
    assert response["Cross-Origin-Opener-Policy"] == expected_coop
    policy = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in policy


@pytest.mark.django_db
def test_each_response_gets_a_fresh_nonce(client):
    first = client.get("/admin/login/")["Content-Security-Policy"]
    second = client.get("/admin/login/")["Content-Security-Policy"]
    assert first != second


@pytest.mark.django_db
def test_hsts_on_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get("/en/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_session_cookie_is_httponly_and_ends_with_the_browser(client, editor, settings):
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    response = client.post(reverse("admin:login"), {"username": "editor", "password": PASSWORD})
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"]
    assert not cookie["expires"] and not cookie["max-age"]


# --- Media path -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name, body",
    [
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("photo.jpg.html", b"<script>alert(1)</script>"),
        ("script.js", b"alert(1)"),
    ],
)
def test_media_never_serves_html_svg_or_script(client, settings, name, body):
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.MEDIA_ROOT / name).write_bytes(body)
    assert client.get(f"/media/{name}").status_code == 404


def rendition_urls(photo) -> list[str]:
    return [photo.rendition_url(size, fmt) for size in photo.renditions for fmt in ("webp", "jpeg")]


@pytest.mark.django_db
def test_media_serves_a_public_rendition_with_nosniff_a_sandbox_and_revalidation(client):
    photo = add_photo(VictimFactory(family_name="Fotolu"), alt_text_en="A grey placeholder drawing")
    url = photo.rendition_url("card", "jpeg")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    # Kept by browsers and proxies, but always revalidated: a withdrawn photo leaves every cache.
    assert response["Cache-Control"] == "no-cache"
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW, Status.WITHDRAWN])
def test_photos_of_an_unpublished_person_answer_404_like_the_page(client, status):
    person = VictimFactory(family_name="Gizlifotov", status=status)
    photo = add_photo(person, alt_text_en="A grey placeholder drawing")
    urls = rendition_urls(photo)
    assert len(urls) == 6
    assert client.get(f"/en/victims/{person.slug}/").status_code == 404
    for url in urls:
        assert client.get(url).status_code == 404, url


@pytest.mark.django_db
def test_withdrawing_hides_the_photos_at_once_even_from_a_revalidating_cache_and_publishing_shows_them(client, editor):
    person = VictimFactory(family_name="Geriçəkilov")
    CitationFactory(victim=person)
    photo = add_photo(person, alt_text_en="A grey placeholder drawing")
    url = photo.rendition_url("full", "webp")
    seen = client.get(url)
    assert seen.status_code == 200
    services.victim_withdraw(victim=person, user=editor)
    assert client.get(url).status_code == 404
    assert client.get(url, HTTP_IF_NONE_MATCH=seen["ETag"]).status_code == 404  # no 304 for a cached copy
    person.refresh_from_db()
    services.victim_publish(victim=person, user=editor)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_photos_of_an_unpublished_event_answer_404(client):
    event = EventFactory(status=Status.DRAFT, published_at=None)
    photo = Photo(event=event, alt_text_en="A grey placeholder drawing")
    services.photo_attach_upload(photo=photo, checked=images.check_upload(portrait_upload()))
    photo.save()
    assert all(client.get(url).status_code == 404 for url in rendition_urls(photo))
    Event.objects.filter(pk=event.pk).update(status=Status.PUBLISHED, published_at=timezone.now())
    assert all(client.get(url).status_code == 200 for url in rendition_urls(photo))


@pytest.mark.django_db
def test_a_file_in_the_media_folder_that_no_public_photo_lists_is_not_served(client, settings):
    photo = add_photo(VictimFactory(), alt_text_en="A grey placeholder drawing")
    folder = settings.MEDIA_ROOT / "photos" / str(photo.uuid)
    (folder / "extra.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    (settings.MEDIA_ROOT / "photos" / "loose.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    assert client.get(f"/media/photos/{photo.uuid}/extra.jpg").status_code == 404
    assert client.get("/media/photos/loose.jpg").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/media/x.jpg%00.html", "/media/photos/%00/card.jpg", "/media/photos/x%00.jpg", "/media/%00",
     "/media/photos/{uuid}/card.jpg%00", "/media/photos/{uuid}/card.jpg%00.html", "/media/photos/{uuid}%2F..%2Fcard.jpg",
     "/media/photos/{uuid}/../{uuid}/card.jpg", "/media/photos/{uuid}//card.jpg", "/media/photos/{uuid}/card.JPG.html"],
)  # fmt: skip
def test_a_malformed_media_path_is_a_404_never_a_500(client, path):
    photo = add_photo(VictimFactory(), alt_text_en="A grey placeholder drawing")
    response = client.get(path.format(uuid=photo.uuid))
    assert response.status_code == 404


@pytest.mark.django_db
def test_media_has_no_listing_and_no_way_out(client, settings):
    (settings.MEDIA_ROOT / "photos").mkdir(parents=True)
    settings.PRIVATE_MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    (settings.PRIVATE_MEDIA_ROOT / "original.jpg").write_bytes(b"\xff\xd8\xff")
    assert client.get("/media/").status_code == 404
    assert client.get("/media/photos/").status_code == 404
    assert client.get("/media/../private/original.jpg").status_code == 404
    assert client.get("/media/%2e%2e/private/original.jpg").status_code == 404


@pytest.mark.django_db
def test_reset_two_factor_command_removes_the_devices(editor):
    from io import StringIO

    from django.core.management import CommandError, call_command

    TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    StaticDevice.objects.create(user=editor, name="backup")
    out = StringIO()
    call_command("reset_two_factor", "editor", dry_run=True, stdout=out)
    assert "Would remove 2" in out.getvalue()
    assert TOTPDevice.objects.filter(user=editor).exists()
    call_command("reset_two_factor", "editor", verbosity=0)
    assert not TOTPDevice.objects.filter(user=editor).exists()
    assert not StaticDevice.objects.filter(user=editor).exists()
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_two_factor", "nobody")


# --- Links built from the request's path (issue 13, item 2) -----------------------------------


def switcher_links(html: str) -> list[str]:
    nav = re.search(r'<nav class="language-switcher".*?</nav>', html, re.S).group(0)
    return re.findall(r'href="([^"]*)"', nav)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path_info", ["//evil.example/en/victims/", "//evil.example", "///evil.example/en/", "/\\evil.example/en/"]
)
def test_the_language_switcher_never_points_off_site(client, path_info):
    """A request for ``//evil.example/en/victims`` (``/%2F%2Fevil.example`` decodes to it too)."""
    from urllib.parse import urljoin, urlsplit

    response = client.get("/", PATH_INFO=path_info)
    assert response.status_code == 404
    links = switcher_links(response.content.decode())
    assert len(links) == 3
    for link in links:
        assert link.startswith("/") and not link.startswith(("//", "/\\")), link
        assert urlsplit(urljoin("https://memorial.example.org/en/", link)).netloc == "memorial.example.org"


@pytest.mark.django_db
def test_the_language_switcher_still_links_the_same_page_in_each_language(client):
    links = switcher_links(client.get("/en/victims/?q=Testov").content.decode())
    assert links == ["/az/qurbanlar/?q=Testov", "/en/victims/?q=Testov", "/ru/zhertvy/?q=Testov"]


# --- The outside probe's requests against gunicorn as deployed (issue 13) -----------------------


def database_url_of_the_tests() -> str:
    from urllib.parse import quote

    from django.db import connection

    config = connection.settings_dict
    auth = quote(config["USER"]) + (f":{quote(config['PASSWORD'])}" if config["PASSWORD"] else "")
    host = quote(str(config["HOST"]), safe="")
    return f"postgres://{auth}@{host}:{config['PORT'] or 5432}/{config['NAME']}"


def http(port: int, method: str, path: str, *, source: str = "127.0.0.1", **headers) -> tuple[int, dict, bytes]:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in {"Host": "memorial.example.org", **headers}.items():
            connection.putheader(name.replace("_", "-"), value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def gunicorn_as_deployed(transactional_db, tmp_path, settings):
    """gunicorn from the checkout (its gunicorn.conf.py), production settings, behind a proxy at
    127.0.0.1; a client reaching gunicorn directly comes from 127.0.0.2."""
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "FORWARDED_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DJANGO_ENV="production", DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="memorial.example.org", DJANGO_BEHIND_PROXY="true", DJANGO_TRUSTED_PROXIES="127.0.0.1",
        DATABASE_URL=database_url_of_the_tests(), DJANGO_MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DJANGO_PRIVATE_MEDIA_ROOT=str(settings.PRIVATE_MEDIA_ROOT), DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        PAGE_CACHE_ENABLED="true", REGISTRY_GENERATION_TTL="0", **PRODUCTION_ENV,
    )  # fmt: skip
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"],
            cwd=root, env=env, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if http(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert server.poll() is None and time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.3)
            yield port, log_path
        finally:
            server.terminate()
            server.wait(timeout=20)


@pytest.mark.slow
def test_the_probes_requests_against_gunicorn_as_deployed(gunicorn_as_deployed):
    port, log_path = gunicorn_as_deployed
    person = VictimFactory(family_name="Sınaqlı", given_name="Nigar")
    photo = add_photo(person, alt_text_en="A grey placeholder drawing")
    page = f"/en/victims/{person.slug}/"
    proxied = {"X_Forwarded_Proto": "https", "X_Forwarded_For": "203.0.113.9"}

    # 5. Health probes over plain HTTP are answered, not redirected.
    assert http(port, "GET", "/healthz", source="127.0.0.2")[0] == 200
    assert http(port, "GET", "/readyz", source="127.0.0.2")[0] == 200
    # 4. A client reaching gunicorn directly cannot pass for HTTPS (neither gunicorn nor Django believes it).
    status, headers, _ = http(port, "GET", page, source="127.0.0.2", **proxied)
    assert status == 301 and headers["Location"].startswith("https://memorial.example.org/")
    # 1. A host with a made-up port renders the canonical address, and so does the cached copy.
    status, headers, body = http(port, "GET", page, Host="memorial.example.org:1", **proxied)
    assert status == 200 and headers["X-Cache"] == "MISS"
    canonical = f'<link rel="canonical" href="https://memorial.example.org{page}">'
    assert canonical in body.decode() and "memorial.example.org:1" not in body.decode()
    status, headers, body = http(port, "GET", page, **proxied)
    assert headers["X-Cache"] == "HIT" and canonical in body.decode()
    #    A host that is not allowed gets 400, even for that cached page.
    assert http(port, "GET", page, Host="evil.example", **proxied)[0] == 400
    # 2. The language links of a crafted address stay on the site.
    body = http(port, "GET", "//evil.example/en/victims/", **proxied)[2].decode()
    assert 'href="//' not in body
    # 3. A NUL byte in a media path is a 404.
    assert http(port, "GET", "/media/x.jpg%00.html", **proxied)[0] == 404
    # Issue 12: a withdrawn person's photo is a 404 like the page; before, it is served.
    rendition = photo.rendition_url("card", "jpeg")
    assert http(port, "GET", rendition, **proxied)[0] == 200
    Victim.objects.filter(pk=person.pk).update(status=Status.WITHDRAWN)
    assert http(port, "GET", rendition, **proxied)[0] == 404
    assert http(port, "GET", page, **proxied)[0] == 404
    # 8. HEAD answers carry no body, and gunicorn has nothing to warn about.
    status, headers, body = http(port, "HEAD", "/en/", **proxied)
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    assert http(port, "HEAD", "/en/about/", **proxied)[0] == 200
    log = log_path.read_text()
    assert "no-body response" not in log, log
    assert "Internal Server Error" not in log and "Error handling request" not in log, log


@pytest.mark.django_db
def test_opener_isolation_stays_where_a_visitor_has_something_of_their_own(client, settings):
    """Public pages answer ``unsafe-none`` (a new renderer per page broke Lighthouse's trace);
    everything else keeps ``same-origin``: the admin, staff pages, sign-in, the visitors' forms, the
    API, and a public page served again from the page cache keeps what it was stored with."""
    settings.PAGE_CACHE_ENABLED = True
    for url in ("/en/", "/en/sources/", "/az/", "/ru/"):
        first, second = client.get(url), client.get(url)
        assert first.status_code == second.status_code == 200, url
        assert first["Cross-Origin-Opener-Policy"] == "unsafe-none", url
        assert second["Cross-Origin-Opener-Policy"] == "unsafe-none", url
    from django.urls import reverse
    from django.utils import translation

    with translation.override("en"):
        forms = [reverse("contributions:testimony")]
    for url in ("/admin/login/", *forms):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
