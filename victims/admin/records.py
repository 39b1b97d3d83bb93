"""Admin of the people and the events of the registry."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin import helpers
from django.db.models import Exists, OuterRef
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from victims import services
from victims.admin.base import (
    CitationInline,
    PhotoInline,
    QualityFilter,
    RecordInlineMixin,
    ReturnedToDraftFilter,
    WorkflowAdmin,
)
from victims.caching import cached_per_generation
from victims.forms import EventAdminForm, VictimAdminForm, VictimPhotoFormSet
from victims.models import Citation, Event, NameVariant, Photo, Place, Victim
from victims.views import RegistryPaginator

THUMB_BOX = 56  # pixels: the longest side of a thumbnail in the change list


class NameVariantInline(RecordInlineMixin, admin.TabularInline):
    model = NameVariant
    extra = 0
    fields = ["name", "script", "kind"]


class VictimPhotoInline(PhotoInline):
    formset = VictimPhotoFormSet
    fk_name = "victim"


class EventPhotoInline(PhotoInline):
    fk_name = "event"
    fields = [f for f in PhotoInline.fields if f != "is_primary"]


class VictimCitationInline(CitationInline):
    fk_name = "victim"


class EventCitationInline(CitationInline):
    fk_name = "event"


class YearOfDeathFilter(admin.SimpleListFilter):
    title = _("year of death")
    parameter_name = "death_year"

    def lookups(self, request, model_admin):
        # Reading the years scans every person (30 ms at 100,000): kept per registry generation.
        years = cached_per_generation("admin:death-years", death_years)
        return [(str(year), str(year)) for year in years] + [("none", _("Not recorded"))]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "none":
            return queryset.filter(death_date__isnull=True)
        if value and value.isdigit():
            return queryset.filter(death_date__year=int(value))
        return queryset


class PhotoApprovalFilter(admin.SimpleListFilter):
    """People with a photo not approved for publication (a visitor's, from contributions)."""

    title = _("photos")
    parameter_name = "photos"

    def lookups(self, request, model_admin):
        return [("unapproved", _("Waiting for approval"))]

    def queryset(self, request, queryset):
        if self.value() == "unapproved":
            return queryset.filter(pk__in=Photo.objects.filter(is_published=False).values("victim_id"))
        return queryset


def death_years() -> list[int]:
    return [day.year for day in Victim.objects.filter(death_date__isnull=False).dates("death_date", "year")]


class PlaceOfDeathFilter(admin.RelatedOnlyFieldListFilter):
    """The places someone died at, found per place through the foreign key's index (EXISTS) and kept
    per registry generation: the stock filter read every person (``DISTINCT place_of_death_id``)."""

    def field_choices(self, field, request, model_admin):
        def choices():
            died_here = Victim.objects.filter(place_of_death=OuterRef("pk"))
            places = Place.objects.filter(Exists(died_here)).order_by("name")
            return [(place.pk, str(place)) for place in places]

        return cached_per_generation("admin:places-of-death", choices)


@admin.register(Victim)
class VictimAdmin(WorkflowAdmin):
    form = VictimAdminForm
    inlines = [NameVariantInline, VictimPhotoInline, VictimCitationInline]
    history_inlines = [(NameVariant, "victim"), (Photo, "victim"), (Citation, "victim")]
    list_display = ["thumbnail", "name", "dates", "category", "status_display"]
    list_display_links = ["thumbnail", "name"]
    list_filter = [
        "status",
        ReturnedToDraftFilter,
        "category",
        "gender",
        YearOfDeathFilter,
        ("place_of_death", PlaceOfDeathFilter),
        PhotoApprovalFilter,
        QualityFilter,
    ]
    ordering = ["family_name", "given_name", "id"]
    # Search goes through Victim.objects.search() (see get_search_results); the field named here
    # only switches the admin's search box and the autocomplete on.
    search_fields = ["search_document"]
    search_help_text = _("Any spelling of a name, in Latin or Cyrillic letters, with or without ə, ş, ç, ğ, ı, ö, ü.")
    autocomplete_fields = ["place_of_birth", "place_of_death", "burial_place"]
    prepopulated_fields = {"slug": ["family_name", "given_name"]}
    list_per_page = 100
    # Counts kept per registry generation and query (counting 100,000 people takes 5–25 ms); deep
    # pages read their ids by an index-only scan first.
    paginator = RegistryPaginator
    # Skip the second count of the whole registry on a filtered or searched list (about 20 ms at 100,000).
    show_full_result_count = False
    fieldsets = [
        (None, {"fields": ["loaded_version", "family_name", "given_name", "patronymic", "display_name", "slug"]}),
        (
            _("Life and death"),
            {
                "fields": [
                    "gender",
                    ("birth_date", "birth_precision"),
                    ("death_date", "death_precision", "death_time"),
                    ("age_recorded", "age"),
                    "place_of_birth",
                    "place_of_death",
                    "burial_place",
                    "category",
                    "nationality",
                    ("occupation_az", "occupation_en", "occupation_ru"),
                ]
            },
        ),
        (
            _("Story"),
            {
                "fields": [
                    "original_language",
                    ("circumstances_az", "circumstances_en", "circumstances_ru"),
                    ("biography_az", "biography_en", "biography_ru"),
                ],
                "description": _("Each language side by side; leave a language empty until it is translated."),
            },
        ),
        WorkflowAdmin.publication_fieldset,
    ]
    tracked_readonly = [*WorkflowAdmin.tracked_readonly, "age"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("place_of_death").with_primary_photo()

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.merged_into_id:
            fieldsets = [*fieldsets, (_("Merged"), {"fields": ["merged_into"]})]
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        return [*readonly, "merged_into"] if obj is not None and obj.merged_into_id else readonly

    def get_search_results(self, request, queryset, search_term):
        """Search ignoring case, diacritics and script, through every name variant."""
        search_term = search_term.strip()
        if not search_term:
            return queryset, False
        # The matches' ids first, then the change list in its own order: as a subquery, PostgreSQL
        # expected a few thousand matches and walked the name index checking every person against
        # the search (750 ms for a common family name at 100,000; 50 ms this way).
        matches = list(Victim.objects.search(search_term).order_by().values_list("pk", flat=True))
        return queryset.filter(pk__in=matches), False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.victim_refresh_search(victim=form.instance)

    def action_checkbox(self, obj):
        """Django's checkbox (the same HTML), written without rendering a form widget's template for
        each of the 100 rows (a quarter of the change list's CPU time)."""
        label = format_html(gettext("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME, str(obj.pk), label,
        )  # fmt: skip

    @admin.display(description=_("photo"))
    def thumbnail(self, obj):
        photos = getattr(obj, "primary_photos", None)
        photo = photos[0] if photos else None
        if photo is None or not photo.renditions.get("thumb"):
            return format_html('<span class="photo-none" aria-hidden="true">{}</span>', "—")
        thumb = photo.renditions["thumb"]
        width, height = thumb.get("width") or 1, thumb.get("height") or 1
        scale = THUMB_BOX / max(width, height)
        return format_html(
            '<picture><source srcset="{}" type="image/webp">'
            '<img src="{}" alt="" width="{}" height="{}" class="victim-thumb" loading="lazy"></picture>',
            photo.rendition_url("thumb", "webp"), photo.rendition_url("thumb", "jpeg"),
            round(width * scale), round(height * scale),
        )  # fmt: skip

    @admin.display(description=_("name"), ordering="family_name")
    def name(self, obj):
        return str(obj)

    @admin.display(description=_("dates"), ordering="death_date")
    def dates(self, obj):
        birth, death = obj.birth_display, obj.death_display
        if birth and death:
            return f"{birth} – {death}"
        if death:
            return f"† {death}"
        return birth or "—"


@admin.register(Event)
class EventAdmin(WorkflowAdmin):
    form = EventAdminForm
    inlines = [EventPhotoInline, EventCitationInline]
    history_inlines = [(Photo, "event"), (Citation, "event")]
    list_display = ["title", "dates", "kind", "place", "status_display"]
    list_filter = ["status", ReturnedToDraftFilter, "kind", QualityFilter]
    list_select_related = ["place"]
    search_fields = ["title_az", "title_en", "title_ru", "slug"]
    autocomplete_fields = ["place", "victims"]
    prepopulated_fields = {"slug": ["title_en"]}
    ordering = ["start_date", "start_time", "id"]
    fieldsets = [
        (None, {"fields": ["loaded_version", ("title_az", "title_en", "title_ru"), "slug", "kind"]}),
        (
            _("When and where"),
            {
                "fields": [
                    ("start_date", "start_precision", "start_time"),
                    ("end_date", "end_precision", "end_time"),
                    "place",
                ]
            },
        ),
        (
            _("Text"),
            {
                "fields": [
                    "original_language",
                    ("summary_az", "summary_en", "summary_ru"),
                    ("description_az", "description_en", "description_ru"),
                    ("translated_on_az", "translated_on_en", "translated_on_ru"),
                ]
            },
        ),
        (_("People"), {"fields": ["victims"]}),
        WorkflowAdmin.publication_fieldset,
    ]

    @admin.display(description=_("dates"), ordering="start_date")
    def dates(self, obj):
        start, end = obj.start_display, obj.end_display
        return f"{start} – {end}" if end else start
