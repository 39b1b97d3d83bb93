"""The sender's emails go through a real SMTP server (aiosmtpd, started here on a free port)."""

from __future__ import annotations

import pytest

from contributions import services
from contributions.models import Contribution, ContributionStatus
from tests.proofofwork import solved

pytestmark = pytest.mark.django_db


def body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_receipt_with_withdraw_link_in_the_senders_language(client, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _path("ru"),
            {"family_name": "Testova", "given_name": "Nigar", "message": "Synthetic.", "relation": "Synthetic cousin",
             "submitter_name": "Aysel Testova", "submitter_email": "aysel@example.org", "consent": "on", **solved()},
            HTTP_HOST="localhost",
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    [message] = smtp.wait(1)
    assert message["X-Envelope-To"] == "aysel@example.org"
    text = body(message)
    assert "Aysel Testova" in text
    link = next(line for line in text.splitlines() if line.startswith("https://memorial.example.org/ru/"))
    assert Contribution.objects.get().language == "ru"
    assert "Спасибо" in text
    assert client.post(link.removeprefix("https://memorial.example.org"), HTTP_HOST="localhost").status_code == 200
    assert Contribution.objects.get().status == ContributionStatus.WITHDRAWN


def test_outcome_of_a_rejection_carries_the_reason(smtp, curator, django_capture_on_commit_callbacks):
    sent = Contribution(kind="testimony", family_name="Testova", consent=True, language="en",
                        submitter_name="Aysel Testova", submitter_email="aysel@example.org")  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        contribution, _token = services.contribution_submit(contribution=sent)
    with django_capture_on_commit_callbacks(execute=True):
        services.contribution_moderate(
            contribution=contribution, to_status=ContributionStatus.REJECTED, user=curator, reason="Already listed."
        )
    receipt, outcome = smtp.wait(2)
    assert "received" in receipt["Subject"]
    assert "Already listed." in body(outcome)


def _path(language: str) -> str:
    from django.urls import reverse
    from django.utils import translation

    with translation.override(language):
        return reverse("contributions:testimony")
