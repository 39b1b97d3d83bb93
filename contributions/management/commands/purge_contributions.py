"""Delete what the privacy notice promises to delete: submissions withdrawn by their senders, and
submissions rejected more than ``--days`` (90) days ago, with their files and their history rows
(which hold the sender's name and email too). Run daily (cron or a systemd timer)."""

from __future__ import annotations

import datetime

from django.core.files.storage import storages
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contributions.models import Contribution, ContributionStatus


class Command(BaseCommand):
    help = "Delete withdrawn contributions and those rejected more than 90 days ago, with their files."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=90, help="Keep rejected submissions this many days.")
        parser.add_argument("--dry-run", action="store_true", help="Only say what would be deleted.")

    def handle(self, *args, days: int, dry_run: bool, verbosity: int, **options):
        cutoff = timezone.now() - datetime.timedelta(days=days)
        due = Q(status=ContributionStatus.WITHDRAWN) | Q(status=ContributionStatus.REJECTED, decided_at__lt=cutoff)
        with transaction.atomic():
            doomed = list(Contribution.objects.select_for_update().filter(due).values_list("pk", "file"))
            ids = [pk for pk, _file in doomed]
            files = [name for _pk, name in doomed if name]
            # Files named in the history too (a row's file is never replaced, but be thorough).
            files += [
                name
                for name in Contribution.history.filter(id__in=ids).exclude(file="").values_list("file", flat=True)
                if name not in files
            ]
            if verbosity >= 2:
                for pk, _file in doomed:
                    self.stdout.write(f"contribution {pk}")
            if not dry_run:
                Contribution.objects.filter(pk__in=ids).delete()
                # After the rows: deleting a row writes one more history row (simple_history).
                Contribution.history.filter(id__in=ids).delete()
                storage = storages["private"]
                transaction.on_commit(lambda: [storage.delete(name) for name in files])
        if verbosity >= 1:
            verb = "Would delete" if dry_run else "Deleted"
            self.stdout.write(f"{verb} {len(ids)} contribution(s) and {len(files)} file(s).")
