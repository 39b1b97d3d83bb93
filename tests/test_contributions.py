"""Contributions: the moderation queue and its rules (models, services, admin)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from contributions import services
from contributions.models import Contribution, ContributionStatus, Kind
from tests.factories import ContributionFactory, VictimFactory

pytestmark = pytest.mark.django_db


def test_submit_keeps_only_a_hash_of_the_withdraw_token():
    contribution, token = services.contribution_submit(
        contribution=Contribution(kind=Kind.TESTIMONY, family_name="Testova", consent=True, submitter_email="a@b.org")
    )
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.NEW
    assert token not in contribution.withdraw_token_hash
    assert services.contribution_by_token(token=token) == contribution
    assert services.contribution_by_token(token=token + "x") is None


def test_rejecting_needs_a_reason_in_the_database():
    contribution = ContributionFactory()
    contribution.status = ContributionStatus.REJECTED
    with pytest.raises(ValidationError):
        contribution.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Contribution.objects.filter(pk=contribution.pk).update(status=ContributionStatus.REJECTED)


def test_candle_message_is_short_in_the_database():
    victim = VictimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionFactory(kind=Kind.CANDLE_MESSAGE, victim=victim, message="x" * 501)
    ContributionFactory(kind=Kind.CANDLE_MESSAGE, victim=victim, message="x" * 500)


def test_curator_moves_a_contribution_and_history_says_why(curator):
    contribution = ContributionFactory()
    services.contribution_moderate(contribution=contribution, to_status=ContributionStatus.IN_PROGRESS, user=curator)
    services.contribution_moderate(
        contribution=contribution, to_status=ContributionStatus.REJECTED, user=curator, reason="No source given."
    )
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.REJECTED
    assert contribution.decided_at is not None and contribution.handled_by == curator
    reasons = list(contribution.history.order_by("history_date").values_list("history_change_reason", "history_user"))
    assert reasons[1:] == [
        ("status: new → in_progress", curator.pk),
        ("status: in_progress → rejected: No source given.", curator.pk),
    ]


def test_rejecting_without_a_reason_is_refused(curator):
    contribution = ContributionFactory()
    with pytest.raises(ValidationError):
        services.contribution_moderate(contribution=contribution, to_status=ContributionStatus.REJECTED, user=curator)
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.NEW


def test_a_decision_is_final_and_data_staff_cannot_moderate(curator, data_staff):
    contribution = ContributionFactory()
    with pytest.raises(PermissionDenied):
        services.contribution_moderate(
            contribution=contribution, to_status=ContributionStatus.ACCEPTED, user=data_staff
        )
    services.contribution_moderate(contribution=contribution, to_status=ContributionStatus.ACCEPTED, user=curator)
    with pytest.raises(ValidationError):
        services.contribution_moderate(contribution=contribution, to_status=ContributionStatus.NEW, user=curator)
    assert services.moderation_choices(contribution=contribution, user=curator) == []


def test_the_sender_withdraws_only_before_a_decision(curator):
    waiting, decided = ContributionFactory(), ContributionFactory()
    services.contribution_withdraw(contribution=waiting)
    waiting.refresh_from_db()
    assert waiting.status == ContributionStatus.WITHDRAWN
    services.contribution_moderate(contribution=decided, to_status=ContributionStatus.ACCEPTED, user=curator)
    with pytest.raises(ValidationError):
        services.contribution_withdraw(contribution=decided)


def test_queue_shows_counts_by_status_to_curators(client, curator):
    ContributionFactory.create_batch(3)
    ContributionFactory(status=ContributionStatus.IN_PROGRESS)
    client.force_login(curator)
    response = client.get("/admin/contributions/contribution/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "New (3)" in content and "In progress (1)" in content


def test_senders_email_is_only_for_moderators(client, curator, data_staff):
    contribution = ContributionFactory(submitter_email="private.sender@example.org")
    client.force_login(data_staff)
    assert client.get(f"/admin/contributions/contribution/{contribution.pk}/change/").status_code == 403
    client.force_login(curator)
    response = client.get(f"/admin/contributions/contribution/{contribution.pk}/change/")
    assert "private.sender@example.org" in response.content.decode()


def test_rejecting_in_the_admin_asks_for_a_reason(client, curator):
    contribution = ContributionFactory()
    client.force_login(curator)
    url = f"/admin/contributions/contribution/{contribution.pk}/change/"
    response = client.post(url, {"move_to": "rejected", "reason": ""})
    assert response.status_code == 200
    assert "Say why it is rejected" in response.content.decode()
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.NEW
    response = client.post(url, {"move_to": "rejected", "reason": "Already in the registry."})
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert (contribution.status, contribution.rejection_reason) == ("rejected", "Already in the registry.")


def test_nobody_adds_contributions_in_the_admin(client, superuser):
    client.force_login(superuser)
    assert client.get("/admin/contributions/contribution/add/").status_code == 403


def test_sent_file_is_downloaded_by_curators_only(client, curator, data_staff):
    contribution = ContributionFactory()
    contribution.file.save("scan.pdf", ContentFile(b"%PDF-1.4 synthetic"), save=True)
    url = f"/admin/contributions/contribution/{contribution.pk}/file/"
    assert client.get(url).status_code == 302  # to the sign-in page
    client.force_login(data_staff)
    assert client.get(url).status_code == 404
    client.force_login(curator)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 synthetic"


def test_admin_home_says_what_waits_for_curators(client, curator, data_staff):
    ContributionFactory.create_batch(2)
    ContributionFactory(status=ContributionStatus.IN_PROGRESS)
    client.force_login(curator)
    content = client.get("/admin/").content.decode()
    assert "2 new contributions from visitors" in content
    assert "1 contribution in progress" in content
    assert "/admin/contributions/contribution/?status__exact=new" in content
    client.force_login(data_staff)
    assert "new contributions from visitors" not in client.get("/admin/").content.decode()
