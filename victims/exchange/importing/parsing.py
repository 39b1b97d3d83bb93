"""Parsing an import file's rows: every cell checked and turned into the values of a person, with
the problems found on the row. No database here: matching the rows to the registry is
:mod:`.matching`."""

from __future__ import annotations

import datetime
import re
import uuid as uuid_module
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from common.partialdates import parse_iso_partial_date
from victims.exchange.columns import CITATIONS, LANGUAGES, VARIANTS, VICTIM_IMPORT_HEADER, decode_list
from victims.exchange.importing.results import Problem
from victims.exchange.readers import RawRow
from victims.models import Category, Gender, Script, Status, VariantKind

REQUIRED_COLUMNS = ("uuid", "family_name", "given_name", "category")
TEXT_FIELDS = ["family_name", "given_name", "patronymic", "display_name", "nationality",
               *[f"{name}_{lang}" for name in ("occupation", "circumstances", "biography") for lang in LANGUAGES]]  # fmt: skip
PLACE_FIELDS = ["place_of_birth", "place_of_death", "burial_place"]
SLUG_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


def check_header(header: list[str]) -> list[Problem]:
    problems = []
    known = set(VICTIM_IMPORT_HEADER)
    seen = set()
    for column in header:
        if column in seen:
            problems.append(Problem(1, column, _("This column appears twice.")))
        seen.add(column)
        if column not in known:
            problems.append(Problem(1, column, _("Unknown column. The columns are listed in the import format.")))
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(Problem(1, column, _("A required column is missing.")))
    return problems


@dataclass
class ParsedRow:
    raw: RawRow
    uuid: uuid_module.UUID | None = None
    values: dict[str, Any] = field(default_factory=dict)
    places: dict[str, str] = field(default_factory=dict)  # field → slug ("" clears)
    variants: list[tuple[str, str, str]] | None = None
    citations: list[tuple[str, str, str]] | None = None  # (source key, locator, supports)
    events: list[str] | None = None  # event UUIDs
    problems: list[tuple[str, str]] = field(default_factory=list)

    def problem(self, column: str, message: str) -> None:
        self.problems.append((column, message))


def _choice(parsed: ParsedRow, column: str, value: str, choices: type, default: str | None) -> None:
    if not value:
        if default is not None:
            parsed.values[column] = default
        return
    if value not in choices.values:
        parsed.problem(column, _("Unknown value “%(value)s”; use one of: %(choices)s.") % {
            "value": value, "choices": ", ".join(choices.values)})  # fmt: skip
    else:
        parsed.values[column] = value


def parse_row(raw: RawRow) -> ParsedRow:
    parsed = ParsedRow(raw)
    for column, message in raw.problems:
        parsed.problem(column, message)
    cells = {column: (value or "").strip() for column, value in raw.cells.items()}
    if cells.get("uuid"):
        try:
            parsed.uuid = uuid_module.UUID(cells["uuid"])
        except ValueError:
            parsed.problem("uuid", _("Not a UUID; leave the cell empty to create a new record."))
    if "slug" in cells and cells["slug"]:
        if not SLUG_PATTERN.match(cells["slug"]):
            parsed.problem("slug", _("A slug holds only ASCII letters, digits, hyphens and underscores."))
        else:
            parsed.values["slug"] = cells["slug"]
    for column in TEXT_FIELDS:
        if column in cells:
            parsed.values[column] = cells[column]
    if "gender" in cells:
        _choice(parsed, "gender", cells["gender"], Gender, Gender.UNKNOWN)
    if "category" in cells:
        if not cells["category"]:
            parsed.problem("category", _("The category is required."))
        else:
            _choice(parsed, "category", cells["category"], Category, None)
    if "status" in cells:
        _choice(parsed, "status", cells["status"], Status, None)
    if "original_language" in cells:
        if cells["original_language"] and cells["original_language"] not in LANGUAGES:
            parsed.problem("original_language", _("Use az, en or ru."))
        else:
            parsed.values["original_language"] = cells["original_language"] or "az"
    for prefix in ("birth", "death"):
        column = f"{prefix}_date"
        if column in cells:
            try:
                date, precision = parse_iso_partial_date(cells[column])
            except ValueError:
                parsed.problem(column, _("“%(value)s” is not a possible date; write YYYY, YYYY-MM or YYYY-MM-DD.") % {
                    "value": cells[column]})  # fmt: skip
            else:
                parsed.values[column], parsed.values[f"{prefix}_precision"] = date, precision
    if "death_time" in cells:
        try:
            parsed.values["death_time"] = (
                datetime.time.fromisoformat(cells["death_time"]) if cells["death_time"] else None
            )
        except ValueError:
            parsed.problem("death_time", _("“%(value)s” is not a time; write HH:MM or HH:MM:SS.") % {"value": cells["death_time"]})  # fmt: skip
    if "age_recorded" in cells:
        text = cells["age_recorded"]
        if not text:
            parsed.values["age_recorded"] = None
        elif not text.isdigit() or int(text) > 120:
            parsed.problem("age_recorded", _("An age is a whole number from 0 to 120."))
        else:
            parsed.values["age_recorded"] = int(text)
    for column in PLACE_FIELDS:
        if column in cells:
            parsed.places[column] = cells[column]
    variants = raw.variants
    if variants is None and VARIANTS in cells:
        try:
            variants = decode_list(cells[VARIANTS])
        except ValueError as error:
            parsed.problem(VARIANTS, str(error))
    if variants is not None:
        parsed.variants = _variants(parsed, variants)
    parsed.events = raw.events
    citations = raw.citations
    if citations is None and CITATIONS in cells:
        try:
            citations = decode_list(cells[CITATIONS])
        except ValueError as error:
            parsed.problem(CITATIONS, str(error))
    if citations is not None:
        parsed.citations = []
        for item in citations:
            if len(item) > 3:
                parsed.problem(CITATIONS, _("A citation has at most three parts: source_key|locator|supports."))
                continue
            key, locator, supports = [*item, "", ""][:3]
            if not key:
                parsed.problem(CITATIONS, _("A citation needs a source key."))
            parsed.citations.append((key, locator, supports))
    return parsed


def _variants(parsed: ParsedRow, items: list[list[str]]) -> list[tuple[str, str, str]]:
    result = []
    names = set()
    for item in items:
        if len(item) > 3:
            parsed.problem(VARIANTS, _("A name variant has at most three parts: spelling|script|kind."))
            continue
        name, script, kind = [*item, "", ""][:3]
        if not name:
            parsed.problem(VARIANTS, _("A name variant needs a spelling."))
            continue
        script = script or (Script.CYRILLIC if CYRILLIC.search(name) else Script.LATIN)
        kind = kind or VariantKind.TRANSLITERATION
        if script not in Script.values:
            parsed.problem(VARIANTS, _("Unknown script “%(value)s”; use one of: %(choices)s.") % {
                "value": script, "choices": ", ".join(Script.values)})  # fmt: skip
        if kind not in VariantKind.values:
            parsed.problem(VARIANTS, _("Unknown kind “%(value)s”; use one of: %(choices)s.") % {
                "value": kind, "choices": ", ".join(VariantKind.values)})  # fmt: skip
        if name in names:
            parsed.problem(VARIANTS, _("The spelling “%(name)s” is listed twice.") % {"name": name})
        names.add(name)
        result.append((name, script, kind))
    return result


def variant_key(items: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return sorted(items, key=lambda v: (v[2], v[0], v[1]))
