"""Back up the memorial: ``pg_dump --format=custom`` of the database plus the public and private
media, into a dated folder (``var/backups/2026-11-27T153000/`` unless ``--output`` names another
parent folder) with a manifest of SHA-256 checksums. ``python manage.py restore FOLDER`` brings
it back. A backup is secret (password hashes, two-factor keys, unpublished records): its files are
0600, and encrypted when ``MEMORIAL_BACKUP_KEY`` is set; ``--new-key`` prints a new key.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from memorial.backups import BackupError, backup_create, backup_key, default_backup_root, new_backup_key


class Command(BaseCommand):
    help = "Write a database dump and the media to a new dated backup folder."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", type=Path, help=f"Parent folder of the backup (default {default_backup_root()})."
        )
        parser.add_argument("--database", default="default", help="Database alias (default: default).")
        parser.add_argument("--dry-run", action="store_true", help="Say where the backup would go; write nothing.")
        parser.add_argument(
            "--new-key", action="store_true", help="Print a new random MEMORIAL_BACKUP_KEY and back up nothing."
        )

    def handle(self, *args, output=None, database="default", dry_run=False, new_key=False, verbosity=1, **options):
        if new_key:
            self.stdout.write(new_backup_key())
            return
        try:
            encrypted = backup_key() is not None
            if dry_run:
                self.stdout.write(
                    f"Would back up database {database!r} and the media under {output or default_backup_root()}"
                    f" ({'encrypted' if encrypted else 'not encrypted: MEMORIAL_BACKUP_KEY is not set'})."
                )
                return
            folder = backup_create(output=output, alias=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        if verbosity >= 1:
            note = "encrypted" if encrypted else "not encrypted; keep it secret: it holds password hashes"
            self.stdout.write(self.style.SUCCESS(f"Backup written to {folder} ({note})"))
