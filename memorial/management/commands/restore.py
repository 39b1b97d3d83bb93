"""Restore a backup folder written by ``python manage.py backup``: check every checksum, load the
dump into the configured database with ``pg_restore`` and put the media back.

The database must be empty (no tables) and the media folders empty, unless ``--force``, which
replaces everything in them. ``--database-name`` restores into another database on the same
server (created if missing): a way to check a backup without touching the live site.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from memorial.backups import BackupError, backup_restore, backup_verify


class Command(BaseCommand):
    help = "Restore a backup folder (database and media) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="The backup folder (holding manifest.json).")
        parser.add_argument("--database", default="default", help="Database alias (default: default).")
        parser.add_argument("--database-name", help="Restore into this database on the same server instead.")
        parser.add_argument(
            "--force", action="store_true", help="Replace a database and media folders that are not empty."
        )
        parser.add_argument("--no-media", action="store_true", help="Restore the database only.")
        parser.add_argument("--dry-run", action="store_true", help="Check the backup's checksums; restore nothing.")

    def handle(self, *args, path, database="default", database_name=None, force=False, no_media=False,
               dry_run=False, verbosity=1, **options):  # fmt: skip
        try:
            if dry_run:
                manifest = backup_verify(path)
                self.stdout.write(f"Backup of {manifest['created']} is complete and intact; nothing restored.")
                return
            manifest = backup_restore(
                folder=path, alias=database, database_name=database_name, force=force, media=not no_media
            )
        except BackupError as error:
            raise CommandError(str(error)) from error
        if verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(f"Restored the backup of {manifest['created']} from {path}"))
