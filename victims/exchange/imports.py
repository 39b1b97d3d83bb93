"""Bulk import of people from the export's own layout, in one transaction.

:func:`registry_import` reads a file (see :mod:`.readers`), checks every row, and either writes
the whole batch or nothing. Rows are matched by UUID: an unchanged row changes nothing (not even
history), an edited row updates the record in place, a row without a UUID creates a person. Before
a person is created, likely duplicates already in the registry (or earlier in the same file) are
looked up by trigram similarity of the name's search key, date of death and place of death; such
rows are held back until confirmed.
"""

from __future__ import annotations

import datetime
import re
import uuid as uuid_module
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from common.partialdates import Precision, parse_iso_partial_date
from victims.exchange.columns import CITATIONS, LANGUAGES, VARIANTS, VICTIM_IMPORT_HEADER, decode_list
from victims.exchange.readers import FileProblem, RawRow, read_table
from victims.models import (
    Category,
    Citation,
    Event,
    Gender,
    NameVariant,
    Place,
    Script,
    Source,
    Status,
    VariantKind,
    Victim,
)
from victims.normalize import search_key, slug_text
from victims.services import (
    record_check_publication,
    record_claim_version,
    record_save,
    victim_refresh_search,
    victims_bulk_create,
)

REQUIRED_COLUMNS = ("uuid", "family_name", "given_name", "category")
CHUNK = 1000
SLUG_TRIES = 10
MAX_LENGTHS = {
    **{name: Victim._meta.get_field(name).max_length for name in
       ["slug", "family_name", "given_name", "patronymic", "display_name", "nationality",
        *[f"occupation_{lang}" for lang in LANGUAGES]]},
    "variant": NameVariant._meta.get_field("name").max_length,
    "locator": Citation._meta.get_field("locator").max_length,
    "supports": Citation._meta.get_field("supports").max_length,
}  # fmt: skip
MAX_CANDIDATES = 5  # likely duplicates shown per row

TEXT_FIELDS = ["family_name", "given_name", "patronymic", "display_name", "nationality",
               *[f"{name}_{lang}" for name in ("occupation", "circumstances", "biography") for lang in LANGUAGES]]  # fmt: skip
PLACE_FIELDS = ["place_of_birth", "place_of_death", "burial_place"]
# What an import may change on a person, compared before writing so that an unchanged row writes nothing.
COMPARED_FIELDS = [
    "slug", *TEXT_FIELDS, "gender", "birth_date", "birth_precision", "death_date", "death_precision", "death_time",
    "age_recorded", "age", "category", "status", "original_language",
    *[f"{name}_id" for name in PLACE_FIELDS],
]  # fmt: skip
EventVictims = Event.victims.through
SLUG_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@dataclass
class Problem:
    row: int | None  # as a spreadsheet shows it (the header is row 1); None for the file as a whole
    column: str
    message: str


@dataclass
class Candidate:
    uuid: str
    name: str
    death_date: str
    place_of_death: str
    similarity: float
    file_row: int | None = None  # when the likely duplicate is an earlier row of the same file
    pk: int | None = None  # the record in the registry (None for a row of the same file)


@dataclass
class RowOutcome:
    row: int
    action: str  # "create", "update", "unchanged", "held"
    uuid: str
    name: str
    changes: list[str] = field(default_factory=list)
    duplicates: list[Candidate] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    values: dict[str, tuple] = field(default_factory=dict)  # field → (old, new), for the preview


@dataclass
class ImportResult:
    file_name: str
    kind: str = ""
    dry_run: bool = False
    written: bool = False
    problems: list[Problem] = field(default_factory=list)
    rows: list[RowOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {action: self.count(action) for action in ("create", "update", "unchanged", "held")}

    @property
    def held(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.action == "held" or (row.duplicates and row.action == "create")]


class _Rollback(Exception):
    pass


def registry_import(
    file: str | Path | bytes | IO[bytes],
    *,
    user=None,
    file_name: str = "",
    dry_run: bool = False,
    confirm_duplicates: bool | Collection[int] = False,
    may_publish: bool | None = None,
) -> ImportResult:
    """Import people from ``file`` (CSV, XLSX, the JSON export or the data package).

    ``user`` is recorded in history and decides the status of new records: a user who may publish
    (``victims.publish_victim``) keeps the file's status, anyone else's new records enter as drafts
    and existing records keep their status. With ``user=None`` (the management command) the file's
    status is kept unless ``may_publish=False``. ``confirm_duplicates`` is True for every row or the
    row numbers whose likely duplicates a curator has checked. Nothing is written when ``dry_run``
    or when any problem is found; the result lists every problem with its row and column.
    """
    if isinstance(file, str | Path):
        file_name = file_name or Path(file).name
        data = Path(file).read_bytes()
    elif isinstance(file, bytes):
        data = file
    else:
        file_name = file_name or Path(getattr(file, "name", "") or "upload").name
        data = file.read()
    result = ImportResult(file_name=file_name, dry_run=dry_run)
    try:
        table = read_table(data, file_name)
    except FileProblem as problem:
        result.problems.append(Problem(None, "", str(problem)))
        return result
    result.kind = table.kind
    header_problems = _check_header(table.header)
    if header_problems:
        result.problems.extend(header_problems)
        return result
    if may_publish is None:
        may_publish = user is None or user.has_perm("victims.publish_victim")
    importer = _Importer(
        result=result, user=user, reason=_("Import of %(file)s") % {"file": file_name},
        may_publish=may_publish, confirm=confirm_duplicates,
    )  # fmt: skip
    try:
        with transaction.atomic():
            rows = iter(table.rows)
            while chunk := list(islice(rows, CHUNK)):
                importer.process(chunk)
            for number, column, message in table.problems:
                result.problems.append(Problem(number, column, message))
            if result.problems or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    result.problems.sort(key=lambda p: (p.row or 0, p.column))
    result.written = not result.problems and not dry_run
    return result


def _check_header(header: list[str]) -> list[Problem]:
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
class _Parsed:
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


def _choice(parsed: _Parsed, column: str, value: str, choices: type, default: str | None) -> None:
    if not value:
        if default is not None:
            parsed.values[column] = default
        return
    if value not in choices.values:
        parsed.problem(column, _("Unknown value “%(value)s”; use one of: %(choices)s.") % {
            "value": value, "choices": ", ".join(choices.values)})  # fmt: skip
    else:
        parsed.values[column] = value


def _parse(raw: RawRow) -> _Parsed:
    parsed = _Parsed(raw)
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
        parsed.variants = _parse_variants(parsed, variants)
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


def _parse_variants(parsed: _Parsed, items: list[list[str]]) -> list[tuple[str, str, str]]:
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


def _variant_key(items: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return sorted(items, key=lambda v: (v[2], v[0], v[1]))


class _Importer:
    """One import run: reference data loaded once, rows checked and written a chunk at a time."""

    def __init__(self, *, result: ImportResult, user, reason: str, may_publish: bool, confirm) -> None:
        self.result = result
        self.user = user if getattr(user, "pk", None) else None
        self.reason = reason
        self.may_publish = may_publish
        self.confirm_all = confirm is True
        self.confirmed = set() if isinstance(confirm, bool) else set(confirm)
        self.places = dict(Place.objects.values_list("slug", "pk"))
        self.place_slugs = {pk: slug for slug, pk in self.places.items()}
        self.sources = dict(Source.objects.values_list("key", "pk"))
        self.events = {str(uuid): pk for uuid, pk in Event.objects.values_list("uuid", "pk")}
        self.seen_uuids: dict[uuid_module.UUID, int] = {}
        self.slug_rows: dict[str, int] = {}
        self.slug_next: dict[str, int] = {}
        self.created_rows: dict[int, int] = {}  # victim pk → row created from this file
        self.now = timezone.now()

    @property
    def writing(self) -> bool:
        return not self.result.problems

    def fail(self, row: int | None, column: str, message: str) -> None:
        self.result.problems.append(Problem(row, column, message))

    # --- One chunk ---------------------------------------------------------------------------------

    def process(self, raws: list[RawRow]) -> None:
        parsed_rows = [_parse(raw) for raw in raws]
        uuids = [p.uuid for p in parsed_rows if p.uuid]
        existing = {v.uuid: v for v in Victim.objects.filter(uuid__in=uuids)}
        # Only what the rows are compared with, as plain tuples: prefetching model instances built a
        # queryset per person and relation and took about half of an unchanged import.
        pks = [v.pk for v in existing.values()]
        stored_variants: dict[int, list[tuple[str, str, str]]] = {}
        for victim_id, *variant in NameVariant.objects.filter(victim_id__in=pks).values_list(
            "victim_id", "name", "script", "kind"
        ):
            stored_variants.setdefault(victim_id, []).append(tuple(variant))
        stored_citations: dict[int, list[tuple[int, str, str]]] = {}
        for victim_id, *citation in (
            Citation.objects.filter(victim_id__in=pks)
            .order_by("id")
            .values_list("victim_id", "source_id", "locator", "supports")
        ):
            stored_citations.setdefault(victim_id, []).append(tuple(citation))
        stored_events: dict[int, set[int]] = {}
        for victim_id, event_id in EventVictims.objects.filter(victim_id__in=pks).values_list("victim_id", "event_id"):
            stored_events.setdefault(victim_id, set()).add(event_id)
        explicit_slugs = [p.values["slug"] for p in parsed_rows if "slug" in p.values]
        slug_owners = dict(Victim.objects.filter(slug__in=explicit_slugs).values_list("slug", "uuid"))
        creates: list[tuple[_Parsed, Victim]] = []
        updates: list[tuple[_Parsed, Victim, list[str], bool, bool]] = []
        for parsed in parsed_rows:
            number = parsed.raw.number
            if parsed.uuid:
                if parsed.uuid in self.seen_uuids:
                    parsed.problem(
                        "uuid", _("The same UUID is on row %(row)d.") % {"row": self.seen_uuids[parsed.uuid]}
                    )
                self.seen_uuids.setdefault(parsed.uuid, number)
            self._resolve_references(parsed)
            slug = parsed.values.get("slug")
            if slug:
                owner = slug_owners.get(slug)
                if owner is not None and owner != parsed.uuid:
                    parsed.problem("slug", _("Another person already has this slug."))
                if slug in self.slug_rows:
                    parsed.problem("slug", _("The same slug is on row %(row)d.") % {"row": self.slug_rows[slug]})
                self.slug_rows.setdefault(slug, number)
            victim = existing.get(parsed.uuid) if parsed.uuid else None
            if victim is None:
                victim = self._build_new(parsed)
            else:
                before = {name: getattr(victim, name) for name in COMPARED_FIELDS}
                self._apply(parsed, victim, new=False)
            self._validate(parsed, victim)
            if not parsed.problems:
                stored = len(stored_citations.get(victim.pk, [])) if victim.pk else 0
                self._check_publication(parsed, victim, stored_status=before["status"] if victim.pk else None,
                                        stored_citations=stored)  # fmt: skip
            for column, message in parsed.problems:
                self.fail(number, column, message)
            if parsed.problems:
                continue
            if victim.pk is None:
                creates.append((parsed, victim))
                continue
            changes = [name.removesuffix("_id") for name in COMPARED_FIELDS if getattr(victim, name) != before[name]]
            variants_changed = parsed.variants is not None and _variant_key(parsed.variants) != _variant_key(
                stored_variants.get(victim.pk, [])
            )
            citations_changed = parsed.citations is not None and [
                (self.sources[key], locator, supports) for key, locator, supports in parsed.citations
            ] != stored_citations.get(victim.pk, [])
            # Links to events are only added: an export leaves out events it did not include (drafts,
            # a filter), so a missing link in the file does not mean the link should go.
            events_changed = parsed.events is not None and not {
                self.events[e] for e in parsed.events
            } <= stored_events.get(victim.pk, set())
            changes += [VARIANTS] * variants_changed + [CITATIONS] * citations_changed + ["events"] * events_changed
            outcome = RowOutcome(number, "update" if changes else "unchanged", str(victim.uuid), str(victim), changes)
            outcome.values = {
                name.removesuffix("_id"): (before[name], getattr(victim, name))
                for name in COMPARED_FIELDS
                if getattr(victim, name) != before[name]
            }
            if "status" in parsed.values and parsed.values["status"] != victim.status and not self.may_publish:
                outcome.notes.append(_("The status was not changed: your role may not publish."))
            self.result.rows.append(outcome)
            if changes:
                updates.append((parsed, victim, changes, variants_changed, citations_changed, events_changed))
        self._slugs_for(creates)
        self._gate(creates)
        if self.writing:
            self._write(creates, updates)

    # --- Checks ------------------------------------------------------------------------------------

    def _resolve_references(self, parsed: _Parsed) -> None:
        for column, slug in parsed.places.items():
            if slug and slug not in self.places:
                parsed.problem(column, _("Unknown place “%(slug)s”; use the slug of a place in the registry.") % {"slug": slug})  # fmt: skip
        for key, _locator, _supports in parsed.citations or []:
            if key and key not in self.sources:
                parsed.problem(CITATIONS, _("Unknown source key “%(key)s”.") % {"key": key})
        for event in parsed.events or []:
            if event not in self.events:
                parsed.problem("events", _("Unknown event “%(uuid)s”.") % {"uuid": event})

    def _build_new(self, parsed: _Parsed) -> Victim:
        victim = Victim(uuid=parsed.uuid or uuid_module.uuid4(), created_by=self.user, updated_by=self.user)
        self._apply(parsed, victim, new=True)
        return victim

    def _apply(self, parsed: _Parsed, victim: Victim, *, new: bool) -> None:
        values = dict(parsed.values)
        status = values.pop("status", None)
        for name, value in values.items():
            if value == "" and getattr(victim, name, None) is None:
                continue  # translation columns are nullable: empty in the file is the same as NULL here
            setattr(victim, name, value)
        for column, slug in parsed.places.items():
            setattr(victim, f"{column}_id", self.places.get(slug) if slug else None)
        if new:
            victim.status = status if (status and self.may_publish) else Status.DRAFT
        elif status and self.may_publish:
            victim.status = status

    def _validate(self, parsed: _Parsed, victim: Victim) -> None:
        """The model's own rules (``clean()``) and the column lengths; choices, dates and numbers were
        checked while parsing. ``clean_fields()`` is not used: it costs a third of an import's time
        and would refuse an empty family name that ``clean()`` allows beside a given name."""
        for column, value in parsed.values.items():
            limit = MAX_LENGTHS.get(column)
            if limit and value and len(value) > limit:
                parsed.problem(column, _("At most %(limit)d characters.") % {"limit": limit})
        for name, _script, _kind in parsed.variants or []:
            if len(name) > MAX_LENGTHS["variant"]:
                parsed.problem(VARIANTS, _("A spelling has at most %(limit)d characters.") % {"limit": MAX_LENGTHS["variant"]})  # fmt: skip
        for _key, locator, supports in parsed.citations or []:
            if len(locator) > MAX_LENGTHS["locator"] or len(supports) > MAX_LENGTHS["supports"]:
                parsed.problem(CITATIONS, _("A locator has at most %(locator)d characters, what it supports at most %(supports)d.") % {  # fmt: skip
                    "locator": MAX_LENGTHS["locator"], "supports": MAX_LENGTHS["supports"]})  # fmt: skip
        if parsed.problems:
            return
        try:
            victim.clean()
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                column = {"birth_precision": "birth_date", "death_precision": "death_date", "__all__": ""}.get(
                    column, column
                )
                for message in messages:
                    parsed.problem(column, message)

    def _check_publication(self, parsed: _Parsed, victim: Victim, *, stored_status, stored_citations: int) -> None:
        """The registry's publication rule, reported on the row: a person who becomes published, or
        stays published while the file removes every citation, needs at least one citation."""
        cited = len(parsed.citations) if parsed.citations is not None else stored_citations
        if victim.status != Status.PUBLISHED or cited or (stored_status == Status.PUBLISHED and not stored_citations):
            return
        try:
            record_check_publication(victim, was_published=False, citation_count=cited)
        except ValidationError as error:
            parsed.problem(CITATIONS, error.messages[0])

    def _slugs_for(self, creates: list[tuple[_Parsed, Victim]]) -> None:
        """Give new people without a slug one made from the name, unique in the registry and the file."""
        wanted = []
        for _parsed, victim in creates:
            if not victim.slug:
                base = slugify(slug_text(f"{victim.given_name} {victim.family_name}"))[:180] or "person"
                wanted.append((victim, base))
        candidates = {f"{base}-{n}" if n > 1 else base for _v, base in wanted for n in range(1, SLUG_TRIES + 1)}
        taken = set(Victim.objects.filter(slug__in=candidates).values_list("slug", flat=True)) | set(self.slug_rows)
        for victim, base in wanted:
            n = self.slug_next.get(base, 1)
            while (slug := f"{base}-{n}" if n > 1 else base) in taken:
                n += 1
                if n > SLUG_TRIES and base not in self.slug_next:
                    n = self._highest_suffix(base) + 1
            self.slug_next[base] = n + 1
            taken.add(slug)
            victim.slug = slug

    def _highest_suffix(self, base: str) -> int:
        slugs = Victim.objects.filter(slug__regex=rf"^{re.escape(base)}-[0-9]+$").values_list("slug", flat=True)
        return max([int(s.rsplit("-", 1)[1]) for s in slugs] or [1])

    def _gate(self, creates: list[tuple[_Parsed, Victim]]) -> None:
        """Look up likely duplicates of the people about to be created; hold back unconfirmed rows."""
        if not creates:
            return
        found = {} if self.confirm_all else self._likely_duplicates([victim for _p, victim in creates])
        kept = []
        earlier: dict[str, list[tuple[int, Victim]]] = {}  # this chunk's rows, not yet in the database
        for index, (parsed, victim) in enumerate(creates):
            number = parsed.raw.number
            duplicates = found.get(index, [])
            if not self.confirm_all:
                key = search_key(f"{victim.family_name} {victim.given_name}")
                same = [(row, other) for row, other in earlier.get(key, []) if _same_time_or_place(victim, other)]
                duplicates += [
                    Candidate(uuid=str(other.uuid), name=str(other), similarity=1.0, file_row=row,
                              death_date=_iso(other.death_date, other.death_precision),
                              place_of_death=self.place_slugs.get(other.place_of_death_id, ""))
                    for row, other in same[:MAX_CANDIDATES]
                ]  # fmt: skip
                duplicates = duplicates[:MAX_CANDIDATES]
                earlier.setdefault(key, []).append((number, victim))
            confirmed = self.confirm_all or number in self.confirmed
            action = "held" if duplicates and not confirmed else "create"
            outcome = RowOutcome(
                number, action, str(victim.uuid), str(victim) or victim.composed_name(), duplicates=duplicates
            )
            if parsed.values.get("status", Status.DRAFT) != victim.status:
                outcome.notes.append(_("Entered as a draft: your role may not publish."))
            self.result.rows.append(outcome)
            if action == "create":
                kept.append((parsed, victim))
        creates[:] = kept

    def _likely_duplicates(self, victims: list[Victim]) -> dict[int, list[Candidate]]:
        ids, keys, lows, highs, places = [], [], [], [], []
        for index, victim in enumerate(victims):
            key = search_key(f"{victim.family_name} {victim.given_name}")
            if not key:
                continue
            low = high = None
            if victim.death_date:
                low, high = (
                    victim.death_date - datetime.timedelta(days=2),
                    victim.death_date + datetime.timedelta(days=2),
                )
                if victim.death_precision == Precision.MONTH:
                    high = (victim.death_date + datetime.timedelta(days=32)).replace(day=1)
                elif victim.death_precision == Precision.YEAR:
                    high = victim.death_date.replace(month=12, day=31)
            ids.append(index)
            keys.append(key)
            lows.append(low)
            highs.append(high)
            places.append(victim.place_of_death_id)
        if not keys:
            return {}
        # Word similarity of the name's key against every stored name form (served by the GIN
        # trigram index), kept to people whose date of death could be the same or who died in the
        # same place; at most five per row.
        sql = """
            SELECT k.idx, v.id, v.uuid, v.display_name, v.death_date, v.death_precision, p.slug, v.sim
            FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::date[], %s::bigint[]) AS k(idx, key, lo, hi, place)
            CROSS JOIN LATERAL (
                SELECT c.id, c.uuid, c.display_name, c.death_date, c.death_precision, c.place_of_death_id,
                       word_similarity(k.key, c.search_document) AS sim
                FROM victims_victim c
                WHERE c.search_document %%> k.key
                  AND (k.lo IS NULL OR c.death_date IS NULL
                       OR (c.death_date <= k.hi AND c.death_date + CASE c.death_precision
                           WHEN 'year' THEN 364 WHEN 'month' THEN 30 ELSE 0 END >= k.lo)
                       OR (k.place IS NOT NULL AND c.place_of_death_id = k.place))
                ORDER BY sim DESC, c.id
                LIMIT %s
            ) v
            LEFT JOIN victims_place p ON p.id = v.place_of_death_id
        """
        found: dict[int, list[Candidate]] = {}
        with connection.cursor() as cursor:
            cursor.execute(sql, [ids, keys, lows, highs, places, MAX_CANDIDATES])
            for idx, pk, uuid, name, death, precision, place, sim in cursor.fetchall():
                file_row = self.created_rows.get(pk)
                found.setdefault(idx, []).append(Candidate(
                    uuid=str(uuid), name=name, death_date=_iso(death, precision), place_of_death=place or "",
                    similarity=round(sim, 2), file_row=file_row, pk=None if file_row else pk,
                ))  # fmt: skip
        return found

    # --- Writes ------------------------------------------------------------------------------------

    def _write(self, creates, updates) -> None:
        try:
            with transaction.atomic():
                self._write_creates(creates)
                self._write_updates(updates)
        except DatabaseError as error:
            self.fail(None, "", _("The database refused the batch: %(error)s") % {"error": str(error).splitlines()[0]})

    def _write_creates(self, creates: list[tuple[_Parsed, Victim]]) -> None:
        if not creates:
            return
        victims = [victim for _p, victim in creates]
        victims_bulk_create(
            victims=victims,
            variants=[
                [NameVariant(name=name, script=script, kind=kind) for name, script, kind in parsed.variants or []]
                for parsed, _v in creates
            ],
            citations=[
                [Citation(source_id=self.sources[key], locator=locator, supports=supports)
                 for key, locator, supports in parsed.citations or []]
                for parsed, _v in creates
            ],  # fmt: skip
            user=self.user,
            reason=self.reason,
            when=self.now,
        )
        for (parsed, _v), victim in zip(creates, victims, strict=True):
            self.created_rows[victim.pk] = parsed.raw.number
        links = [
            EventVictims(event_id=self.events[event], victim_id=victim.pk)
            for (parsed, _v), victim in zip(creates, victims, strict=True)
            for event in dict.fromkeys(parsed.events or [])
        ]
        EventVictims.objects.bulk_create(links)

    def _write_updates(self, updates) -> None:
        for parsed, victim, changes, variants_changed, citations_changed, events_changed in updates:
            # Variants and citations first: the person's save derives its search document from the
            # variants and checks a publication against the citations.
            if variants_changed:
                for variant in victim.variants.all():
                    variant._change_reason = self.reason
                    variant._history_user = self.user
                    variant.delete()
                bulk_create_with_history(
                    [NameVariant(victim=victim, name=n, script=s, kind=k) for n, s, k in parsed.variants],
                    NameVariant, default_user=self.user, default_change_reason=self.reason,
                )  # fmt: skip
            if citations_changed:
                for citation in victim.citations.all():
                    citation._change_reason = self.reason
                    citation._history_user = self.user
                    citation.delete()
                bulk_create_with_history(
                    [Citation(victim=victim, source_id=self.sources[key], locator=loc, supports=sup)
                     for key, loc, sup in parsed.citations],
                    Citation, default_user=self.user, default_change_reason=self.reason,
                )  # fmt: skip
            if events_changed:
                # From the event's side: its history tracks the links, and django-simple-history
                # cannot record an add made from the person's side (TypeError on HistoricalVictim).
                for event in Event.objects.filter(pk__in={self.events[e] for e in parsed.events}):
                    event._change_reason = self.reason
                    if self.user:
                        event._history_user = self.user
                    event.victims.add(victim)
            if any(c not in (VARIANTS, CITATIONS, "events") for c in changes):
                record_save(record=victim, user=self.user, reason=self.reason)
            else:
                record_claim_version(record=victim, loaded_version=None)
                if variants_changed:
                    victim_refresh_search(victim=victim)


def _same_time_or_place(one: Victim, other: Victim) -> bool:
    """Whether two people of the same name could be one: a date of death unknown or close, or the same place."""
    if one.place_of_death_id and one.place_of_death_id == other.place_of_death_id:
        return True
    if not one.death_date or not other.death_date:
        return True
    if (
        Precision.DAY not in (one.death_precision, other.death_precision)
        or one.death_precision != other.death_precision
    ):
        return one.death_date.year == other.death_date.year
    return abs((one.death_date - other.death_date).days) <= 2


def _iso(value: datetime.date | None, precision: str) -> str:
    from common.partialdates import iso_partial_date

    return iso_partial_date(value, precision)
