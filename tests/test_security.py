"""Security: sign-in lockout, the two-factor gate for staff, response headers, the media path."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.test_settings import GOOD_KEY, run_django

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
        {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_ALLOWED_HOSTS": "memorial.example.org"},
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
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
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


@pytest.mark.django_db
def test_media_serves_an_image_rendition_with_nosniff_and_a_sandbox(client, settings):
    folder = settings.MEDIA_ROOT / "photos"
    folder.mkdir(parents=True)
    (folder / "p.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 64)
    response = client.get("/media/photos/p.jpg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


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
