"""Import people from a CSV, XLSX, JSON or data package file in the export's layout.

``manage.py import_registry people.csv [--dry-run] [--confirm-duplicates] [--user NAME]``

The whole file is written in one transaction, or nothing when any row has a problem (each is
printed with its row and column). Rows whose person may already be in the registry are held back
unless ``--confirm-duplicates``: they are kept in the admin ("Imported rows held back") for a staff
member to import as new people, match to a person in the registry or discard. Without ``--user`` the file's status is kept (whoever runs this
command controls the server); with ``--user`` that user's role decides, as on the staff page.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from victims.exchange.services import registry_import
from victims.management.users import user_option


class Command(BaseCommand):
    help = "Import people from a file in the export's layout (one transaction; --dry-run to check only)."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; write nothing.")
        parser.add_argument(
            "--confirm-duplicates", action="store_true", help="Also create rows that look like people already present."
        )
        parser.add_argument("--user", help="Import as this user (history, and the status their role allows).")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        user = user_option(options["user"])
        result = registry_import(
            path, user=user, dry_run=options["dry_run"], confirm_duplicates=options["confirm_duplicates"]
        )
        verbosity = options["verbosity"]
        for problem in result.problems:
            where = f"row {problem.row}" if problem.row else "file"
            column = f", column {problem.column}" if problem.column else ""
            self.stderr.write(f"{where}{column}: {problem.message}")
        if verbosity >= 1:
            for row in result.rows:
                if row.action == "held":
                    others = "; ".join(
                        f"{c.name} ({c.death_date or 'date unknown'}, {c.file_row and f'row {c.file_row}' or c.uuid})"
                        for c in row.duplicates
                    )
                    self.stdout.write(f"row {row.row}: held back, {row.name} may already be: {others}")
                elif verbosity >= 2 and row.action != "unchanged":
                    self.stdout.write(f"row {row.row}: {row.action} {row.name} {', '.join(row.changes)}")
        counts = result.counts
        summary = (
            f"{counts['create']} to create, {counts['update']} to update, {counts['unchanged']} unchanged, "
            f"{counts['held']} held back as likely duplicates"
        )
        if result.problems:
            raise CommandError(f"{len(result.problems)} problems; nothing was written.")
        if verbosity >= 1:
            self.stdout.write(("Dry run, nothing written: " if result.dry_run else "Imported: ") + summary + ".")
            if counts["held"] and result.written:
                self.stdout.write("The rows held back wait in the admin under “Imported rows held back”.")
