"""Back up the memorial: ``pg_dump --format=custom`` of the database plus the public and private
media, into a dated folder (``var/backups/2026-11-27T153000/`` unless ``--output`` names another
parent folder) with a manifest of SHA-256 checksums. ``python manage.py restore FOLDER`` brings
it back.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from memorial.backups import BackupError, backup_create, default_backup_root


class Command(BaseCommand):
    help = "Write a database dump and the media to a new dated backup folder."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help=f"Parent folder of the backup (default {default_backup_root()})."
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")
        parser.add_argument("--dry-run", action="store_true", help="Say where the backup would go; write nothing.")

    def handle(self, *args, output=None, database="default", dry_run=False, verbosity=1, **options):
        if dry_run:
            self.stdout.write(
                f"Would back up database {database!r} and the media under {output or default_backup_root()}."
            )
            return
        try:
            folder = backup_create(output=output, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Backup written to {folder}"))
