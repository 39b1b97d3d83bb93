"""Bulk import of people from the export's own layout, in one transaction.

:func:`registry_import` reads a file (see :mod:`.readers`), checks every row, and either writes
the whole batch or nothing. Rows are matched by UUID: an unchanged row changes nothing (not even
history), an edited row updates the record in place, a row without a UUID creates a person. Before
a person is created, likely duplicates already in the registry (or earlier in the same file) are
looked up by trigram similarity of the name's search key, date of death and place of death; such
rows are held back until confirmed: they are kept, as imported, with the people they resemble
(:class:`victims.models.HeldBackRow`) for a staff member to resolve later in the admin.

Each step has its module in :mod:`victims.exchange.importing`: parsing the rows, matching them to
the registry, the duplicate gate and writing; this module runs them a chunk at a time.
"""

from __future__ import annotations

from collections.abc import Collection
from itertools import islice
from pathlib import Path
from typing import IO

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from victims.exchange.importing.duplicates import MAX_CANDIDATES, file_duplicates, registry_duplicates
from victims.exchange.importing.heldback import held_rows_store
from victims.exchange.importing.matching import COMPARED_FIELDS, Change, Matcher, Stored
from victims.exchange.importing.parsing import ParsedRow, check_header, parse_row
from victims.exchange.importing.results import ImportResult, Problem, RowOutcome
from victims.exchange.importing.writing import write_creates, write_updates
from victims.exchange.readers import FileProblem, RawRow, read_table
from victims.models import Status, Victim

__all__ = ["CHUNK", "ImportResult", "registry_import"]

CHUNK = 1000


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
    header_problems = check_header(table.header)
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
            importer.store_held(file_name)
    except _Rollback:
        pass
    result.problems.sort(key=lambda p: (p.row or 0, p.column))
    result.written = not result.problems and not dry_run
    return result


class _Importer:
    """One import run: reference data loaded once, rows checked and written a chunk at a time."""

    def __init__(self, *, result: ImportResult, user, reason: str, may_publish: bool, confirm) -> None:
        self.result = result
        self.user = user if getattr(user, "pk", None) else None
        self.reason = reason
        self.may_publish = may_publish
        self.confirm_all = confirm is True
        self.confirmed = set() if isinstance(confirm, bool) else set(confirm)
        self.matcher = Matcher(user=self.user, may_publish=may_publish)
        self.created_rows: dict[int, int] = {}  # victim pk → row created from this file
        self.held: list[tuple[ParsedRow, Victim, list]] = []  # rows held back, kept at the end
        self.now = timezone.now()

    def fail(self, row: int | None, column: str, message: str) -> None:
        self.result.problems.append(Problem(row, column, message))

    def process(self, raws: list[RawRow]) -> None:
        """Check one chunk of rows and, while the file has no problem so far, write it."""
        parsed_rows = [parse_row(raw) for raw in raws]
        stored = Stored.load(parsed_rows)
        creates: list[tuple[ParsedRow, Victim]] = []
        updates: list[tuple[ParsedRow, Victim, Change]] = []
        for parsed in parsed_rows:
            number = parsed.raw.number
            victim, before = self.matcher.match(parsed, stored)
            for column, message in parsed.problems:
                self.fail(number, column, message)
            if parsed.problems:
                continue
            if before is None:
                creates.append((parsed, victim))
                continue
            change = self.matcher.changes(parsed, victim, before, stored)
            outcome = RowOutcome(
                number, "update" if change.columns else "unchanged", str(victim.uuid), str(victim), change.columns
            )
            outcome.values = {
                name.removesuffix("_id"): (before[name], getattr(victim, name))
                for name in COMPARED_FIELDS
                if getattr(victim, name) != before[name]
            }
            if "status" in parsed.values and parsed.values["status"] != victim.status and not self.may_publish:
                outcome.notes.append(_("The status was not changed: your role may not publish."))
            self.result.rows.append(outcome)
            if change.columns:
                updates.append((parsed, victim, change))
        self.matcher.assign_slugs([victim for _p, victim in creates])
        creates = self._gate(creates)
        if not self.result.problems:
            self._write(creates, updates)

    def _gate(self, creates: list[tuple[ParsedRow, Victim]]) -> list[tuple[ParsedRow, Victim]]:
        """Report every new person's row; hold back those with likely duplicates not confirmed."""
        found_registry, found_file = {}, {}
        if creates and not self.confirm_all:
            found_registry = registry_duplicates([victim for _p, victim in creates], created_rows=self.created_rows)
            found_file = file_duplicates(
                [(parsed.raw.number, victim) for parsed, victim in creates], place_slugs=self.matcher.place_slugs
            )
        kept = []
        for index, (parsed, victim) in enumerate(creates):
            number = parsed.raw.number
            duplicates = (found_registry.get(index, []) + found_file.get(index, []))[:MAX_CANDIDATES]
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
            else:
                self.held.append((parsed, victim, duplicates))
        return kept

    def store_held(self, file_name: str) -> None:
        """Keep the rows held back for a decision later, in the import's transaction."""
        held_rows_store(self.held, file_name=file_name, user=self.user, when=self.now)

    def _write(self, creates, updates) -> None:
        references = {"sources": self.matcher.sources, "events": self.matcher.events, "user": self.user,
                      "reason": self.reason}  # fmt: skip
        try:
            with transaction.atomic():
                self.created_rows |= write_creates(creates, **references, when=self.now)
                write_updates(updates, **references)
        except DatabaseError as error:
            self.fail(None, "", _("The database refused the batch: %(error)s") % {"error": str(error).splitlines()[0]})
