"""What families and visitors send: testimonies, corrections, photos and documents, candles.

Nothing here is public: a contribution is read only by curators in the admin until one of them
acts on it (what a curator accepts reaches the registry through the registry's own records and
workflow). The submitter's name and email are shown only in the admin.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from victims.models import private_storage

TEXT_LIMIT = 10_000
CANDLE_MESSAGE_LIMIT = 500


class Kind(models.TextChoices):
    TESTIMONY = "testimony", _("Testimony about a person not in the registry")
    CORRECTION = "correction", _("Correction or addition")
    PHOTO = "photo", _("Photo or document")
    CANDLE_MESSAGE = "candle", _("Candle message")


class ContributionStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn by the sender")


class Contribution(models.Model):
    """One submission from a visitor, moderated by a curator."""

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ContributionStatus.choices, default=ContributionStatus.NEW
    )
    victim = models.ForeignKey(
        "victims.Victim", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="contributions", help_text=_("The published person a correction, photo or message is about."),
    )  # fmt: skip
    # The person a testimony is about (names in any script, partial dates as written).
    family_name = models.CharField(_("family name"), max_length=100, blank=True)
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    patronymic = models.CharField(_("patronymic"), max_length=100, blank=True)
    birth_date = models.CharField(
        _("date of birth"), max_length=10, blank=True, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD.")
    )
    death_date = models.CharField(
        _("date of death"), max_length=10, blank=True, help_text=_("YYYY, YYYY-MM or YYYY-MM-DD.")
    )
    place_of_birth = models.CharField(_("place of birth"), max_length=200, blank=True)
    place_of_death = models.CharField(_("place of death"), max_length=200, blank=True)
    relation = models.CharField(_("relation to the person"), max_length=200, blank=True)
    documents_held = models.TextField(
        _("documents the sender holds"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)]
    )
    message = models.TextField(
        _("message"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)],
        help_text=_("The circumstances, what is wrong or missing, or a candle's message."),
    )  # fmt: skip
    evidence = models.TextField(_("evidence"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)])
    file = models.FileField(_("file"), storage=private_storage, upload_to="contributions/", max_length=300, blank=True)
    credit = models.CharField(_("credit line"), max_length=300, blank=True)
    may_share = models.BooleanField(_("sender may share the file"), default=False)
    submitter_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    submitter_email = models.EmailField(_("sender's email"), blank=True)
    consent = models.BooleanField(_("consent to the privacy notice"), default=False)
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES, default="az")
    # Only a hash is kept: the link in the sender's email is the one copy of the token.
    withdraw_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    rejection_reason = models.TextField(
        _("reason for rejecting"), blank=True, validators=[MaxLengthValidator(TEXT_LIMIT)],
        help_text=_("Sent to the sender, politely: say why and what could help."),
    )  # fmt: skip
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("handled by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["withdraw_token_hash"])

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=ContributionStatus.REJECTED) | ~Q(rejection_reason=""),
                name="contribution_rejected_with_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind=Kind.CANDLE_MESSAGE) | Q(LessThanOrEqual(Length("message"), CANDLE_MESSAGE_LIMIT)),
                name="contribution_candle_message_short",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="contribution_queue")]

    def __str__(self) -> str:
        about = " ".join(filter(None, [self.given_name, self.family_name])) or str(self.victim or "")
        return f"{self.get_kind_display()}: {about}" if about else str(self.get_kind_display())

    def clean(self) -> None:
        if self.status == ContributionStatus.REJECTED and not self.rejection_reason.strip():
            raise ValidationError({"rejection_reason": _("Say why it is rejected: the sender is told.")})
        if self.kind == Kind.CANDLE_MESSAGE and len(self.message) > CANDLE_MESSAGE_LIMIT:
            raise ValidationError(
                {"message": _("A candle's message has at most %(n)d characters.") % {"n": CANDLE_MESSAGE_LIMIT}}
            )


class Candle(models.Model):
    """One candle lit on a person's page: one per person, browser and day. The page shows the
    count from a small endpoint of its own, so a candle never changes the cached page."""

    victim = models.ForeignKey(
        "victims.Victim", verbose_name=_("person"), on_delete=models.CASCADE, related_name="candles"
    )
    browser = models.UUIDField(_("browser"), default=uuid.uuid4, editable=False)
    day = models.DateField(_("day"))
    lit_at = models.DateTimeField(_("lit"), auto_now_add=True)

    class Meta:
        verbose_name = _("candle")
        verbose_name_plural = _("candles")
        constraints = [
            models.UniqueConstraint(fields=["victim", "browser", "day"], name="one_candle_per_person_browser_day"),
        ]

    def __str__(self) -> str:
        return f"{self.victim}, {self.day}"
