"""Write a new release of the public dataset (a Frictionless data package ZIP and a JSON dump of
the published records) when the registry has changed since the last one and that one is at least
``DATASET_MIN_INTERVAL_MINUTES`` old: ``manage.py publish_dataset``. Run it every few minutes (cron,
a systemd timer); ``--force`` writes one now, ``--dry-run`` only says whether one is due.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from victims.dataset import dataset_due, dataset_publish


class Command(BaseCommand):
    help = "Write a new release of the public dataset when the registry has changed."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Write a release even if none is due.")
        parser.add_argument("--dry-run", action="store_true", help="Only say whether a release is due.")

    def handle(self, *args, **options):
        if options["dry_run"]:
            reason = "" if options["force"] else dataset_due()
            if options["verbosity"] >= 1:
                self.stdout.write(f"No release is due ({reason})." if reason else "A release is due.")
            return
        release = dataset_publish(force=options["force"])
        if options["verbosity"] >= 1:
            if release is None:
                self.stdout.write(f"No release is due ({dataset_due()}).")
            else:
                names = ", ".join(file["name"] for file in release["files"])
                self.stdout.write(f"Wrote {names} ({release['people']} published people).")
