"""The emails to a sender: receipt (with the withdraw link) and, later, the outcome. Written in
the language the sender used; links start with the site's own origin, never the request's Host."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from common.siteurl import absolute_url
from contributions.models import Contribution

log = logging.getLogger(__name__)


def _send(contribution: Contribution, template: str, **context) -> None:
    if not contribution.submitter_email:
        return
    with translation.override(contribution.language):
        context = {"contribution": contribution, "site_name": settings.SITE_NAME, **context}
        subject = " ".join(render_to_string(f"contributions/email/{template}_subject.txt", context).split())
        body = render_to_string(f"contributions/email/{template}.txt", context)
    try:
        EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [contribution.submitter_email]).send()
    except OSError:  # the submission is kept; the curators can still write to the sender
        log.exception("could not send the %s email for contribution %s", template, contribution.pk)


def send_receipt(contribution: Contribution, token: str) -> None:
    """Confirm receipt, with the link that withdraws the submission."""
    with translation.override(contribution.language):
        link = absolute_url(reverse("contributions:withdraw", args=[token]))
    _send(contribution, "receipt", withdraw_url=link)


def send_outcome(contribution: Contribution) -> None:
    """Tell the sender that a curator accepted or (politely, with the reason) rejected it."""
    _send(contribution, "outcome")
