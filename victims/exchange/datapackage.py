"""The open data package: a ZIP of one CSV per record type and a Frictionless ``datapackage.json``.

The descriptor follows the Frictionless Data Package standard (v1 fields, read by v2 tools):
field types and descriptions, primary keys, foreign keys and the data licence, so the package
loads into pandas, R or a database with standard tools and validates with ``frictionless``.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import IO, Any

from django.utils import timezone

from victims.exchange.columns import TABLES, Table
from victims.exchange.exports import ExportFilters, data_licence, iter_csv, table_rows

PACKAGE_NAME = "black-january-registry"
PACKAGE_TABLES = ["places", "sources", "victims", "name_variants", "events", "event_people", "citations"]


def _schema(table: Table) -> dict[str, Any]:
    fields = []
    for column in table.columns:
        spec: dict[str, Any] = {"name": column.name, "type": column.type, "description": column.description}
        if column.format:
            spec["format"] = column.format
        constraints = dict(column.constraints)
        if column.required:
            constraints["required"] = True
        if "enum" in constraints:
            # An empty cell is "no value" (missingValues), so enums need not list it.
            constraints["enum"] = list(constraints["enum"])
        if constraints:
            spec["constraints"] = constraints
        fields.append(spec)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = table.primary_key
    foreign_keys = []
    for columns, resource, target in table.foreign_keys:
        reference = {"resource": "" if resource == table.name else resource, "fields": target}
        foreign_keys.append({"fields": columns, "reference": reference})
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return schema


def descriptor(tables: list[str]) -> dict[str, Any]:
    """The ``datapackage.json`` for a package holding ``tables``."""
    included = set(tables)
    resources = []
    for name in tables:
        table = TABLES[name]
        schema = _schema(table)
        # A foreign key to a table left out of this package cannot be checked: leave it out too.
        if "foreignKeys" in schema:
            kept = [fk for fk in schema.pop("foreignKeys") if fk["reference"]["resource"] in ("", *included)]
            if kept:
                schema["foreignKeys"] = kept
        resources.append({
            "name": name,
            "path": f"data/{name}.csv",
            "title": table.title,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "quoteChar": '"', "header": True},
            "schema": schema,
        })  # fmt: skip
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Black January Memorial: registry of the people killed in Baku, 19–20 January 1990",
        "description": (
            "People in the memorial registry with their name variants and sourced citations, the timeline "
            "of events, places and sources. Partial dates are ISO 8601 to their known precision "
            "(YYYY, YYYY-MM or YYYY-MM-DD)."
        ),
        "created": timezone.now().isoformat(timespec="seconds"),
        "licenses": [data_licence()],
        "resources": resources,
    }


def export_package(file: IO[bytes], filters: ExportFilters) -> int:
    """Write the data package ZIP to ``file`` (seekable); return the number of data rows written."""
    count = 0
    tables = [name for name in PACKAGE_TABLES if filters.table(name) is not None]
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in tables:
            counter: list[int] = []
            with archive.open(f"data/{name}.csv", "w") as member:
                writer = io.TextIOWrapper(member, encoding="utf-8", newline="")
                for chunk in iter_csv(TABLES[name].header, table_rows(name, filters.table(name)), counter=counter):
                    writer.write(chunk)
                writer.flush()
                writer.detach()
            count += counter[0]
        archive.writestr("datapackage.json", json.dumps(descriptor(tables), ensure_ascii=False, indent=2))
    return count
