"""The visitors' forms. Every field is plain text (stored as typed, shown escaped); a form with
errors comes back with what was typed, each error translated beside its field."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.partialdates import iso_partial_date, parse_iso_partial_date
from contributions.models import CANDLE_MESSAGE_LIMIT, TEXT_LIMIT, Contribution, Kind
from contributions.proofofwork import AltchaField
from victims import images

PDF_MAGIC = b"%PDF-"


def long_text(label, *, required: bool = False, help_text: str = "", limit: int = TEXT_LIMIT) -> forms.CharField:
    return forms.CharField(
        label=label, required=required, help_text=help_text, max_length=limit,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": limit}),
    )  # fmt: skip


class SenderForm(forms.ModelForm):
    """Who sends it and that they agree to the privacy notice; a field robots fill and people
    never see (the honeypot); the ALTCHA proof of work (contributions.proofofwork)."""

    submitter_name = forms.CharField(label=_("Your name"), max_length=200)
    submitter_email = forms.EmailField(
        label=_("Your email"), help_text=_("We write to confirm receipt and to tell you the outcome. Never shown.")
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that the curators use what I send as it describes."),
        error_messages={"required": _("Please agree to the privacy notice, or we cannot keep what you send.")},
    )
    website = forms.CharField(label=_("Leave this field empty"), required=False)
    altcha = AltchaField()

    honeypot_tripped = False
    SENDER_FIELDS = ["submitter_name", "submitter_email", "consent", "website", "altcha"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # What the form is about first, then the file, then who sends it.
        about = [name for name in self.fields if name not in self.SENDER_FIELDS and name != "upload"]
        self.order_fields([*about, "upload", *self.SENDER_FIELDS])

    def clean_website(self):
        if self.cleaned_data.get("website"):
            self.honeypot_tripped = True
        return ""


class UploadMixin:
    """An optional photo (through the registry's image pipeline: its content decides, metadata is
    stripped) or, where allowed, a PDF scan kept as sent in the private storage."""

    accept_pdf = True

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if not upload:
            return None
        upload.seek(0)
        head = upload.read(len(PDF_MAGIC))
        upload.seek(0)
        if self.accept_pdf and head == PDF_MAGIC:
            if upload.size > settings.PHOTO_MAX_UPLOAD_BYTES:
                raise ValidationError(
                    _("The file is larger than %(max)s MB, the most a document may be."),
                    params={"max": settings.PHOTO_MAX_UPLOAD_BYTES // (1024 * 1024)},
                    code="too_large",
                )
            return ("pdf", upload)
        try:
            return ("image", images.check_upload(upload))
        except ValidationError as error:
            if error.code == "not_an_image" and self.accept_pdf:
                raise ValidationError(
                    _("This file is neither a photo nor a PDF: send a JPEG, PNG, WebP or GIF image, or a PDF scan."),
                    code="wrong_type",
                ) from None
            raise


def _partial_date(value: str, field: str):
    try:
        return parse_iso_partial_date(value)
    except ValueError:
        raise ValidationError(
            {field: _("Write the date as 1990, 1990-01 or 1990-01-20 (year, month, day).")}, code="bad_date"
        ) from None


class DatesMixin:
    def clean(self):
        data = super().clean()
        birth = _partial_date(data.get("birth_date", ""), "birth_date")
        death = _partial_date(data.get("death_date", ""), "death_date")
        if birth[0] and death[0] and death[0] < birth[0]:
            self.add_error("death_date", _("The date of death is before the date of birth."))
        # Stored as written, normalised: "1990-1-20" was refused above, "1990" stays "1990".
        for field, (value, precision) in (("birth_date", birth), ("death_date", death)):
            if field in data:
                data[field] = iso_partial_date(value, precision)
        return data


class TestimonyForm(DatesMixin, UploadMixin, SenderForm):
    """About a person who is not in the registry."""

    family_name = forms.CharField(label=_("Family name"), max_length=100)
    given_name = forms.CharField(label=_("Given name"), max_length=100)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=100, required=False)
    birth_date = forms.CharField(
        label=_("Date of birth"), max_length=10, required=False, help_text=_("1965, 1965-03 or 1965-03-12.")
    )
    death_date = forms.CharField(
        label=_("Date of death"), max_length=10, required=False, help_text=_("1990, 1990-01 or 1990-01-20.")
    )
    place_of_birth = forms.CharField(label=_("Place of birth"), max_length=200, required=False)
    place_of_death = forms.CharField(label=_("Place of death"), max_length=200, required=False)
    message = long_text(_("What happened"), required=True, help_text=_("The circumstances, as far as you know them."))
    relation = forms.CharField(label=_("Your relation to the person"), max_length=200)
    documents_held = long_text(
        _("Documents you hold"), help_text=_("For example a death certificate, a newspaper, a letter.")
    )
    upload = forms.FileField(
        label=_("A photo or a document scan (optional)"), required=False,
        help_text=_("A JPEG, PNG, WebP or GIF image, or a PDF; at most 15 MB."),
    )  # fmt: skip

    class Meta:
        model = Contribution
        fields = [
            "family_name", "given_name", "patronymic", "birth_date", "death_date", "place_of_birth",
            "place_of_death", "message", "relation", "documents_held", "submitter_name", "submitter_email", "consent",
        ]  # fmt: skip


class CorrectionForm(DatesMixin, UploadMixin, SenderForm):
    """About a published person: the record's names and dates prefilled, what is wrong or
    missing, and on what evidence."""

    family_name = forms.CharField(label=_("Family name"), max_length=100, required=False)
    given_name = forms.CharField(label=_("Given name"), max_length=100, required=False)
    patronymic = forms.CharField(label=_("Patronymic"), max_length=100, required=False)
    birth_date = forms.CharField(
        label=_("Date of birth"), max_length=10, required=False, help_text=_("1965, 1965-03 or 1965-03-12.")
    )
    death_date = forms.CharField(
        label=_("Date of death"), max_length=10, required=False, help_text=_("1990, 1990-01 or 1990-01-20.")
    )
    message = long_text(_("What is wrong or missing"), required=True)
    evidence = long_text(_("On what evidence"), help_text=_("A document, a source, what you know yourself."))
    relation = forms.CharField(label=_("Your relation to the person"), max_length=200, required=False)
    upload = forms.FileField(
        label=_("A photo or a document scan (optional)"), required=False,
        help_text=_("A JPEG, PNG, WebP or GIF image, or a PDF; at most 15 MB."),
    )  # fmt: skip

    class Meta:
        model = Contribution
        fields = [
            "family_name", "given_name", "patronymic", "birth_date", "death_date", "message", "evidence",
            "relation", "submitter_name", "submitter_email", "consent",
        ]  # fmt: skip


class PhotoForm(UploadMixin, SenderForm):
    """A photo or a document for a published person."""

    upload = forms.FileField(
        label=_("The photo or the document scan"),
        help_text=_("A JPEG, PNG, WebP or GIF image, or a PDF; at most 15 MB."),
    )
    message = long_text(_("What it shows"), required=True, limit=2000)
    credit = forms.CharField(label=_("Credit line"), max_length=300, help_text=_("Who took the photo or holds it."))
    may_share = forms.BooleanField(
        label=_("I may share this file and the memorial may show it with the credit line."),
        error_messages={"required": _("We can only accept a file you may share.")},
    )

    class Meta:
        model = Contribution
        fields = ["message", "credit", "may_share", "submitter_name", "submitter_email", "consent"]


class CandleMessageForm(SenderForm):
    message = long_text(_("Your message"), required=True, limit=CANDLE_MESSAGE_LIMIT)

    class Meta:
        model = Contribution
        fields = ["message", "submitter_name", "submitter_email", "consent"]


FORMS = {Kind.TESTIMONY: TestimonyForm, Kind.CORRECTION: CorrectionForm, Kind.PHOTO: PhotoForm}
