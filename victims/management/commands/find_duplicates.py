"""Score the registry for people entered twice: ``manage.py find_duplicates [--photos]``.

Pairs at or above the threshold are proposed in the admin (Duplicates) to the Editors; pairs
they marked "not the same person" are never proposed again. ``--photos`` first computes the
perceptual hash of every photo that has none. One transaction; ``--dry-run`` writes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from victims.duplicates import THRESHOLD, duplicates_refresh, photos_hash_missing


class Command(BaseCommand):
    help = "Find likely duplicates in the registry and propose them to the Editors."

    def add_arguments(self, parser):
        parser.add_argument("--photos", action="store_true", help="Hash photos that have no hash yet first.")
        parser.add_argument("--threshold", type=float, default=THRESHOLD)
        parser.add_argument("--dry-run", action="store_true", help="Score and report; write nothing.")

    def handle(self, *args, **options):
        with transaction.atomic():
            hashed = photos_hash_missing() if options["photos"] else 0
            counts = duplicates_refresh(threshold=options["threshold"])
            if options["dry_run"]:
                transaction.set_rollback(True)
        if options["verbosity"] >= 1:
            self.stdout.write(
                f"{counts['people']} people, {counts['compared']} pairs compared, {counts['proposed']} proposed, "
                f"{counts['removed']} no longer proposed, {hashed} photos hashed"
                + (" (dry run: nothing written)" if options["dry_run"] else "")
            )
