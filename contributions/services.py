"""Writes of contributions: a visitor submits or withdraws, a curator moderates.

The moderation workflow is a table, like the registry's: new → in progress → accepted or
rejected; the sender may withdraw while nobody has decided. Every change is saved with its
history (who, when, why).
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contributions import emails
from contributions.models import Contribution
from contributions.models import ContributionStatus as S
from victims import images

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
