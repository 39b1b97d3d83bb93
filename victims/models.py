"""The registry: people, name variants, places, sources, citations, photos, events, figures."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.dispatch import receiver
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from common.mediaurls import media_url
from common.partialdates import Precision, format_partial_date, partial_date_constraints
from common.reversing import cached_reverse
from victims.querysets import EventQuerySet, PhotoQuerySet, PlaceQuerySet, SourceQuerySet, VictimQuerySet

AZ = "az"  # the ICU collation created in migration 0001: Azerbaijani alphabetical order


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # A person found to be a duplicate of another: never shown, never deleted; ``merged_into``
    # names the record that was kept, and its addresses redirect there (victims.merging).
    MERGED = "merged", _("Merged")


# Events are never merged: their status is one of the workflow's.
EVENT_STATUSES = [(value, label) for value, label in Status.choices if value != Status.MERGED]


class Category(models.TextChoices):
    KILLED = "killed", _("Killed")
    DIED_OF_WOUNDS = "died_of_wounds", _("Died of wounds")
    WOUNDED = "wounded", _("Wounded")
    MISSING = "missing", _("Missing")
    DETAINED = "detained", _("Detained")


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    UNKNOWN = "unknown", _("Not recorded")


# A category said of one person (the person page), not of a group: "Həlak olub", «Погибла», not "Həlak
# olanlar", «Погибшие». Russian agrees with the person's gender; where it is not recorded the translation gives
# both endings («Погиб(ла)»). The contexts keep these apart from the group names above (docs/glossary.md).
CATEGORY_OF_ONE = {
    Gender.FEMALE: {
        Category.KILLED: pgettext_lazy("category of one woman", "Killed"),
        Category.DIED_OF_WOUNDS: pgettext_lazy("category of one woman", "Died of wounds"),
        Category.WOUNDED: pgettext_lazy("category of one woman", "Wounded"),
        Category.MISSING: pgettext_lazy("category of one woman", "Missing"),
        Category.DETAINED: pgettext_lazy("category of one woman", "Detained"),
    },
    Gender.MALE: {
        Category.KILLED: pgettext_lazy("category of one man", "Killed"),
        Category.DIED_OF_WOUNDS: pgettext_lazy("category of one man", "Died of wounds"),
        Category.WOUNDED: pgettext_lazy("category of one man", "Wounded"),
        Category.MISSING: pgettext_lazy("category of one man", "Missing"),
        Category.DETAINED: pgettext_lazy("category of one man", "Detained"),
    },
    Gender.UNKNOWN: {
        Category.KILLED: pgettext_lazy("category of one person", "Killed"),
        Category.DIED_OF_WOUNDS: pgettext_lazy("category of one person", "Died of wounds"),
        Category.WOUNDED: pgettext_lazy("category of one person", "Wounded"),
        Category.MISSING: pgettext_lazy("category of one person", "Missing"),
        Category.DETAINED: pgettext_lazy("category of one person", "Detained"),
    },
}


class Script(models.TextChoices):
    LATIN = "latin", _("Latin")
    CYRILLIC = "cyrillic", _("Cyrillic")
    OTHER = "other", _("Other")


class VariantKind(models.TextChoices):
    AZ_LATIN = "az_latin", _("Azerbaijani Latin")
    RUSSIAN = "russian", _("Russian / Soviet-era spelling")
    TRANSLITERATION = "transliteration", _("Transliteration")
    NICKNAME = "nickname", _("Nickname")


class PlaceKind(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    STREET = "street", _("Street")
    BUILDING = "building", _("Building")
    HOSPITAL = "hospital", _("Hospital")
    CEMETERY = "cemetery", _("Cemetery")
    REGION = "region", _("Region or country")


class SourceKind(models.TextChoices):
    REPORT = "report", _("Report")
    BOOK = "book", _("Book")
    ARTICLE = "article", _("Article")
    NEWSPAPER = "newspaper", _("Newspaper")
    ARCHIVAL = "archival", _("Archival document")
    TESTIMONY = "testimony", _("Testimony")
    WEBSITE = "website", _("Website")
    AUDIOVISUAL = "audiovisual", _("Audiovisual")


class Reliability(models.TextChoices):
    PRIMARY = "primary", _("Primary")
    SECONDARY = "secondary", _("Secondary")
    OFFICIAL = "official", _("Official (a state body of a party to the events)")
    PRESS = "press", _("Press")
    TESTIMONY = "testimony", _("Testimony")


class EventKind(models.TextChoices):
    CONTEXT = "context", _("Context")
    NIGHT = "night", _("The night of 19–20 January")
    FUNERALS = "funerals", _("Funerals")
    INVESTIGATION = "investigation", _("Investigation")
    COMMEMORATION = "commemoration", _("Commemoration")


class FigureMeasure(models.TextChoices):
    KILLED = "killed", _("Killed")
    WOUNDED = "wounded", _("Wounded")
    ARRESTED = "arrested", _("Arrested")
    MISSING = "missing", _("Missing")


def _translated_on_field() -> models.DateField:
    """When a language's texts of a record were translated from its original (a translated field)."""
    return models.DateField(
        _("date translated"),
        null=True,
        blank=True,
        help_text=_("When this language's text was translated from the original; empty for the original."),
    )


def _language_field(default: str = "az") -> models.CharField:
    return models.CharField(
        _("original language"),
        max_length=5,
        choices=settings.LANGUAGES,
        default=default,
        help_text=_("The language the texts of this record were written in; the others are translations."),
    )


class _PrivateStorage(LazyObject):
    """``storages["private"]``, looked up when first used rather than when models load, so that
    the field and ``storages`` always agree (tests point the private storage at a temporary folder)."""

    def _setup(self):
        self._wrapped = storages["private"]


_private_storage = _PrivateStorage()


@receiver(setting_changed)
def _private_storage_changed(*, setting, **kwargs):
    if setting == "STORAGES":
        _private_storage._wrapped = empty


def private_storage():
    """Where photo originals live: outside MEDIA_ROOT, never served."""
    return _private_storage


class Tracked(models.Model):
    """Who created and last changed a record, and when; a version number for optimistic locking."""

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("updated by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+", editable=False,
    )  # fmt: skip
    version = models.PositiveIntegerField(
        _("version"), default=1, editable=False, help_text=_("Raised by every save; refuses stale edits.")
    )

    class Meta:
        abstract = True


class Place(models.Model):
    name = models.CharField(_("name"), max_length=200, db_collation=AZ)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=PlaceKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("part of"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)

    objects = PlaceQuerySet.as_manager()

    class Meta:
        verbose_name = _("place")
        verbose_name_plural = _("places")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="place_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="place_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="place_coordinates_both_or_neither",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="place_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


class Source(models.Model):
    key = models.SlugField(
        _("key"), max_length=60, unique=True,
        help_text=_("A short stable identifier used by imports and citations, such as hrw1991."),
    )  # fmt: skip
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    title = models.CharField(_("title"), max_length=400)
    author = models.CharField(_("author"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, validators=[MinValueValidator(1800), MaxValueValidator(2100)]
    )
    url = models.URLField(_("URL"), max_length=500, blank=True)
    archive_reference = models.CharField(_("archive reference"), max_length=300, blank=True)
    reliability = models.CharField(
        _("reliability"), max_length=20, choices=Reliability.choices, blank=True,
        help_text=_("A curator's note on what kind of witness this source is."),
    )  # fmt: skip
    notes = models.TextField(_("notes"), blank=True)
    original_language = _language_field()
    translated_on = _translated_on_field()

    objects = SourceQuerySet.as_manager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ["kind", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1800, year__lte=2100), name="source_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title

    def get_absolute_url(self) -> str:
        return cached_reverse("victims:source_list") + f"#source-{self.key}"


class Victim(Tracked):
    """One person in the registry."""

    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=200, unique=True, help_text=_("The readable part of the URL."))
    family_name = models.CharField(_("family name"), max_length=100, db_collation=AZ)
    given_name = models.CharField(_("given name"), max_length=100, db_collation=AZ)
    patronymic = models.CharField(
        _("patronymic"), max_length=100, blank=True, db_collation=AZ,
        help_text=_("As Azerbaijani records write it, for example “Əli oğlu” or “Rəşid qızı”."),
    )  # fmt: skip
    display_name = models.CharField(
        _("display name"), max_length=300, blank=True, db_collation=AZ,
        help_text=_("How the name is shown; left empty, it is made from the given name, patronymic and family name."),
    )  # fmt: skip
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, default=Gender.UNKNOWN)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    birth_precision = models.CharField(
        _("precision of the date of birth"), max_length=5, choices=Precision.choices, blank=True
    )
    death_date = models.DateField(_("date of death"), null=True, blank=True)
    death_precision = models.CharField(
        _("precision of the date of death"), max_length=5, choices=Precision.choices, blank=True
    )
    death_time = models.TimeField(_("time of death"), null=True, blank=True)
    age_recorded = models.PositiveSmallIntegerField(
        _("age at death as recorded"), null=True, blank=True,
        help_text=_("Used when the full dates of birth and death are not both known."),
    )  # fmt: skip
    age = models.PositiveSmallIntegerField(
        _("age at death"), null=True, blank=True, editable=False,
        help_text=_("Derived from the full dates when both are known, otherwise as recorded."),
    )  # fmt: skip
    place_of_birth = models.ForeignKey(
        Place, verbose_name=_("place of birth"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place_of_death = models.ForeignKey(
        Place, verbose_name=_("place of death"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="deaths",
    )  # fmt: skip
    burial_place = models.ForeignKey(
        Place, verbose_name=_("burial place"), null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text=_("Most rest in the Alley of Martyrs (Şəhidlər xiyabanı)."),
    )  # fmt: skip
    circumstances = models.TextField(_("circumstances of death"), blank=True)
    occupation = models.CharField(_("occupation"), max_length=200, blank=True)
    nationality = models.CharField(_("nationality as recorded"), max_length=100, blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.KILLED)
    biography = models.TextField(
        _("biography"), blank=True,
        help_text=_("Plain text; an empty line starts a new paragraph. No HTML is rendered."),
    )  # fmt: skip
    original_language = _language_field()
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, editable=False)
    merged_into = models.ForeignKey(
        "self", verbose_name=_("merged into"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="merged_from", editable=False,
        help_text=_("The record this duplicate was merged into; its addresses redirect there."),
    )  # fmt: skip
    # Derived by victims.services from the names and their variants; see victims.normalize.
    search_document = models.TextField(_("search document"), blank=True, editable=False)
    initial = models.CharField(_("initial"), max_length=2, blank=True, editable=False, db_collation=AZ)

    objects = VictimQuerySet.as_manager()

    class Meta:
        verbose_name = _("victim")
        verbose_name_plural = _("victims")
        ordering = ["family_name", "given_name", "id"]
        permissions = [
            ("submit_victim", _("Can submit records for review")),
            ("publish_victim", _("Can publish and withdraw records")),
            ("export_registry", _("Can export the registry")),
            ("import_registry", _("Can import records into the registry")),
        ]
        constraints = [
            *partial_date_constraints("victim", "birth"),
            *partial_date_constraints("victim", "death"),
            models.CheckConstraint(
                condition=Q(birth_date__isnull=True)
                | Q(death_date__isnull=True)
                | Q(death_date__gte=F("birth_date"))
                | (Q(death_date__year=F("birth_date__year")) & (Q(death_precision="year") | Q(birth_precision="year"))),
                name="victim_death_not_before_birth",
            ),
            models.CheckConstraint(
                condition=Q(age_recorded__isnull=True) | Q(age_recorded__lte=120), name="victim_age_recorded_range"
            ),
            models.CheckConstraint(condition=Q(age__isnull=True) | Q(age__lte=120), name="victim_age_range"),
            models.CheckConstraint(
                condition=Q(death_time__isnull=True) | Q(death_date__isnull=False), name="victim_death_time_needs_date"
            ),
            models.CheckConstraint(condition=~Q(family_name="") | ~Q(given_name=""), name="victim_has_a_name"),
            models.CheckConstraint(
                condition=Q(published_at__isnull=False) | ~Q(status=Status.PUBLISHED), name="victim_published_has_date"
            ),
            models.CheckConstraint(
                condition=Q(status=Status.MERGED, merged_into__isnull=False)
                | (~Q(status=Status.MERGED) & Q(merged_into__isnull=True)),
                name="victim_merged_names_kept_record",
            ),
            models.CheckConstraint(condition=~Q(merged_into=F("pk")), name="victim_not_merged_into_itself"),
        ]
        indexes = [
            # No pending list: after a bulk insert (an import) the rows would sit unindexed in it until
            # the next vacuum, and the planner then skips the index (300 ms instead of 0.5 ms).
            GinIndex(OpClass("search_document", name="gin_trgm_ops"), name="victim_search_trgm",
                     fastupdate=False),
            # The admin's change list orders every status by name.
            models.Index(fields=["family_name", "given_name", "id"], name="victim_name"),
            models.Index(fields=["family_name", "given_name", "id"], name="victim_published_name",
                         condition=Q(status=Status.PUBLISHED)),
            models.Index(fields=["status", "death_date"], name="victim_status_death"),
            models.Index(fields=["status", "category"], name="victim_status_category"),
            models.Index(fields=["status", "age"], name="victim_status_age"),
            models.Index(fields=["status", "initial"], name="victim_status_initial"),
            models.Index(fields=["-published_at"], name="victim_recent",
                         condition=Q(status=Status.PUBLISHED)),
            # The public pages' ETag reads max(updated_at) on every request (victims.caching).
            models.Index(fields=["updated_at"], name="victim_updated"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.display_name or self.composed_name()

    def composed_name(self) -> str:
        return " ".join(p for p in (self.given_name, self.patronymic, self.family_name) if p)

    def get_absolute_url(self) -> str:
        return reverse("victims:victim_detail", kwargs={"slug": self.slug})

    @property
    def category_label(self) -> str:
        """The category as said of this one person, in the active language (see CATEGORY_OF_ONE)."""
        return str(CATEGORY_OF_ONE.get(self.gender, CATEGORY_OF_ONE[Gender.UNKNOWN])[self.category])

    @property
    def birth_display(self) -> str:
        return format_partial_date(self.birth_date, self.birth_precision)

    @property
    def death_display(self) -> str:
        return format_partial_date(self.death_date, self.death_precision)

    @property
    def is_public(self) -> bool:
        return self.status == Status.PUBLISHED

    def derived_age(self) -> int | None:
        """Age at death from full dates of birth and death, else the age as recorded."""
        if self.birth_precision == Precision.DAY and self.death_precision == Precision.DAY:
            b, d = self.birth_date, self.death_date
            return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
        return self.age_recorded

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for prefix in ("birth", "death"):
            date, precision = getattr(self, f"{prefix}_date"), getattr(self, f"{prefix}_precision")
            if date and not precision:
                errors.setdefault(f"{prefix}_precision", []).append(_("Say how precisely the date is known."))
            if precision and not date:
                errors.setdefault(f"{prefix}_date", []).append(_("A precision needs a date."))
            if date and precision == Precision.YEAR and (date.month, date.day) != (1, 1):
                errors.setdefault(f"{prefix}_date", []).append(
                    _("For a date known only to the year, enter 1 January of that year.")
                )
            if date and precision == Precision.MONTH and date.day != 1:
                errors.setdefault(f"{prefix}_date", []).append(
                    _("For a date known only to the month, enter the first day of that month.")
                )
        if self.birth_date and self.death_date and self.death_date < self.birth_date:
            same_year_partial = self.death_date.year == self.birth_date.year and Precision.YEAR in (
                self.birth_precision, self.death_precision,
            )  # fmt: skip
            if not same_year_partial:
                errors.setdefault("death_date", []).append(_("The date of death cannot be before the date of birth."))
        if self.death_time and not self.death_date:
            errors.setdefault("death_time", []).append(_("A time of death needs a date of death."))
        if not self.family_name and not self.given_name:
            errors.setdefault("family_name", []).append(_("Enter at least a family name or a given name."))
        age = None if errors else self.derived_age()
        if age is not None and age > 120:
            errors.setdefault("age_recorded", []).append(_("An age at death must be between 0 and 120."))
        if errors:
            raise ValidationError(errors)
        self.age = age
        if not self.display_name:
            self.display_name = self.composed_name()


class NameVariant(models.Model):
    victim = models.ForeignKey(Victim, verbose_name=_("victim"), on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(_("spelling"), max_length=300)
    script = models.CharField(_("script"), max_length=10, choices=Script.choices, default=Script.LATIN)
    kind = models.CharField(_("kind"), max_length=20, choices=VariantKind.choices, default=VariantKind.TRANSLITERATION)

    class Meta:
        verbose_name = _("name variant")
        verbose_name_plural = _("name variants")
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["victim", "name"], name="variant_unique_per_victim"),
        ]

    def __str__(self) -> str:
        return self.name


class VictimSlug(models.Model):
    """A slug a person had before: its address keeps answering, with a redirect.

    Written by a database trigger whenever ``victims_victim.slug`` changes (migration 0009), so
    that every way of renaming (the admin, an import, a merge) keeps the old address.
    """

    victim = models.ForeignKey(Victim, verbose_name=_("victim"), on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    created_at = models.DateTimeField(_("no longer in use since"), auto_now_add=True)

    class Meta:
        verbose_name = _("former slug")
        verbose_name_plural = _("former slugs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.slug


class Event(Tracked):
    uuid = models.UUIDField(_("UUID"), default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices, default=EventKind.CONTEXT)
    start_date = models.DateField(_("start"))
    start_precision = models.CharField(
        _("precision of the start"), max_length=5, choices=Precision.choices, default=Precision.DAY
    )
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_date = models.DateField(_("end"), null=True, blank=True)
    end_precision = models.CharField(_("precision of the end"), max_length=5, choices=Precision.choices, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    place = models.ForeignKey(
        Place, verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    victims = models.ManyToManyField(Victim, verbose_name=_("related people"), blank=True, related_name="events")
    original_language = _language_field()
    translated_on = _translated_on_field()
    status = models.CharField(_("status"), max_length=10, choices=EVENT_STATUSES, default=Status.DRAFT)
    published_at = models.DateTimeField(_("first published"), null=True, blank=True, editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["start_date", "start_time", "id"]
        constraints = [
            *partial_date_constraints("event", "start"),
            *partial_date_constraints("event", "end"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")), name="event_end_not_before_start"
            ),
            models.CheckConstraint(condition=Q(end_time__isnull=True) | Q(end_date__isnull=False),
                                   name="event_end_time_needs_end"),
            models.CheckConstraint(
                condition=Q(published_at__isnull=False) | ~Q(status=Status.PUBLISHED), name="event_published_has_date"
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["status", "start_date"], name="event_status_start"),
            # The public pages' ETag reads max(updated_at) on every request (victims.caching).
            models.Index(fields=["updated_at"], name="event_updated"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("victims:event_detail", kwargs={"slug": self.slug})

    @property
    def start_display(self) -> str:
        return format_partial_date(self.start_date, self.start_precision)

    @property
    def end_display(self) -> str:
        return format_partial_date(self.end_date, self.end_precision)

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.end_date and self.start_date and self.end_date < self.start_date:
            errors["end_date"] = [_("An event cannot end before it starts.")]
        if self.end_date and not self.end_precision:
            errors["end_precision"] = [_("Say how precisely the end is known.")]
        if self.end_time and not self.end_date:
            errors["end_time"] = [_("An end time needs an end date.")]
        for prefix in ("start", "end"):
            date, precision = getattr(self, f"{prefix}_date"), getattr(self, f"{prefix}_precision")
            if date and precision == Precision.YEAR and (date.month, date.day) != (1, 1):
                errors.setdefault(f"{prefix}_date", []).append(
                    _("For a date known only to the year, enter 1 January of that year.")
                )
            if date and precision == Precision.MONTH and date.day != 1:
                errors.setdefault(f"{prefix}_date", []).append(
                    _("For a date known only to the month, enter the first day of that month.")
                )
        if errors:
            raise ValidationError(errors)


class Citation(models.Model):
    """A source cited for a person or an event, with where in it and what it supports."""

    source = models.ForeignKey(Source, verbose_name=_("source"), on_delete=models.PROTECT, related_name="citations")
    victim = models.ForeignKey(
        Victim, verbose_name=_("victim"), null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    event = models.ForeignKey(
        Event, verbose_name=_("event"), null=True, blank=True, on_delete=models.CASCADE, related_name="citations"
    )
    locator = models.CharField(_("page or locator"), max_length=200, blank=True)
    supports = models.CharField(
        _("what it supports"), max_length=300, blank=True, help_text=_("For example: date and place of death.")
    )

    class Meta:
        verbose_name = _("citation")
        verbose_name_plural = _("citations")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(victim__isnull=False, event__isnull=True) | Q(victim__isnull=True, event__isnull=False),
                name="citation_of_victim_or_event",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}, {self.locator}" if self.locator else str(self.source)


class Photo(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    victim = models.ForeignKey(
        Victim, verbose_name=_("victim"), null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    event = models.ForeignKey(
        Event, verbose_name=_("event"), null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    original = models.FileField(
        _("image"), storage=private_storage,
        upload_to="originals/", max_length=300,
    )  # fmt: skip
    alt_text = models.CharField(
        _("alternative text"), max_length=300,
        help_text=_("What the photo shows, for people who cannot see it."),
    )  # fmt: skip
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    credit = models.CharField(_("credit"), max_length=300, blank=True)
    licence = models.CharField(_("licence"), max_length=200, blank=True)
    is_primary = models.BooleanField(_("primary photo"), default=False)
    # A photo a visitor sent (contributions) waits unpublished until a curator approves it: no public
    # page, media address, API, feed or export shows it (``PhotoQuerySet.published`` and ``public``).
    is_published = models.BooleanField(
        _("approved for publication"), default=True,
        help_text=_("Unticked, the photo is kept with the record but shown nowhere on the site."),
    )  # fmt: skip
    width = models.PositiveIntegerField(null=True, editable=False)
    height = models.PositiveIntegerField(null=True, editable=False)
    # A perceptual hash of the original (victims.duplicates): near-identical photos of two records
    # flag them as a likely duplicate even when their names differ.
    phash = models.CharField(_("perceptual hash"), max_length=16, blank=True, editable=False)
    # {"thumb": {"webp": "photos/…/thumb.webp", "jpeg": "…", "width": 160, "height": 200}, "card": …, "full": …}
    renditions = models.JSONField(default=dict, blank=True, editable=False)

    objects = PhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["-is_primary", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(victim__isnull=False, event__isnull=True) | Q(victim__isnull=True, event__isnull=False),
                name="photo_of_victim_or_event",
            ),
            models.UniqueConstraint(
                fields=["victim"],
                condition=Q(is_primary=True, victim__isnull=False),
                name="one_primary_photo_per_victim",
            ),
            models.CheckConstraint(condition=Q(is_primary=False) | Q(is_published=True),
                                   name="photo_primary_is_published"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.alt_text

    def rendition_url(self, size: str, fmt: str = "webp") -> str:
        path = self.renditions.get(size, {}).get(fmt)
        return media_url(path) if path else ""


class DuplicateVerdict(models.TextChoices):
    OPEN = "open", _("To review")
    DIFFERENT = "different", _("Not the same person")


class DuplicatePair(models.Model):
    """Two people who may be one, scored by victims.duplicates; an Editor merges them or marks
    them "not the same person" (remembered: the pair is never proposed again)."""

    first = models.ForeignKey(Victim, verbose_name=_("first person"), on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Victim, verbose_name=_("second person"), on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(_("score"))
    reasons = models.JSONField(_("reasons"), default=list)
    verdict = models.CharField(
        _("verdict"), max_length=10, choices=DuplicateVerdict.choices, default=DuplicateVerdict.OPEN
    )
    scored_at = models.DateTimeField(_("scored"), auto_now=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("decided by"),
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["-score", "id"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_once"),
            models.CheckConstraint(condition=Q(first__lt=F("second")), name="duplicate_pair_ordered"),
        ]
        indexes = [models.Index(fields=["verdict", "-score"], name="duplicate_open_by_score")]

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.score:.2f})"


class HeldBackState(models.TextChoices):
    WAITING = "waiting", _("Waiting for a decision")
    IMPORTED = "imported", _("Imported as a new person")
    MATCHED = "matched", _("The same as a person in the registry")
    DISCARDED = "discarded", _("Discarded")


class HeldBackRow(models.Model):
    """A row of an import that the duplicate gate held back: the person it describes may already
    be in the registry (or on an earlier row of the same file). Kept, as imported, until a staff
    member decides (victims.exchange.importing.heldback): import it as a new person, say it is a
    person already in the registry, or discard it with a reason. Never public."""

    file_name = models.CharField(_("file"), max_length=255)
    row_number = models.PositiveIntegerField(_("row"))
    data = models.JSONField(_("row as imported"), help_text=_("The row's cells, name variants, citations and events."))
    name = models.CharField(_("name in the file"), max_length=400)
    candidates = models.JSONField(
        _("likely duplicates"), default=list, help_text=_("Why the row was held back: the people it resembles.")
    )
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    imported_at = models.DateTimeField(_("imported"))
    state = models.CharField(
        _("state"), max_length=10, choices=HeldBackState.choices, default=HeldBackState.WAITING
    )
    victim = models.ForeignKey(
        Victim, verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The person the row was imported as, or found to be."),
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.TextField(_("reason"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("imported row held back")
        verbose_name_plural = _("imported rows held back")
        ordering = ["-imported_at", "row_number", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state=HeldBackState.DISCARDED) | ~Q(decision_note=""), name="held_back_discarded_with_reason"
            ),
            models.CheckConstraint(
                condition=Q(state=HeldBackState.WAITING) | Q(decided_at__isnull=False), name="held_back_decided_dated"
            ),
        ]
        indexes = [models.Index(fields=["state", "-imported_at"], name="held_back_queue")]

    def __str__(self) -> str:
        return f"{self.file_name}, {self.row_number}: {self.name}"


class ReportedFigure(models.Model):
    """A figure a source gives (killed, wounded, ...), shown beside the registry's own counts."""

    measure = models.CharField(_("what is counted"), max_length=20, choices=FigureMeasure.choices)
    value_text = models.CharField(_("figure as given"), max_length=100, help_text=_("For example: more than 130."))
    value_low = models.PositiveIntegerField(_("lowest value"), null=True, blank=True)
    value_high = models.PositiveIntegerField(_("highest value"), null=True, blank=True)
    source = models.ForeignKey(
        Source, verbose_name=_("source"), null=True, blank=True, on_delete=models.PROTECT, related_name="figures"
    )
    attribution = models.CharField(
        _("attribution"), max_length=300,
        help_text=_("Who gives the figure, as shown beside it, for example: the commemorative statement (2005)."),
    )  # fmt: skip
    note = models.CharField(_("note"), max_length=500, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    original_language = _language_field()
    translated_on = _translated_on_field()

    class Meta:
        verbose_name = _("reported figure")
        verbose_name_plural = _("reported figures")
        ordering = ["measure", "order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(value_low__isnull=True) | Q(value_high__isnull=True) | Q(value_high__gte=F("value_low")),
                name="figure_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_measure_display()}: {self.value_text} ({self.attribution})"


class ExportLog(models.Model):
    """Who exported what and when."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    format = models.CharField(_("format"), max_length=10)
    record_type = models.CharField(_("records"), max_length=40, default="all")
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    via = models.CharField(_("via"), max_length=20, default="admin")

    class Meta:
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.format} {self.record_type}"


class RegistryGeneration(models.Model):
    """One row whose ``value`` changes at every commit that changes what the public sees.

    Written only by database triggers (migration 0007): a deferred trigger on every table the
    public pages read sets a fresh value from a sequence while the transaction commits, under the
    row's lock, so the new value becomes visible together with the change, whatever order
    transactions commit in. ``victims.caching`` reads it to key the page cache and the ETags.
    """

    value = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("registry generation")
        verbose_name_plural = _("registry generation")

    def __str__(self) -> str:
        return f"{self.value} ({self.changed_at})"
