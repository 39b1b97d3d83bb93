"""Forms of the curators' admin: optimistic locking for victims and events, photo uploads."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from victims import images, services
from victims.models import Event, Photo, Status, Victim

STALE_MESSAGE = _(
    "Someone else saved this record while you were editing it, so your changes have not been saved. "
    "They are still in the form below. Open the record in another tab (or its history) to see what "
    "changed; saving this form again will replace those changes with yours."
)
GONE_MESSAGE = _("This record was deleted while you were editing it; your changes cannot be saved.")


class VersionedModelForm(forms.ModelForm):
    """A model form that carries the version of the record it was loaded with and refuses to
    save over a newer version (see ``victims.services.record_claim_version``)."""

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            # The stored version, not the instance's: a revert form is built from an old copy.
            self.initial["loaded_version"] = services.record_current_version(
                model=type(self.instance), pk=self.instance.pk
            )

    def clean(self):
        cleaned_data = super().clean()
        self._check_status_change(cleaned_data)
        if not self.instance.pk:
            return cleaned_data
        loaded = cleaned_data.get("loaded_version")
        lock = transaction.get_connection().in_atomic_block
        current = services.record_current_version(model=type(self.instance), pk=self.instance.pk, lock=lock)
        if current is None:
            raise ValidationError(GONE_MESSAGE, code="gone")
        if loaded != current:
            # Re-displayed with the current version: saving again is a deliberate overwrite.
            self.data = self.data.copy()
            self.data[self.add_prefix("loaded_version")] = str(current)
            raise ValidationError(STALE_MESSAGE, code="stale")
        return cleaned_data

    def _check_status_change(self, cleaned_data) -> None:
        """A status chosen in the form (Editors) must be a workflow step this user may take."""
        if "status" not in self.fields or "status" not in self.changed_data:
            return
        user = getattr(self, "workflow_user", None)
        from_status = self.initial.get("status") or Status.DRAFT
        to_status = cleaned_data.get("status")
        if to_status == Status.WITHDRAWN and from_status != Status.WITHDRAWN:
            self.add_error("status", _("Withdraw with the “Withdraw…” button: it asks why."))
            return
        if user is None or not services.transition_allowed(user=user, from_status=from_status, to_status=to_status):
            self.add_error(
                "status",
                _("A record cannot go from “%(from)s” to “%(to)s” here.")
                % {"from": Status(from_status).label, "to": Status(to_status).label if to_status else "—"},
            )


def relax_languages(form: forms.Form, base: str) -> list[str]:
    """Make every language field of the translated ``base`` optional; return their names.
    (modeltranslation requires the default language; a record may be written in any.)"""
    names = [name for name in form.fields if name.startswith(f"{base}_")]
    for name in names:
        form.fields[name].required = False
    return names


def require_some_language(form: forms.Form, names: list[str], message) -> None:
    """Add ``message`` to the first of ``names`` when all of them are empty (and none has an error)."""
    if not names or any(name in form.errors for name in names):
        return
    if not any((form.cleaned_data.get(name) or "").strip() for name in names):
        form.add_error(names[0], message)


class VictimAdminForm(VersionedModelForm):
    class Meta:
        model = Victim
        # The admin narrows these to its fieldsets (and the translated fields to each language).
        fields = [
            "family_name", "given_name", "patronymic", "display_name", "slug", "gender",
            "birth_date", "birth_precision", "death_date", "death_precision", "death_time", "age_recorded",
            "place_of_birth", "place_of_death", "burial_place", "category", "nationality", "occupation",
            "circumstances", "biography", "original_language",
        ]  # fmt: skip


class EventAdminForm(VersionedModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._title_fields = relax_languages(self, "title")

    def clean(self):
        cleaned_data = super().clean()
        require_some_language(self, self._title_fields, _("Give the event a title in at least one language."))
        return cleaned_data

    class Meta:
        model = Event
        fields = [
            "title", "slug", "kind", "start_date", "start_precision", "start_time", "end_date", "end_precision",
            "end_time", "place", "summary", "description", "original_language", "victims",
        ]  # fmt: skip


class PhotoFileInput(forms.FileInput):
    """A file input that accepts the formats the pipeline takes (the content is still checked)."""

    def __init__(self, attrs=None):
        super().__init__({"accept": "image/jpeg,image/png,image/webp,image/gif", **(attrs or {})})


class PhotoForm(forms.ModelForm):
    """A photo of a person or an event: the upload runs through ``victims.images`` and is stored
    re-encoded, without metadata, with its renditions."""

    class Meta:
        model = Photo
        fields = ["original", "is_primary", "is_published", "alt_text", "caption", "credit", "licence"]
        widgets = {"original": PhotoFileInput}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._checked: images.CheckedImage | None = None
        # Alt text is required in at least one language, not in a particular one (see clean()).
        self._alt_fields = relax_languages(self, "alt_text")
        # Approval is for a visitor's photo waiting unapproved (contributions): a photo added here, or
        # already approved, stays approved (a photo is hidden by deleting it, not by an unticked box).
        if "is_published" in self.fields and (self.instance.pk is None or self.instance.is_published):
            self.fields["is_published"].disabled = True
        if "original" in self.fields:
            self.fields["original"].help_text = _(
                "JPEG, PNG, WebP or a still GIF, at most %(max)s MB. Location and camera data are removed."
            ) % {"max": f"{settings.PHOTO_MAX_UPLOAD_BYTES / (1024 * 1024):.0f}"}

    def clean_original(self):
        upload = self.cleaned_data.get("original")
        if isinstance(upload, UploadedFile):
            self._checked = images.check_upload(upload)
        return upload

    def clean(self):
        cleaned_data = super().clean()
        require_some_language(self, self._alt_fields, _("Describe what the photo shows, for people who cannot see it."))
        return cleaned_data

    def save(self, commit=True):
        if self._checked is not None:
            services.photo_attach_upload(photo=self.instance, checked=self._checked)
            self._checked = None
        return super().save(commit=commit)


class PhotoFormSet(forms.BaseInlineFormSet):
    """Photos of a record; a deleted photo's public renditions go with it (see services)."""

    def delete_existing(self, obj, commit=True):
        if commit:
            services.photos_unpublish_files(photos=[obj])
        super().delete_existing(obj, commit=commit)


class VictimPhotoFormSet(PhotoFormSet):
    """The photos of one person: exactly one is the primary photo (a single photo becomes it)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.has_changed() or form.instance.pk
            if not (self.can_delete and self._should_delete_form(form))
            if form.cleaned_data
        ]
        if any(
            form.cleaned_data.get("is_primary") and not form.cleaned_data.get("is_published", True) for form in kept
        ):
            raise ValidationError(
                _("A photo not approved for publication cannot be the primary photo."), code="primary_unpublished"
            )
        # The primary photo is chosen among the approved ones: a visitor's photo waiting for approval
        # (contributions) neither counts nor becomes it.
        kept = [form for form in kept if form.cleaned_data.get("is_published", True)]
        primary = [form for form in kept if form.cleaned_data.get("is_primary")]
        if len(primary) > 1:
            raise ValidationError(_("Only one photo can be the primary photo; untick the others."), code="primaries")
        if kept and not primary:
            if len(kept) == 1:
                kept[0].cleaned_data["is_primary"] = True
                kept[0].instance.is_primary = True
            else:
                raise ValidationError(
                    _("Mark one of the photos as the primary photo (shown in lists)."), code="no_primary"
                )
