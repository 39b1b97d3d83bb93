"""Export the registry to a file: ``manage.py export_registry --format csv --output people.csv``.

Formats: csv (one table; people in the import layout), json, xlsx and package (a Frictionless data
package ZIP). Published records only unless ``--status`` names others. The export is logged.
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand

from victims.exchange.columns import RECORD_TYPES
from victims.exchange.exports import FORMATS
from victims.exchange.services import ExportFilters, registry_export
from victims.management.users import user_option
from victims.models import Category, Status


class Command(BaseCommand):
    help = "Export the registry as CSV, JSON, XLSX or a data package."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("--output", required=True, help="The file to write.")
        parser.add_argument("--record-type", choices=RECORD_TYPES, default="victims", help="The table of a CSV export.")
        parser.add_argument(
            "--status", action="append", choices=[*Status.values, "all"],
            help="Repeat for several; 'all' for every status. Default: published.",
        )  # fmt: skip
        parser.add_argument("--category", action="append", choices=Category.values, help="Repeat for several.")
        parser.add_argument("--death-from", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--death-to", type=datetime.date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--bom", action="store_true", help="Start a CSV with a byte-order mark (for Excel).")
        parser.add_argument("--user", help="Record this username as the exporter in the export log.")

    def handle(self, *args, **options):
        statuses = options["status"] or [Status.PUBLISHED]
        if "all" in statuses:
            statuses = list(Status.values)
        user = user_option(options["user"])
        filters = ExportFilters(
            statuses=statuses, categories=options["category"] or [],
            death_from=options["death_from"], death_to=options["death_to"],
        )  # fmt: skip
        count = registry_export(
            options["format"], options["output"], filters=filters, record_type=options["record_type"],
            bom=options["bom"], user=user, via="command",
        )  # fmt: skip
        if options["verbosity"] >= 1:
            self.stdout.write(f"Wrote {count} rows to {options['output']} ({options['format']}).")
