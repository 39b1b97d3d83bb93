"""Writes to the registry that touch more than one row, and the registry's rules.

The publication workflow (draft → in review → published → withdrawn) lives here, so that the
admin's actions, its buttons and any other caller apply the same permissions:

- a Curator (``victims.submit_victim``) submits a draft for review;
- an Editor (``victims.publish_victim``) publishes, withdraws and sends records back to draft;
- superusers may do everything.

Victims and events carry a ``version`` (optimistic locking): :func:`record_claim_version` refuses
a save based on a version that is no longer current.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from victims import images
from victims.models import Event, Photo, Status, Victim
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


def victim_search_names(victim: Victim) -> list[str]:
    """Every form of a person's name that search should find."""
    names = [
        victim.display_name,
        f"{victim.family_name} {victim.given_name} {victim.patronymic}",
        f"{victim.given_name} {victim.family_name}",
    ]
    names.extend(variant.name for variant in victim.variants.all())
    return names


@transaction.atomic
def victim_refresh_search(*, victim: Victim) -> None:
    """Recompute the stored search document and alphabet initial from the names and variants."""
    victim.search_document = search_document(victim_search_names(victim))
    victim.initial = initial_letter(victim.family_name or victim.given_name)
    Victim.objects.filter(pk=victim.pk).update(search_document=victim.search_document, initial=victim.initial)


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
    withdrawn records (a Curator edits drafts and records in review)."""
    if record is None or record.pk is None or user.is_superuser:
        return True
    if record.status in (Status.PUBLISHED, Status.WITHDRAWN):
        return user.has_perm(PUBLISH)
    return True


def record_can_delete(*, user, record: Record | None) -> bool:
    """Deleting rule on top of the delete permission: published and withdrawn records are
    deleted only by superusers (everyone else withdraws them); Curators delete only drafts."""
    if record is None or user.is_superuser:
        return True
    if record.status in (Status.PUBLISHED, Status.WITHDRAWN):
        return False
    if record.status == Status.REVIEW:
        return user.has_perm(PUBLISH)
    return True


def record_apply_status(*, record: Record, from_status: str, user) -> None:
    """Check a status change already set on ``record`` (from ``from_status``) and complete it:
    PermissionDenied or ValidationError when not allowed; ``published_at`` set at the first
    publication. Does not save."""
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
    if to_status == Status.PUBLISHED:
        if isinstance(record, Victim) and record.pk and not record.citations.exists():
            raise ValidationError(
                _("A person is published only with at least one citation of a source."), code="no_citation"
            )
        if record.published_at is None:
            record.published_at = timezone.now()


@transaction.atomic
def record_transition(*, record: Record, to_status: str, user) -> Record:
    """Move a victim or an event to ``to_status`` if ``user`` may; returns the saved record.

    Raises PermissionDenied (not allowed for this user) or ValidationError (not a workflow step,
    or the record is not complete enough to publish).
    """
    model = type(record)
    current = model.objects.select_for_update().get(pk=record.pk)
    from_status = current.status
    current.status = to_status
    record_apply_status(record=current, from_status=from_status, user=user)
    current.full_clean()
    current.updated_by = user
    current.version = current.version + 1
    current._history_user = user
    current._change_reason = f"status: {from_status} → {to_status}"
    current.save()
    record.status, record.published_at, record.version = current.status, current.published_at, current.version
    return current


def victim_submit_for_review(*, victim: Victim, user) -> Victim:
    """A Curator hands a draft to the Editors."""
    return record_transition(record=victim, to_status=Status.REVIEW, user=user)


def victim_publish(*, victim: Victim, user) -> Victim:
    """An Editor makes the record public (``published_at`` is set the first time)."""
    return record_transition(record=victim, to_status=Status.PUBLISHED, user=user)


def victim_withdraw(*, victim: Victim, user) -> Victim:
    """An Editor takes a published record off the site (it is kept, with its history)."""
    return record_transition(record=victim, to_status=Status.WITHDRAWN, user=user)


def victim_return_to_draft(*, victim: Victim, user) -> Victim:
    """An Editor sends a record in review (or withdrawn) back to the Curators."""
    return record_transition(record=victim, to_status=Status.DRAFT, user=user)


def event_submit_for_review(*, event: Event, user) -> Event:
    return record_transition(record=event, to_status=Status.REVIEW, user=user)


def event_publish(*, event: Event, user) -> Event:
    return record_transition(record=event, to_status=Status.PUBLISHED, user=user)


def event_withdraw(*, event: Event, user) -> Event:
    return record_transition(record=event, to_status=Status.WITHDRAWN, user=user)


# --- Optimistic locking ---------------------------------------------------------------------------


def record_current_version(*, model: type[Record], pk: int, lock: bool = False) -> int | None:
    """The version stored now (``None`` if the record is gone); ``lock`` holds the row until the
    end of the transaction so that nobody saves between the check and the save."""
    queryset = model.objects.filter(pk=pk)
    if lock:
        queryset = queryset.select_for_update()
    return queryset.values_list("version", flat=True).first()


@transaction.atomic
def record_claim_version(*, record: Record, loaded_version: int) -> int:
    """Raise the stored version from ``loaded_version`` by one, atomically, and return the new
    version (also set on ``record``); StaleRecord if someone saved since ``loaded_version``."""
    model = type(record)
    claimed = model.objects.filter(pk=record.pk, version=loaded_version).update(version=F("version") + 1)
    if not claimed:
        raise StaleRecord
    record.version = loaded_version + 1
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
    if old_renditions:
        transaction.on_commit(lambda: images.delete_stored(renditions=old_renditions))
    return photo


def photos_unpublish_files(*, photos) -> None:
    """Once the transaction commits, remove the public renditions of ``photos`` (being deleted or
    replaced). The private originals stay, like the history rows that name them: nothing is lost,
    and renditions can be made again from an original."""
    renditions = [photo.renditions for photo in photos if photo.renditions]
    if renditions:
        transaction.on_commit(lambda: [images.delete_stored(renditions=r) for r in renditions])
