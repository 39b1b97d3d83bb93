"""Writes of contributions: a visitor submits or withdraws, a curator moderates.

The moderation workflow is a table, like the registry's: new → in progress → accepted or
rejected; the sender may withdraw while nobody has decided. Every change is saved with its
history (who, when, why).
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from common.partialdates import parse_iso_partial_date
from contributions import emails
from contributions.models import Contribution, Kind
from contributions.models import ContributionStatus as S
from victims import images
from victims import services as registry
from victims.exchange.importing.duplicates import registry_duplicates
from victims.models import (
    Citation,
    NameVariant,
    Photo,
    Place,
    Reliability,
    Script,
    Source,
    SourceKind,
    Status,
    VariantKind,
    Victim,
    VictimSlug,
)  # fmt: skip
from victims.normalize import search_key, slug_text

MODERATE = "contributions.change_contribution"

# (from, to) moves a curator may make.
MODERATION: set[tuple[str, str]] = {
    (S.NEW, S.IN_PROGRESS),
    (S.NEW, S.ACCEPTED),
    (S.NEW, S.REJECTED),
    (S.IN_PROGRESS, S.ACCEPTED),
    (S.IN_PROGRESS, S.REJECTED),
    (S.IN_PROGRESS, S.NEW),
}
WITHDRAWABLE = {S.NEW, S.IN_PROGRESS}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def contribution_submit(*, contribution: Contribution, upload: tuple | None = None) -> tuple[Contribution, str]:
    """Save a visitor's submission as new; returns it with the withdraw token (sent by email,
    kept only as a hash) and the receipt is emailed once it commits. ``upload`` is ``("image", CheckedImage)`` from the image pipeline (its
    clean, metadata-free copy is kept) or ``("pdf", file)`` (kept as sent); both go to the private
    storage (removed again if the row cannot be saved)."""
    token = secrets.token_urlsafe(32)
    contribution.status = S.NEW
    contribution.withdraw_token_hash = token_hash(token)
    contribution.full_clean(exclude=["file"])
    if upload is not None:
        kind, content = upload
        key = secrets.token_hex(16)
        content = images.encode_original(content, key=key) if kind == "image" else File(content, name=f"{key}.pdf")
        contribution.file.name = storages["private"].save(f"contributions/{content.name}", content)
    contribution._change_reason = "received"
    try:
        contribution.save()
    except BaseException:
        contribution_delete_files(contribution=contribution)
        raise
    transaction.on_commit(lambda: emails.send_receipt(contribution, token))
    return contribution, token


def contribution_delete_files(*, contribution: Contribution) -> None:
    """Remove the sent file from the private storage."""
    if contribution.file:
        storages["private"].delete(contribution.file.name)


def moderation_choices(*, contribution: Contribution, user) -> list[str]:
    """The statuses ``user`` may move ``contribution`` to."""
    if not (user.is_active and user.has_perm(MODERATE)):
        return []
    return [to for (frm, to) in sorted(MODERATION) if frm == contribution.status]


@transaction.atomic
def contribution_moderate(*, contribution: Contribution, to_status: str, user, reason: str = "") -> Contribution:
    """A curator moves a contribution on; rejecting needs a reason (the sender is told)."""
    current = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if not (user.is_active and user.has_perm(MODERATE)):
        raise PermissionDenied(_("You may not moderate contributions."))
    if (current.status, to_status) not in MODERATION:
        raise ValidationError(
            _("A contribution cannot go from “%(from)s” to “%(to)s”."),
            params={"from": S(current.status).label, "to": S(to_status).label},
            code="invalid_transition",
        )
    from_status = current.status
    current.status = to_status
    if to_status == S.REJECTED:
        current.rejection_reason = reason.strip()
    current.handled_by = user
    current.decided_at = timezone.now() if to_status in (S.ACCEPTED, S.REJECTED) else None
    current.full_clean()
    current._history_user = user
    current._change_reason = f"status: {from_status} → {to_status}" + (f": {reason.strip()}" if reason.strip() else "")
    current.save()
    if to_status in (S.ACCEPTED, S.REJECTED):
        transaction.on_commit(lambda: emails.send_outcome(current))
    contribution.status, contribution.rejection_reason = current.status, current.rejection_reason
    contribution.decided_at, contribution.handled_by = current.decided_at, current.handled_by
    return current


def contribution_by_token(*, token: str) -> Contribution | None:
    if not token or len(token) > 100:
        return None
    return Contribution.objects.filter(withdraw_token_hash=token_hash(token)).first()


@transaction.atomic
def contribution_withdraw(*, contribution: Contribution) -> Contribution:
    """The sender takes back a submission nobody has decided on; the daily clean-up
    (``purge_contributions``) deletes it with its file."""
    current = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if current.status not in WITHDRAWABLE:
        raise ValidationError(_("This submission can no longer be withdrawn."), code="not_withdrawable")
    current.status = S.WITHDRAWN
    current.decided_at = timezone.now()
    current._change_reason = "withdrawn by the sender"
    current.save()
    return current


# --- From the queue to the registry -------------------------------------------------------------
# What a curator accepts reaches the registry only through the registry's own write path
# (victims.services.record_save, photo_attach_upload) and workflow: a testimony becomes a draft
# person, a visitor's photo an unapproved photo; both are public only after review.

ADD_PERSON = "victims.add_victim"
ADD_PHOTO = "victims.add_photo"

# Every testimony a curator turns into a record is cited as this one source: a testimony sent
# through the site, rated "testimony" (the Methodology page). Its sender is *not* written into the
# source or the citation, which the public pages show: the sender stays on the contribution (the
# person's change form lists it for curators), and the citation names only the contribution's number.
TESTIMONY_SOURCE_KEY = "site-testimonies"


def testimony_source() -> Source:
    """The source every testimony sent through the site is cited as (made when first needed)."""
    source = Source.objects.filter(key=TESTIMONY_SOURCE_KEY).first()
    if source is not None:
        return source
    notes = {}
    for language in ("az", "en", "ru"):
        with translation.override(language):
            notes[f"notes_{language}"] = gettext(
                "Accounts by relatives and witnesses sent through this memorial's testimony form and checked by "
                "its curators. The senders' names are kept by the curators and not published."
            )
    source = Source(
        key=TESTIMONY_SOURCE_KEY, kind=SourceKind.TESTIMONY, reliability=Reliability.TESTIMONY,
        title="Testimonies sent through the memorial's website", original_language="en", **notes,
    )  # fmt: skip
    source.full_clean()
    source.save()
    return source


def _script(text: str) -> str:
    letters = [ch for ch in text if ch.isalpha()]
    if letters and all(unicodedata.name(ch, "").startswith("CYRILLIC") for ch in letters):
        return Script.CYRILLIC
    if letters and all(unicodedata.name(ch, "").startswith("LATIN") for ch in letters):
        return Script.LATIN
    return Script.OTHER


def _place(name: str) -> Place | None:
    """The one existing place called ``name`` (in any language, or the same by its search key);
    None when there is none or more than one (the curator chooses)."""
    name = " ".join((name or "").split())
    if not name:
        return None
    exact = list(Place.objects.filter(Q(name_az__iexact=name) | Q(name_en__iexact=name) | Q(name_ru__iexact=name))[:2])
    if exact:
        return exact[0] if len(exact) == 1 else None
    key = search_key(name)
    if not key:
        return None
    same = [
        place
        for place in Place.objects.only("pk", "name_az", "name_en", "name_ru")
        if key in {search_key(place.name_az or ""), search_key(place.name_en or ""), search_key(place.name_ru or "")}
    ]
    return same[0] if len(same) == 1 else None  # fmt: skip


def testimony_person(contribution: Contribution) -> tuple[Victim, list[NameVariant]]:
    """The draft person a testimony describes (not saved), with its name variants.

    Names are kept as the sender wrote them; a name written in Cyrillic or another script than
    Latin also becomes a name variant in that script, so search finds it whatever the curator
    later writes in the name fields. Partial dates keep their precision; places are the existing
    places of that name where there is exactly one; the circumstances are the biography's draft,
    in the sender's language."""
    victim = Victim(
        family_name=contribution.family_name.strip(), given_name=contribution.given_name.strip(),
        patronymic=contribution.patronymic.strip(), status=Status.DRAFT, original_language=contribution.language,
        place_of_birth=_place(contribution.place_of_birth), place_of_death=_place(contribution.place_of_death),
    )  # fmt: skip
    for prefix in ("birth", "death"):
        try:
            date, precision = parse_iso_partial_date(getattr(contribution, f"{prefix}_date"))
        except ValueError:  # the form checked it; a value changed since is left to the curator
            date, precision = None, ""
        setattr(victim, f"{prefix}_date", date)
        setattr(victim, f"{prefix}_precision", precision)
    setattr(victim, f"biography_{contribution.language}", contribution.message.strip())
    variants = []
    full_name = " ".join(filter(None, [victim.family_name, victim.given_name, victim.patronymic]))
    script = _script(full_name)
    if script != Script.LATIN:
        kind = VariantKind.RUSSIAN if script == Script.CYRILLIC else VariantKind.TRANSLITERATION
        variants.append(NameVariant(name=full_name[:300], script=script, kind=kind))
    return victim, variants


def testimony_duplicates(contribution: Contribution) -> list[Victim]:
    """People already in the registry (any status) the import's duplicate gate would hold this
    testimony back for: the same name's search key, and a date of death that could be the same or
    the same place of death. Each carries ``similarity``."""
    victim, _variants = testimony_person(contribution)
    candidates = registry_duplicates([victim], created_rows={}).get(0, [])
    people = Victim.objects.select_related("place_of_death").in_bulk([c.pk for c in candidates if c.pk])
    found = []
    for candidate in candidates:
        if (person := people.get(candidate.pk)) is not None:
            person.similarity = candidate.similarity
            found.append(person)
    return found


def _free_slug(victim: Victim) -> str:
    base = slugify(slug_text(f"{victim.given_name} {victim.family_name}"))[:180] or "person"
    taken = set(Victim.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    taken |= set(VictimSlug.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    n = 1
    while (slug := f"{base}-{n}" if n > 1 else base) in taken:
        n += 1
    return slug


def _moderatable(contribution: Contribution, *, user, kind: str, permission: str) -> Contribution:
    """The contribution, locked, after checking ``user`` may act on it (PermissionDenied) and that
    it is of ``kind`` and still undecided (ValidationError)."""
    if not (user.is_active and user.has_perm(MODERATE) and user.has_perm(permission)):
        raise PermissionDenied(_("You may not moderate contributions."))
    current = Contribution.objects.select_for_update().get(pk=contribution.pk)
    if current.kind != kind:
        raise ValidationError(_("This is not a contribution of that kind."), code="wrong_kind")
    if current.status not in (S.NEW, S.IN_PROGRESS):
        raise ValidationError(_("This contribution has already been decided on."), code="decided")
    return current


def _unapproved_photo(contribution: Contribution, *, victim: Victim, user, reason: str) -> Photo | None:
    """The contribution's image as a photo of ``victim`` through the image pipeline, not approved
    for publication; None for a PDF scan (it stays in the private storage) or no file."""
    if not contribution.file or contribution.file.name.lower().endswith(".pdf"):
        return None
    with storages["private"].open(contribution.file.name, "rb") as handle:
        checked = images.check_upload(handle)
    with translation.override(contribution.language):
        alt = gettext("Photo of %(name)s, sent by a visitor") % {"name": victim}
    photo = Photo(victim=victim, is_published=False, is_primary=False, credit=contribution.credit.strip())
    setattr(photo, f"alt_text_{contribution.language}", alt[:300])
    registry.photo_attach_upload(photo=photo, checked=checked)
    photo.full_clean(exclude=["original"])
    photo._history_user = user
    photo._change_reason = reason
    photo.save()
    return photo


@transaction.atomic
def contribution_convert_testimony(*, contribution: Contribution, user, confirm_duplicates: bool = False) -> Victim:
    """Turn a testimony into a draft person in one step: the fields it gives prefilled
    (:func:`testimony_person`), cited as a testimony (:func:`testimony_source`, the citation naming
    the contribution's number), its photo attached unapproved; the contribution is accepted (the
    sender is told) and points to the person. A testimony with likely duplicates in the registry
    (:func:`testimony_duplicates`) is converted only with ``confirm_duplicates``
    (ValidationError ``likely_duplicates`` otherwise). The curator goes on with the draft as with
    any other: review, then publication by an Editor."""
    current = _moderatable(contribution, user=user, kind=Kind.TESTIMONY, permission=ADD_PERSON)
    if current.victim_id is not None:
        raise ValidationError(_("This testimony is already a person in the registry."), code="converted")
    if not confirm_duplicates and testimony_duplicates(current):
        raise ValidationError(
            _("People in the registry may be this person: confirm that the testimony is about someone else."),
            code="likely_duplicates",
        )
    victim, variants = testimony_person(current)
    victim.slug = _free_slug(victim)
    citation = Citation(
        source=testimony_source(), locator=f"№ {current.pk}",
        supports=gettext("what the testimony says; to be checked against other sources")[:300],
    )  # fmt: skip
    reason = f"draft made from testimony no. {current.pk}"
    registry.record_save(record=victim, user=user, reason=reason, citations=[citation], variants=variants,
                         full_clean=True)  # fmt: skip
    _unapproved_photo(current, victim=victim, user=user, reason=reason)
    current.victim = victim
    current._history_user = user
    current._change_reason = f"converted into the draft person {victim.pk}"
    current.save(update_fields=["victim", "updated_at"])
    contribution_moderate(contribution=current, to_status=S.ACCEPTED, user=user)
    contribution.victim, contribution.status = victim, S.ACCEPTED
    return victim


@transaction.atomic
def contribution_attach_photo(*, contribution: Contribution, user) -> Photo:
    """Accept a visitor's photo: copied through the image pipeline into a photo of the person,
    with the sender's credit line, *not approved* for publication (nothing shows it until a
    curator ticks "approved for publication", which on a published person is an Editor's change).
    A PDF scan is never attached: it stays in the private storage (ValidationError)."""
    current = _moderatable(contribution, user=user, kind=Kind.PHOTO, permission=ADD_PHOTO)
    if current.victim is None:
        raise ValidationError(_("This photo is about nobody in the registry any more."), code="no_person")
    photo = _unapproved_photo(current, victim=current.victim, user=user,
                              reason=f"sent by a visitor (contribution no. {current.pk}), not yet approved")  # fmt: skip
    if photo is None:
        raise ValidationError(
            _("Only a photo is attached to a person; a document scan stays in the private storage."), code="not_image"
        )
    contribution_moderate(contribution=current, to_status=S.ACCEPTED, user=user)
    contribution.status = S.ACCEPTED
    return photo


@transaction.atomic
def contribution_accept_correction(*, contribution: Contribution, user) -> Contribution:
    """The curator made the correction in the person's record (its change form, beside the
    proposal) and accepts it: the contribution is accepted, the sender told."""
    current = _moderatable(contribution, user=user, kind=Kind.CORRECTION, permission="victims.change_victim")
    return contribution_moderate(contribution=current, to_status=S.ACCEPTED, user=user)
