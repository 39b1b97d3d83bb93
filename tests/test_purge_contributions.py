"""purge_contributions deletes withdrawn and long-rejected submissions with files and history."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.utils import timezone

from contributions.models import Contribution, ContributionStatus
from tests.factories import ContributionFactory

pytestmark = pytest.mark.django_db


def with_file(**fields) -> Contribution:
    contribution = ContributionFactory(**fields)
    contribution.file.save("scan.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return contribution


def test_purge_deletes_withdrawn_and_old_rejections_with_files_and_history(django_capture_on_commit_callbacks):
    old = timezone.now() - datetime.timedelta(days=91)
    recent = timezone.now() - datetime.timedelta(days=89)
    withdrawn = with_file(status=ContributionStatus.WITHDRAWN, decided_at=timezone.now())
    old_rejection = with_file(status=ContributionStatus.REJECTED, rejection_reason="r", decided_at=old)
    kept = [
        with_file(status=ContributionStatus.REJECTED, rejection_reason="r", decided_at=recent),
        with_file(status=ContributionStatus.ACCEPTED, decided_at=old),
        with_file(),
    ]
    private = storages["private"]
    call_command("purge_contributions", "--dry-run", verbosity=0)
    assert Contribution.objects.count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        call_command("purge_contributions", verbosity=0)
    assert set(Contribution.objects.all()) == set(kept)
    for gone in (withdrawn, old_rejection):
        assert not private.exists(gone.file.name)
        assert not Contribution.history.filter(id=gone.pk).exists()
    assert all(private.exists(c.file.name) for c in kept)
