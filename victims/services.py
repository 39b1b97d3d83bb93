"""Writes to the registry that touch more than one row, and the registry's rules.

The publication workflow (draft → in review → published → withdrawn) lives here, so that the
admin's actions, its buttons and any other caller apply the same permissions:

- a Curator (``victims.submit_victim``) submits a draft for review;
- an Editor (``victims.publish_victim``) publishes, withdraws and sends records back to draft;
- superusers may do everything.

Every write of a person or an event goes through :func:`record_save` (or, for many new people at
once, :func:`victims_bulk_create`). Victims and events carry a ``version`` (optimistic locking): a
save based on a version that is no longer current is refused (:class:`StaleRecord`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from victims import duplicates, images
from victims.caching import forget_generation_on_commit
from victims.copying import copy_history, copy_insert
from victims.models import Citation, Event, NameVariant, Photo, Status, Victim
from victims.normalize import initial_letter, search_document

SUBMIT = "victims.submit_victim"
PUBLISH = "victims.publish_victim"

# (from, to) → the permission it needs.
TRANSITIONS: dict[tuple[str, str], str] = {
    (Status.DRAFT, Status.REVIEW): SUBMIT,
    (Status.REVIEW, Status.DRAFT): PUBLISH,
    (Status.REVIEW, Status.PUBLISHED): PUBLISH,
    (Status.DRAFT, Status.PUBLISHED): PUBLISH,
    (Status.PUBLISHED, Status.WITHDRAWN): PUBLISH,
    (Status.WITHDRAWN, Status.PUBLISHED): PUBLISH,
    (Status.WITHDRAWN, Status.DRAFT): PUBLISH,
}

Record = Victim | Event


class StaleRecord(Exception):
    """Someone else saved the record after it was loaded."""


# --- Writing people and events --------------------------------------------------------------------
# Every write of a person or an event goes through record_save() (one record) or
# victims_bulk_create() (imports, the benchmark generator): the version, the derived name columns,
# the display name, who and why for the history, the publication rule and the registry generation
# are kept here and nowhere else.

NAME_PARTS = ("given_name", "patronymic", "family_name")
# What the duplicate scoring reads of a person (victims.duplicates): a change rescores their pairs.
SCORED_COLUMNS = (
    *NAME_PARTS, "display_name", "birth_date", "birth_precision", "death_date", "death_precision",
    "place_of_birth_id", "place_of_death_id",
)  # fmt: skip


def composed_name(given_name: str, patronymic: str, family_name: str) -> str:
    """The display name made from the parts of a name."""
    return " ".join(part for part in (given_name, patronymic, family_name) if part)


def victim_search_names(victim: Victim, variant_names: Iterable[str] | None = None) -> list[str]:
    """Every form of a person's name that search should find; ``variant_names`` stands for the
    stored variants when they are not (yet) in the database."""
    names = [
        victim.display_name,
        f"{victim.family_name} {victim.given_name} {victim.patronymic}",
        f"{victim.given_name} {victim.family_name}",
    ]
    if variant_names is None:
        variant_names = [variant.name for variant in victim.variants.all()]
    names.extend(variant_names)
    return names


def victim_derive(*, victim: Victim, stored_parts: tuple[str, str, str] | None, variant_names=None) -> None:
    """Fill the columns derived from a person's other columns (not saved).

    The display name follows the parts of the name unless a curator set it by hand: a display name
    that is empty or still the one the stored parts make is made again from the new parts; any other
    is kept. ``stored_parts`` are the name parts before this edit (``None`` for a new person)."""
    automatic = composed_name(*stored_parts) if stored_parts else ""
    if not victim.display_name or victim.display_name == automatic:
        victim.display_name = victim.composed_name()
    victim.age = victim.derived_age()
    victim.search_document = search_document(victim_search_names(victim, variant_names))
    victim.initial = initial_letter(victim.family_name or victim.given_name)


def _raise_version(record: Record, expected_version: int | None) -> dict | None:
    """The one place a version is raised: 1 for a new record, else the stored version plus one,
    read under a row lock. StaleRecord when the record is gone or ``expected_version`` is no longer
    the stored one. Returns what the record held before (status and name parts), or None if new."""
    if record.pk is None:
        record.version = 1
        return None
    model = type(record)
    columns = ["version", "status", *(SCORED_COLUMNS if model is Victim else ())]
    stored = model.objects.select_for_update().filter(pk=record.pk).values(*columns).first()
    if stored is None or (expected_version is not None and stored["version"] != expected_version):
        raise StaleRecord
    record.version = stored["version"] + 1
    return stored


def record_check_publication(record: Record, *, was_published: bool, citation_count: int | None = None) -> None:
    """A person becomes public only with at least one citation of a source; the first publication
    dates the record. ``citation_count`` counts the citations about to be written with a new record."""
    if record.status != Status.PUBLISHED:
        return
    if isinstance(record, Victim) and not was_published:
        if citation_count is None:
            citation_count = record.citations.count() if record.pk else 0
        if not citation_count:
            raise ValidationError(
                _("A person is published only with at least one citation of a source."), code="no_citation"
            )
    if record.published_at is None:
        record.published_at = timezone.now()


def _sign(record: Record, *, user, reason: str) -> None:
    """Who changed the record and why, for its columns and its history row."""
    user = user if getattr(user, "pk", None) else None
    if user is not None:
        record.updated_by = user
        if record.pk is None and record.created_by_id is None:
            record.created_by = user
    record._history_user = user
    record._change_reason = reason or None


@transaction.atomic
def record_save(
    *,
    record: Record,
    user=None,
    reason: str = "",
    expected_version: int | None = None,
    citations: list[Citation] | None = None,
    variants: list[NameVariant] | None = None,
    full_clean: bool = False,
) -> Record:
    """Save one person or event, the only way either is written.

    Raises the version (StaleRecord if ``expected_version`` is given and no longer current), derives a
    person's display name, age, search document and initial, applies the publication rule
    (ValidationError), records ``user`` and ``reason`` in the history and refreshes the registry's
    generation after the commit. ``citations`` and ``variants`` (unsaved, for a new person) are
    written with it. ``full_clean`` validates every field and constraint before the save (callers
    whose forms or parsers checked the fields already leave it off). Related rows written later by the caller (the admin's inlines) are followed by
    :func:`victim_refresh_search`.
    """
    stored = _raise_version(record, expected_version)
    if isinstance(record, Victim):
        record.clean()
        victim_derive(
            victim=record,
            stored_parts=tuple(stored[part] for part in NAME_PARTS) if stored else None,
            variant_names=None if stored else [variant.name for variant in variants or []],
        )
    record_check_publication(
        record,
        was_published=bool(stored) and stored["status"] == Status.PUBLISHED,
        citation_count=None if stored else len(citations or []),
    )
    if full_clean:
        record.full_clean(validate_unique=False)
    _sign(record, user=user, reason=reason)
    record.save()
    for related in (*(variants or []), *(citations or [])):
        related.victim = record
        _sign_related(related, user=user, reason=reason)
        related.save()
    if isinstance(record, Victim):
        _duplicates_follow(record, stored)
    forget_generation_on_commit()
    return record


def _duplicates_follow(victim: Victim, stored: dict | None) -> None:
    """Keep the proposed duplicates true to a saved person: a merged or withdrawn person's open
    pairs go now; a new person, or one whose scored columns or status changed, is rescored once
    the transaction commits."""
    if victim.status in duplicates.NOT_SCORED:
        if stored is None or stored["status"] != victim.status:
            duplicates.duplicates_forget_person(victim_id=victim.pk)
        return
    if stored is None or stored["status"] != victim.status or any(
        stored[column] != getattr(victim, column) for column in SCORED_COLUMNS
    ):
        duplicates.duplicates_rescore_on_commit(victim.pk)


def _sign_related(row, *, user, reason: str) -> None:
    row._history_user = user if getattr(user, "pk", None) else None
    row._change_reason = reason or None


@transaction.atomic
def victims_bulk_create(
    *,
    victims: list[Victim],
    variants: list[list[NameVariant]],
    citations: list[list[Citation]],
    user=None,
    reason: str = "",
    when: datetime.datetime | None = None,
) -> list[Victim]:
    """Create many people at once, each with its name variants and citations (lists parallel to
    ``victims``), doing set-wise what :func:`record_save` does for one: version 1, the derived
    columns, the publication rule (ValidationError naming the first offending position), history
    rows with ``user`` and ``reason``, and the registry generation."""
    when = when or timezone.now()
    for index, (victim, names, cited) in enumerate(zip(victims, variants, citations, strict=True)):
        victim.version = 1
        victim_derive(victim=victim, stored_parts=None, variant_names=[variant.name for variant in names])
        try:
            record_check_publication(victim, was_published=False, citation_count=len(cited))
        except ValidationError as error:
            raise ValidationError(error.messages, code="no_citation", params={"index": index}) from error
        _sign(victim, user=user, reason=reason)
    user = user if getattr(user, "pk", None) else None
    # COPY, and the history rows copied in the database (victims.copying): the same rows as
    # django-simple-history's bulk_create_with_history, without a model instance per history row.
    copy_insert(victims, Victim)
    copy_history(victims, Victim, user=user, reason=reason or None, when=when)
    for model, groups in ((NameVariant, variants), (Citation, citations)):
        rows = []
        for victim, group in zip(victims, groups, strict=True):
            for row in group:
                row.victim = victim
                rows.append(row)
        if rows:
            copy_insert(rows, model)
            copy_history(rows, model, user=user, reason=reason or None, when=when)
    forget_generation_on_commit()
    return victims


@transaction.atomic
def victim_refresh_search(*, victim: Victim) -> None:
    """Recompute the stored search document and alphabet initial after the person's name variants
    changed (the variants are read from the database; the version is not raised)."""
    before = victim.search_document
    victim.search_document = search_document(victim_search_names(victim))
    victim.initial = initial_letter(victim.family_name or victim.given_name)
    Victim.objects.filter(pk=victim.pk).update(search_document=victim.search_document, initial=victim.initial)
    if victim.search_document != before and victim.status not in duplicates.NOT_SCORED:
        duplicates.duplicates_rescore_on_commit(victim.pk)  # its name variants changed
    forget_generation_on_commit()


# --- Workflow -----------------------------------------------------------------------------------


def transition_allowed(*, user, from_status: str, to_status: str) -> bool:
    """Whether ``user`` may move a record from ``from_status`` to ``to_status``."""
    permission = TRANSITIONS.get((from_status, to_status))
    return bool(permission) and user.is_active and user.has_perm(permission)


def transitions_for(*, user, status: str) -> list[str]:
    """The statuses ``user`` may move a record in ``status`` to, in workflow order."""
    return [
        to
        for (frm, to) in TRANSITIONS
        if frm == status and transition_allowed(user=user, from_status=frm, to_status=to)
    ]


def record_can_edit(*, user, record: Record | None) -> bool:
    """Editing rule on top of the change permission: only publishers change published or
    withdrawn records (a Curator edits drafts and records in review). A merged record is kept as
    it was merged (victims.merging): nobody edits it."""
    if record is not None and record.status == Status.MERGED:
        return False
    if record is None or record.pk is None or user.is_superuser:
        return True
    if record.status in (Status.PUBLISHED, Status.WITHDRAWN):
        return user.has_perm(PUBLISH)
    return True


def record_can_delete(*, user, record: Record | None) -> bool:
    """Deleting rule on top of the delete permission: published and withdrawn records are
    deleted only by superusers (everyone else withdraws them); Curators delete only drafts. A merged
    record is never deleted: its addresses redirect through it."""
    if record is not None and record.status == Status.MERGED:
        return False
    if record is None or user.is_superuser:
        return True
    if record.status in (Status.PUBLISHED, Status.WITHDRAWN):
        return False
    if record.status == Status.REVIEW:
        return user.has_perm(PUBLISH)
    return True


def record_apply_status(*, record: Record, from_status: str, user) -> None:
    """Check a status change already set on ``record`` (from ``from_status``) and complete it:
    PermissionDenied or ValidationError when not allowed. Does not save; :func:`record_save` applies
    the publication rule and dates the first publication."""
    to_status = record.status
    if from_status == to_status:
        return
    if (from_status, to_status) not in TRANSITIONS:
        raise ValidationError(
            _("A record cannot go from “%(from)s” to “%(to)s”."),
            params={"from": Status(from_status).label, "to": Status(to_status).label},
            code="invalid_transition",
        )
    if not transition_allowed(user=user, from_status=from_status, to_status=to_status):
        raise PermissionDenied(
            _("You may not move a record from “%(from)s” to “%(to)s”.")
            % {"from": Status(from_status).label, "to": Status(to_status).label}
        )


def transition_change_reason(*, from_status: str, to_status: str, reason: str = "") -> str:
    """The history's change reason of a status change: "status: published → withdrawn: <reason>"."""
    text = f"status: {from_status} → {to_status}"
    return f"{text}: {reason}" if reason else text


def transition_reason(change_reason: str | None) -> str:
    """The reason an editor gave in a change reason written by :func:`transition_change_reason`."""
    if not change_reason or not change_reason.startswith("status: "):
        return ""
    parts = change_reason.split(": ", 2)
    return parts[2] if len(parts) == 3 else ""


def record_withdrawal(*, record: Record):
    """The history row of the record's latest withdrawal (with ``history_user`` and the reason
    in ``history_change_reason``), or None."""
    return (
        record.history.filter(status=Status.WITHDRAWN, history_change_reason__contains="→ withdrawn")
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .first()
    )


@transaction.atomic
def record_transition(*, record: Record, to_status: str, user, reason: str = "") -> Record:
    """Move a victim or an event to ``to_status`` if ``user`` may; returns the saved record.
    ``reason`` (why, as the user wrote it; the admin asks for it when withdrawing) goes into the
    history with the change.

    Raises PermissionDenied (not allowed for this user) or ValidationError (not a workflow step,
    or the record is not complete enough to publish).
    """
    model = type(record)
    current = model.objects.select_for_update().get(pk=record.pk)
    from_status = current.status
    current.status = to_status
    record_apply_status(record=current, from_status=from_status, user=user)
    record_save(
        record=current,
        user=user,
        reason=transition_change_reason(from_status=from_status, to_status=to_status, reason=" ".join(reason.split())),
        full_clean=True,
    )
    record.status, record.published_at, record.version = current.status, current.published_at, current.version
    return current


def victim_submit_for_review(*, victim: Victim, user) -> Victim:
    """A Curator hands a draft to the Editors."""
    return record_transition(record=victim, to_status=Status.REVIEW, user=user)


def victim_publish(*, victim: Victim, user) -> Victim:
    """An Editor makes the record public (``published_at`` is set the first time)."""
    return record_transition(record=victim, to_status=Status.PUBLISHED, user=user)


def victim_withdraw(*, victim: Victim, user, reason: str = "") -> Victim:
    """An Editor takes a published record off the site (it is kept, with its history and the reason)."""
    return record_transition(record=victim, to_status=Status.WITHDRAWN, user=user, reason=reason)


def victim_return_to_draft(*, victim: Victim, user) -> Victim:
    """An Editor sends a record in review (or withdrawn) back to the Curators."""
    return record_transition(record=victim, to_status=Status.DRAFT, user=user)


def event_publish(*, event: Event, user) -> Event:
    return record_transition(record=event, to_status=Status.PUBLISHED, user=user)


def event_withdraw(*, event: Event, user, reason: str = "") -> Event:
    return record_transition(record=event, to_status=Status.WITHDRAWN, user=user, reason=reason)


# --- Optimistic locking ---------------------------------------------------------------------------


def record_current_version(*, model: type[Record], pk: int, lock: bool = False) -> int | None:
    """The version stored now (``None`` if the record is gone); ``lock`` holds the row until the
    end of the transaction so that nobody saves between the check and the save."""
    queryset = model.objects.filter(pk=pk)
    if lock:
        queryset = queryset.select_for_update()
    return queryset.values_list("version", flat=True).first()


@transaction.atomic
def record_claim_version(*, record: Record, loaded_version: int | None) -> int:
    """Raise the version of a record saved without a change of its own columns (only its related
    rows, such as the admin's inlines) and return it; StaleRecord if someone saved since
    ``loaded_version``."""
    _raise_version(record, loaded_version)
    type(record).objects.filter(pk=record.pk).update(version=record.version)
    forget_generation_on_commit()
    return record.version


# --- Photos --------------------------------------------------------------------------------------


def photo_attach_upload(*, photo: Photo, checked: images.CheckedImage) -> Photo:
    """Store a checked upload for ``photo`` (not yet saved): the clean original in the private
    storage, the renditions in the default storage; fills ``original``, size and renditions.
    A replaced photo's old renditions are removed after the commit; its old original is kept."""
    old = Photo.objects.filter(pk=photo.pk).values("renditions").first() if photo.pk else None
    old_renditions = (old["renditions"] or {}) if old else {}
    stored = images.store_renditions(checked, key=str(photo.uuid))
    # Saved through the configured private storage itself (not the field's copy of it); assigning
    # the name replaces the uploaded file, so the raw upload is never written anywhere.
    photo.original = storages["private"].save(f"originals/{stored.original_name}", stored.original_content)
    photo.width, photo.height, photo.renditions = stored.width, stored.height, stored.renditions
    # A new image: hashed again and the person's pairs rescored once saved (victims.duplicates).
    photo.phash = ""
    transaction.on_commit(lambda: duplicates.duplicates_rescore_on_commit(photo.victim_id, photos=True), robust=True)
    if old_renditions:
        transaction.on_commit(lambda: images.delete_stored(renditions=old_renditions))
    return photo


def photos_unpublish_files(*, photos) -> None:
    """Once the transaction commits, remove the public renditions of ``photos`` (being deleted or
    replaced). The private originals stay, like the history rows that name them: nothing is lost,
    and renditions can be made again from an original."""
    renditions = [photo.renditions for photo in photos if photo.renditions]
    for victim_id in {photo.victim_id for photo in photos if photo.victim_id}:
        duplicates.duplicates_rescore_on_commit(victim_id)  # a removed photo no longer flags a pair
    if renditions:
        transaction.on_commit(lambda: [images.delete_stored(renditions=r) for r in renditions])
