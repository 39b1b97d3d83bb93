"""The two entry points the views, the commands and the benchmarks use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from victims.exchange.datapackage import export_package
from victims.exchange.exports import (
    ExportFilters,
    csv_chunks,
    export_log_finish,
    export_log_start,
    export_xlsx,
    iter_json,
)
from victims.exchange.imports import ImportResult, registry_import

__all__ = ["ExportFilters", "ImportResult", "logged_chunks", "registry_export", "registry_import"]

TEXT_FORMATS = ("csv", "json")


def logged_chunks(chunks: Iterator[str], log, counter: list[int]) -> Iterator[str]:
    """Pass the chunks of a streamed export through, then record its row count in the log."""
    yield from chunks
    export_log_finish(log, counter[0] if counter else 0)


def registry_export(
    fmt: str,
    output: str | Path | IO,
    *,
    filters: ExportFilters | None = None,
    record_type: str = "victims",
    bom: bool = False,
    user=None,
    via: str = "command",
) -> int:
    """Write an export to ``output`` (a path, or a text stream for csv/json, a binary one otherwise).

    ``fmt`` is csv, json, xlsx or package; ``record_type`` picks the table of a CSV export. Every
    export is logged (ExportLog). Returns the number of data rows written.
    """
    filters = filters or ExportFilters()
    log = export_log_start(user=user, fmt=fmt, record_type=record_type if fmt == "csv" else "all",
                           filters=filters, via=via)  # fmt: skip
    if isinstance(output, str | Path):
        mode, kwargs = ("w", {"encoding": "utf-8", "newline": ""}) if fmt in TEXT_FORMATS else ("wb", {})
        with open(output, mode, **kwargs) as stream:
            return _write(fmt, stream, filters, record_type, bom, log)
    return _write(fmt, output, filters, record_type, bom, log)


def _write(fmt: str, stream, filters: ExportFilters, record_type: str, bom: bool, log) -> int:
    counter: list[int] = []
    if fmt == "csv":
        for chunk in csv_chunks(record_type, filters, bom=bom, counter=counter):
            stream.write(chunk)
        count = counter[0]
    elif fmt == "json":
        for chunk in iter_json(filters, counter=counter):
            stream.write(chunk)
        count = counter[0]
    elif fmt == "xlsx":
        count = export_xlsx(stream, filters)
    elif fmt == "package":
        count = export_package(stream, filters)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    export_log_finish(log, count)
    return count
