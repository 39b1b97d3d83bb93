"""Rows the duplicate gate held back, kept until a staff member decides (:class:`HeldBackRow`).

:func:`held_rows_store` is the import's last step, in the import's own transaction (a rejected
import stores nothing). Each row is then resolved once: :func:`held_back_import` writes it as a new
person (a draft, through the import's own write path, with the row's variants, citations and
events), :func:`held_back_match` records that it is a person already in the registry (that person is
not changed), :func:`held_back_discard` drops it with a reason. Every decision is in the row's history.
"""

from __future__ import annotations

import dataclasses

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from victims.exchange.importing.matching import Matcher, Stored
from victims.exchange.importing.parsing import ParsedRow, parse_row
from victims.exchange.importing.results import Candidate
from victims.exchange.importing.writing import write_creates
from victims.exchange.readers import RawRow
from victims.models import HeldBackRow, HeldBackState, Status, Victim

RESOLVE = "victims.change_heldbackrow"
NAME_LENGTH = HeldBackRow._meta.get_field("name").max_length


def held_back_data(raw: RawRow) -> dict:
    """A row as the file gave it, in JSON: its cells and, from the JSON export or the data package,
    its already split variants, citations and event links."""
    return {"cells": dict(raw.cells), "variants": raw.variants, "citations": raw.citations, "events": raw.events}


def held_back_raw(row: HeldBackRow) -> RawRow:
    """The stored row as the import reads it again."""
    data = row.data
    return RawRow(
        row.row_number, dict(data.get("cells", {})), variants=data.get("variants"),
        citations=data.get("citations"), events=data.get("events"),
    )  # fmt: skip


def held_rows_store(
    held: list[tuple[ParsedRow, Victim, list[Candidate]]], *, file_name: str, user, when
) -> list[HeldBackRow]:
    """Keep the rows an import held back (each with the people it resembles) for a decision later."""
    user = user if getattr(user, "pk", None) else None
    rows = [
        HeldBackRow(
            file_name=file_name[: HeldBackRow._meta.get_field("file_name").max_length], row_number=parsed.raw.number,
            data=held_back_data(parsed.raw), name=(str(victim) or victim.composed_name())[:NAME_LENGTH],
            candidates=[dataclasses.asdict(candidate) for candidate in candidates], imported_by=user, imported_at=when,
        )
        for parsed, victim, candidates in held
    ]  # fmt: skip
    if not rows:
        return []
    return bulk_create_with_history(
        rows, HeldBackRow, default_user=user, default_change_reason=_("Held back by the import of %(file)s")
        % {"file": file_name}, default_date=when,
    )  # fmt: skip


def held_back_people(row: HeldBackRow) -> list[Victim]:
    """The people in the registry a row resembles (those still there and not merged away), most
    similar first: the choices of "it is this person"."""
    uuids = [candidate["uuid"] for candidate in row.candidates if candidate.get("uuid")]
    found = {str(uuid): person for uuid, person in
             Victim.objects.exclude(status=Status.MERGED).in_bulk(uuids, field_name="uuid").items()}  # fmt: skip
    return [found[uuid] for uuid in dict.fromkeys(uuids) if uuid in found]


def _waiting(row: HeldBackRow, user) -> HeldBackRow:
    if not (user.is_active and user.has_perm(RESOLVE)):
        raise PermissionDenied(_("You may not resolve imported rows held back."))
    locked = HeldBackRow.objects.select_for_update().get(pk=row.pk)
    if locked.state != HeldBackState.WAITING:
        raise ValidationError(_("This row was already resolved: %(state)s.") % {"state": locked.get_state_display()})
    return locked


def _decide(row: HeldBackRow, *, state: str, user, note: str, victim: Victim | None, reason: str) -> HeldBackRow:
    row.state, row.victim, row.decision_note = state, victim, note
    row.decided_by, row.decided_at = user, timezone.now()
    row._history_user, row._change_reason = user, reason
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def held_back_import(*, row: HeldBackRow, user, note: str = "") -> HeldBackRow:
    """Create the person the row describes, as a draft, through the import's write path (variants,
    citations and event links included). ValidationError naming the problems when the row no longer
    fits the registry (a place or source removed since, a UUID now taken)."""
    row = _waiting(row, user)
    parsed = parse_row(held_back_raw(row))
    matcher = Matcher(user=user, may_publish=False)
    victim, before = matcher.match(parsed, Stored.load([parsed]))
    if before is not None:
        parsed.problem("uuid", _("A person with this UUID is now in the registry; say it is this person instead."))
    if parsed.problems:
        raise ValidationError([f"{column}: {message}" if column else message for column, message in parsed.problems])
    victim.status = Status.DRAFT
    matcher.assign_slugs([victim])
    reason = _("Import of %(file)s, row %(row)d: held back as a likely duplicate, imported as a new person") % {
        "file": row.file_name, "row": row.row_number}  # fmt: skip
    write_creates([(parsed, victim)], sources=matcher.sources, events=matcher.events, user=user, reason=reason,
                  when=timezone.now())  # fmt: skip
    return _decide(row, state=HeldBackState.IMPORTED, user=user, note=note, victim=victim,
                   reason=_("Imported as a new person"))  # fmt: skip


@transaction.atomic
def held_back_match(*, row: HeldBackRow, victim: Victim, user, note: str = "") -> HeldBackRow:
    """Record that the row is ``victim``, a person already in the registry. The person is not
    changed: what the row adds is for a curator to enter in the person's own form."""
    row = _waiting(row, user)
    if victim.status == Status.MERGED:
        raise ValidationError(_("This person was merged into another record; choose that record."))
    return _decide(row, state=HeldBackState.MATCHED, user=user, note=note, victim=victim,
                   reason=_("The same as %(person)s") % {"person": victim})  # fmt: skip


@transaction.atomic
def held_back_discard(*, row: HeldBackRow, user, reason: str) -> HeldBackRow:
    """Drop the row, saying why (kept in the row and its history)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError(_("Say why the row is discarded."))
    row = _waiting(row, user)
    return _decide(row, state=HeldBackState.DISCARDED, user=user, note=reason, victim=None,
                   reason=_("Discarded: %(reason)s") % {"reason": reason})  # fmt: skip
