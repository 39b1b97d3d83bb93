"""ALTCHA proof of work on the visitors' forms: a browser shows it is willing to compute before
it may send (a second or so for a person, the same for every message a robot would post).

The server hands out challenges signed with ``settings.ALTCHA_HMAC_KEY`` (PBKDF2/SHA-256 with
``ALTCHA_COST`` iterations per attempt; a solution is a counter whose derived key starts with a
zero byte, about 256 attempts). The widget (``static/vendor/altcha``, served from the site's own
static files under its strict CSP) fetches one from :func:`challenge_view`, solves it in Web
Workers and puts the solution in the form's ``altcha`` field. :func:`verify` checks the signature,
the expiry and the solution, and remembers the challenge in Django's cache until it expires, so
that one solution is accepted once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import time

import altcha
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

ALGORITHM = "PBKDF2/SHA-256"
FIELD = "altcha"
MAX_PAYLOAD = 4096  # characters: a real payload is about 600

MESSAGES = {
    "missing": _(
        "Please let your browser confirm that you are not a robot (the check above the button), then send "
        "again. What you typed is kept."
    ),
    "invalid": _("The check that you are not a robot did not succeed. Please confirm again, then send."),
    "expired": _("The check that you are not a robot has expired. Please confirm again, then send."),
    "replayed": _("This confirmation was already used. Please confirm again, then send."),
}


def new_challenge() -> dict:
    """A fresh signed challenge, as the widget reads it."""
    challenge = altcha.create_challenge(
        algorithm=ALGORITHM,
        cost=settings.ALTCHA_COST,
        expires_at=int(time.time()) + settings.ALTCHA_EXPIRES_SECONDS,
        hmac_secret=settings.ALTCHA_HMAC_KEY,
    )
    return challenge.to_dict()


@require_GET
def challenge_view(request):
    """A new challenge for each request, never kept by a cache (one solution is accepted once)."""
    response = JsonResponse(new_challenge())
    response["Cache-Control"] = "no-store"
    return response


def _signed_parameters(payload: str) -> tuple[str, int] | None:
    """The challenge's signature and expiry, or None when the payload is not what the widget sends."""
    try:
        data = json.loads(base64.b64decode(payload, validate=True))
        signature, expires = data["challenge"]["signature"], data["challenge"]["parameters"]["expiresAt"]
    except (ValueError, binascii.Error, KeyError, TypeError, RecursionError):
        return None
    if not isinstance(signature, str) or type(expires) is not int:
        return None
    return signature, expires


def verify(payload: str | None) -> None:
    """Accept a solved challenge once; raise ValidationError (code missing, invalid, expired or
    replayed) otherwise."""
    if not payload:
        raise ValidationError(MESSAGES["missing"], code="missing")
    parameters = _signed_parameters(payload) if len(payload) <= MAX_PAYLOAD else None
    if parameters is None:
        raise ValidationError(MESSAGES["invalid"], code="invalid")
    result = altcha.verify_solution(payload, settings.ALTCHA_HMAC_KEY)
    if result.expired:
        raise ValidationError(MESSAGES["expired"], code="expired")
    if not result.verified:
        raise ValidationError(MESSAGES["invalid"], code="invalid")
    signature, expires = parameters
    key = "altcha-used:" + hashlib.sha256(signature.encode()).hexdigest()
    # Kept until the challenge expires (a minute more for clocks); after that verify_solution
    # refuses it anyway. While the cache is away (Redis restarting) add() fails and get() misses:
    # the solution is then accepted, as the rate limits let requests through.
    if not cache.add(key, 1, timeout=max(1, expires - int(time.time()) + 60)) and cache.get(key) is not None:
        raise ValidationError(MESSAGES["replayed"], code="replayed")


class AltchaWidget(forms.Widget):
    """The ``<altcha-widget>`` element: it makes its own hidden input named like the field."""

    template_name = "contributions/altcha_widget.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, None, attrs)  # a solution is never rendered back
        context["widget"]["language"] = get_language()
        context["widget"]["strings"] = json.dumps({key: str(text) for key, text in widget_strings().items()})
        return context

    def render(self, name, value, attrs=None, renderer=None):
        # The project's templates (the default form renderer reads only the apps' and Django's own).
        return mark_safe(render_to_string(self.template_name, self.get_context(name, value, attrs)))  # noqa: S308

    def value_from_datadict(self, data, files, name):
        return data.get(name)

    def value_omitted_from_data(self, data, files, name):
        return False


class AltchaField(forms.Field):
    """The solved challenge; checked (and used up) when the form is cleaned."""

    widget = AltchaWidget

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Are you a person?"))
        kwargs.setdefault(
            "help_text",
            _(
                "Your browser solves a small calculation to show that a person, not a robot, sends this. "
                "Nothing is sent anywhere else and nothing is stored about you."
            ),
        )
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        verify(value)
        return ""


def widget_strings() -> dict:
    """What the widget says, in the page's language (its own English when a text is missing)."""
    return {
        "label": pgettext_lazy("robot check", "I am not a robot"),
        "verifying": pgettext_lazy("robot check", "Checking…"),
        "verified": pgettext_lazy("robot check", "Checked: you may send"),
        "error": pgettext_lazy("robot check", "The check failed. Please try again later."),
        "expired": pgettext_lazy("robot check", "The check has expired. Please check again."),
        "verificationRequired": pgettext_lazy("robot check", "The check is required."),
        "waitAlert": pgettext_lazy("robot check", "Checking… please wait."),
        "loading": pgettext_lazy("robot check", "Loading…"),
        "reload": pgettext_lazy("robot check", "Reload"),
        "verify": pgettext_lazy("robot check", "Check"),
        "cancel": pgettext_lazy("robot check", "Cancel"),
        "ariaLinkLabel": pgettext_lazy("robot check", "ALTCHA (its website)"),
    }
