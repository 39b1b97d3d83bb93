"""Two-factor authentication for staff (django-otp): enrol an authenticator app, then enter a
code after each password login. ``memorial.security.RequireTwoFactorMiddleware`` sends staff
here when ``MEMORIAL_REQUIRE_2FA`` is on (production).

Enrolment shows a QR code (an SVG in a ``data:`` URI, allowed by the site's CSP) and the secret
in text, checks a first code, then shows ten single-use backup codes once. A superuser resets a
lost device by deleting it in the admin (Django OTP › TOTP devices).
"""

from __future__ import annotations

import base64
import io
from base64 import b32encode

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

BACKUP_CODES = 10


def name_the_models() -> None:
    """Human names in the admin for django-otp's apps and models ("TOTP devices" under
    "Otp_Totp" says nothing to a superuser resetting a colleague's lost phone). Set on the live
    model options only, not as model options a migration would record."""
    names = {
        TOTPDevice: (_("authenticator app"), _("authenticator apps")),
        StaticDevice: (_("set of backup codes"), _("sets of backup codes")),
        StaticToken: (_("backup code"), _("backup codes")),
    }
    for model, (single, plural) in names.items():
        model._meta.verbose_name, model._meta.verbose_name_plural = single, plural
    apps.get_app_config("otp_totp").verbose_name = _("Two-factor sign-in: authenticator apps")
    apps.get_app_config("otp_static").verbose_name = _("Two-factor sign-in: backup codes")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return "".join(self.cleaned_data["token"].split())


def qr_data_uri(text: str) -> str:
    """A QR code of ``text`` as an SVG ``data:`` URI, for an ``<img>``."""
    import qrcode
    import qrcode.image.svg

    out = io.BytesIO()
    qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8).save(out)
    return "data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode()


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return ""


def _context(request: HttpRequest, **extra) -> dict:
    return {**admin.site.each_context(request), "next": _next_url(request), **extra}


@transaction.atomic
def backup_codes_create(*, user) -> list[str]:
    """Replace the user's backup codes with ten new single-use codes."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name="backup", defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@never_cache
@sensitive_post_parameters("token")
@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol a TOTP device: scan, type the first code, receive backup codes."""
    if not request.user.is_staff:
        return redirect("home")
    if user_has_device(request.user):
        return redirect("two_factor_verify")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="authenticator", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            codes = backup_codes_create(user=request.user)
            return render(request, "admin/two_factor/backup_codes.html", _context(request, codes=codes))
        form.add_error("token", _("This code is not valid. Check the time on your phone and try the newest code."))
    return render(
        request,
        "admin/two_factor/setup.html",
        _context(
            request,
            form=form,
            qr_code=qr_data_uri(device.config_url),
            secret=b32encode(device.bin_key).decode(),
            title=_("Set up two-factor authentication"),
        ),
    )


@never_cache
@sensitive_post_parameters("token")
@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Ask for a code from the authenticator app (or a backup code) after the password."""
    if not user_has_device(request.user):
        return redirect("two_factor_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        throttled, verified = False, None
        # Devices are locked (select_for_update) while checking: two requests cannot spend one code.
        with transaction.atomic():
            for device in devices_for_user(request.user, for_verify=True):
                if not device.verify_is_allowed()[0]:  # after a wrong code, each device waits 1 s, 2 s, 4 s…
                    throttled = True
                elif device.verify_token(form.cleaned_data["token"]):
                    verified = device
                    break
        if verified is not None:
            otp_login(request, verified)
            return redirect(_next_url(request) or "admin:index")
        if throttled:
            form.add_error("token", _("Too many wrong codes. Wait a little and try the newest code again."))
        else:
            form.add_error("token", _("This code is not valid."))
    return render(request, "admin/two_factor/verify.html", _context(request, form=form, title=_("Two-factor code")))
