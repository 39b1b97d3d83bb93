"""Reading an uploaded file into rows of the import layout, with a clear answer for bad files.

Accepted: CSV (UTF-8, with or without a BOM), an XLSX workbook (the sheet named ``victims``, or
the only sheet), the JSON export and the data package ZIP. The kind is told from the content, not
the file name, so an image renamed ``.csv`` is refused as what it is.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.utils.translation import gettext as _

from victims.exchange.columns import CITATIONS, LANGUAGES, VARIANTS, VICTIM_IMPORT_HEADER, decode_list

MAGIC = [
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old Excel (.xls) or Word file"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
]


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""


@dataclass
class RawRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]
    variants: list[list[str]] | None = None  # already split (JSON, data package); else from the cell
    citations: list[list[str]] | None = None
    events: list[str] | None = None  # UUIDs of related events (JSON, data package, XLSX event_people sheet)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (column, message) found while reading


@dataclass
class Table:
    kind: str  # csv, xlsx, json, package
    header: list[str]
    rows: Iterator[RawRow]
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, message) while streaming


def read_table(data: bytes, file_name: str = "") -> Table:
    """Open ``data`` as a table of people in the import layout; raise FileProblem if it is not one."""
    if not data:
        raise FileProblem(_("The file is empty."))
    name = file_name.lower()
    if data[:4] == b"PK\x03\x04":
        return _read_zip(data)
    for magic, what in MAGIC:
        if data.startswith(magic):
            raise FileProblem(
                _("This is not a spreadsheet: the file is %(what)s. Upload a CSV (UTF-8) or XLSX file.")
                % {"what": what}
            )
    if name.endswith((".xlsx", ".zip")):
        raise FileProblem(_("The file is not a valid XLSX workbook or ZIP archive: it may be truncated or damaged."))
    if b"\x00" in data[:8192]:
        raise FileProblem(
            _("This is not a spreadsheet: the file holds binary data. Upload a CSV (UTF-8) or XLSX file.")
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise FileProblem(
            _(
                "The file is not UTF-8 text (an invalid byte on line %(line)d). In Excel, save it as "
                "“CSV UTF-8 (comma delimited)”; in LibreOffice choose the character set Unicode (UTF-8)."
            )
            % {"line": line}
        ) from error
    if text.lstrip().startswith("{"):
        return _read_json(text)
    del text  # read again a line at a time: a StringIO of the whole text took 4 bytes a character
    return _read_csv(data)


# --- CSV ---------------------------------------------------------------------------------------------


def _clean_header(header: list) -> list[str]:
    cleaned = [("" if cell is None else str(cell)).strip().lstrip("\ufeff") for cell in header]
    while cleaned and not cleaned[-1]:
        cleaned.pop()
    return cleaned


def _read_csv(data: bytes) -> Table:
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""), strict=True)
    try:
        header = _clean_header(next(reader, []))
    except csv.Error as error:
        raise FileProblem(_("The CSV file cannot be read: %(error)s.") % {"error": error}) from error
    if not header:
        raise FileProblem(_("The file has no header row."))
    table = Table("csv", header, iter(()))

    def rows() -> Iterator[RawRow]:
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                table.problems.append((number + 1, "", _("The CSV cannot be read here (%(error)s): the file may be truncated.") % {"error": error}))  # fmt: skip
                return
            number += 1
            if not any(cell.strip() for cell in cells):
                continue
            yield _row_from_cells(number, header, cells)

    table.rows = rows()
    return table


def _row_from_cells(number: int, header: list[str], cells: list[str]) -> RawRow:
    row = RawRow(number, {})
    if len(cells) != len(header):
        extra = cells[len(header) :]
        if len(cells) < len(header) or any(cell.strip() for cell in extra):
            row.problems.append((
                "",
                _("This row has %(cells)d cells where the header has %(columns)d: a cell holds an unquoted comma, "
                  "or the file is truncated.") % {"cells": len(cells), "columns": len(header)},
            ))  # fmt: skip
    for column, value in zip(header, cells, strict=False):
        row.cells[column] = value
    return row


# --- XLSX and the data package ------------------------------------------------------------------------


def _read_zip(data: bytes) -> Table:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, EOFError, OSError) as error:
        raise FileProblem(_("The file is damaged or truncated: it cannot be opened as an XLSX workbook or a ZIP archive.")) from error  # fmt: skip
    if "datapackage.json" in names:
        return _read_package(archive)
    if "xl/workbook.xml" in names:
        return _read_xlsx(data)
    raise FileProblem(_("This ZIP archive is neither an XLSX workbook nor a data package exported from the registry."))


def _xlsx_text(value, number_format: str = "") -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() != datetime.time(0):
            return value.isoformat()
        # Excel turns a typed "1990-01" into 1 January 1990 shown as "mmm-yy": keep what was shown.
        shown = number_format.lower().split(";")[0]
        if "d" not in shown and "m" in shown:
            return f"{value.year:04d}-{value.month:02d}"
        if "d" not in shown and "m" not in shown and "y" in shown:
            return f"{value.year:04d}"
        return value.date().isoformat()
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on damaged files
        raise FileProblem(_("The XLSX workbook is damaged or truncated and cannot be read.")) from error
    sheet = workbook["victims"] if "victims" in workbook.sheetnames else workbook.worksheets[0]
    links: dict[str, list[str]] | None = None
    if "event_people" in workbook.sheetnames:
        links = defaultdict(list)
        try:
            for event_uuid, victim_uuid, *_rest in islice(
                workbook["event_people"].iter_rows(values_only=True), 1, None
            ):
                if event_uuid and victim_uuid:
                    links[str(victim_uuid)].append(str(event_uuid))
        except (ValueError, TypeError) as error:
            raise FileProblem(_("The sheet event_people is not in the registry's layout.")) from error
        except Exception as error:
            raise FileProblem(_("The XLSX workbook is damaged or truncated and cannot be read.")) from error
    values = sheet.iter_rows()
    try:
        header = _clean_header([cell.value for cell in next(values, ())])
    except Exception as error:
        raise FileProblem(_("The XLSX workbook is damaged or truncated and cannot be read.")) from error
    if not header:
        raise FileProblem(_("The sheet has no header row."))
    table = Table("xlsx", header, iter(()))

    def rows() -> Iterator[RawRow]:
        number = 1
        try:
            for number, cells in enumerate(values, start=2):  # noqa: B007
                texts = [_xlsx_text(cell.value, getattr(cell, "number_format", "") or "") for cell in cells]
                while len(texts) > len(header) and not texts[-1].strip():
                    texts.pop()
                if not any(text.strip() for text in texts):
                    continue
                texts += [""] * (len(header) - len(texts))
                row = _row_from_cells(number, header, texts)
                if links is not None:
                    row.events = links.get(row.cells.get("uuid", "").strip(), [])
                yield row
        except Exception:  # a truncated sheet XML
            table.problems.append((number + 1, "", _("The sheet cannot be read beyond this row: the file may be truncated.")))  # fmt: skip
        finally:
            workbook.close()

    table.rows = rows()
    return table


def _csv_member(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    if name not in archive.namelist():
        return []
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def _read_package(archive: zipfile.ZipFile) -> Table:
    try:
        victims = _csv_member(archive, "data/victims.csv")
        variants: dict[str, list[list[str]]] = defaultdict(list)
        for item in _csv_member(archive, "data/name_variants.csv"):
            variants[item["victim_uuid"]].append([item["name"], item["script"], item["kind"]])
        citations: dict[str, list[list[str]]] = defaultdict(list)
        for item in _csv_member(archive, "data/citations.csv"):
            if item.get("victim_uuid"):
                citations[item["victim_uuid"]].append([item["source_key"], item["locator"], item["supports"]])
        has_links = "data/event_people.csv" in archive.namelist()
        events: dict[str, list[str]] = defaultdict(list)
        for item in _csv_member(archive, "data/event_people.csv"):
            events[item["victim_uuid"]].append(item["event_uuid"])
    except (zipfile.BadZipFile, UnicodeDecodeError, KeyError, csv.Error, OSError) as error:
        raise FileProblem(_("The data package is damaged or not in the registry's layout.")) from error
    header = [c for c in VICTIM_IMPORT_HEADER if c not in (VARIANTS, CITATIONS)]

    def rows() -> Iterator[RawRow]:
        for number, cells in enumerate(victims, start=2):
            key = cells.get("uuid", "")
            yield RawRow(number, {k: v or "" for k, v in cells.items() if k is not None},
                         variants=variants.get(key, []), citations=citations.get(key, []),
                         events=events.get(key, []) if has_links else None)  # fmt: skip

    return Table("package", list(victims[0].keys()) if victims else header, rows())


# --- JSON --------------------------------------------------------------------------------------------


def _read_json(text: str) -> Table:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise FileProblem(
            _("The JSON cannot be read (line %(line)d): the file may be truncated.") % {"line": error.lineno}
        ) from error
    people = document.get("victims") if isinstance(document, dict) else None
    if not isinstance(people, list):
        raise FileProblem(_("This JSON file is not a registry export: it has no list of victims."))
    header = [c for c in VICTIM_IMPORT_HEADER if c not in (VARIANTS, CITATIONS)]

    def rows() -> Iterator[RawRow]:
        for number, person in enumerate(people, start=1):
            if not isinstance(person, dict):
                yield RawRow(number, {}, problems=[("", _("This entry is not an object."))])
                continue
            cells: dict[str, str] = {}
            for column in header:
                base, _sep, lang = column.rpartition("_")
                if lang in LANGUAGES and isinstance(person.get(base), dict):
                    value = person[base].get(lang)
                else:
                    value = person.get(column)
                cells[column] = "" if value is None else str(value)
            variants = [
                [v.get("name", ""), v.get("script", ""), v.get("kind", "")] for v in person.get("variants") or []
            ]
            citations = []
            for citation in person.get("citations") or []:
                source = citation.get("source")
                key = source.get("key", "") if isinstance(source, dict) else str(source or "")
                citations.append([key, citation.get("locator", ""), citation.get("supports", "")])
            events = [e.get("uuid", "") for e in person["events"]] if isinstance(person.get("events"), list) else None
            yield RawRow(number, cells, variants=variants, citations=citations, events=events)

    return Table("json", header, rows())


def split_list_cell(text: str) -> list[list[str]]:
    """The ``variants`` / ``citations`` cell of the import layout, split (ValueError if malformed)."""
    return decode_list(text)
