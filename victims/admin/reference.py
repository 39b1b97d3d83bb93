"""Admin of what records refer to: places, sources, reported figures; and the export log."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from victims.admin.base import HistoryMixin, QualityFilter
from victims.models import ExportLog, Place, ReportedFigure, Source


@admin.register(Place)
class PlaceAdmin(HistoryMixin, TranslationAdmin):
    list_display = ["name", "slug", "kind", "parent", "latitude", "longitude"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name_az", "name_en", "name_ru", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name_az"]}
    fieldsets = [
        (None, {"fields": [("name_az", "name_en", "name_ru"), "slug", "kind", "parent"]}),
        (_("Location"), {"fields": [("latitude", "longitude")]}),
    ]

    class Media:
        css = {"all": ["css/admin-registry.css"]}


@admin.register(Source)
class SourceAdmin(HistoryMixin, TranslationAdmin):
    list_display = ["title", "author", "year", "kind", "reliability", "key"]
    list_filter = ["kind", "reliability", QualityFilter]
    search_fields = ["title", "author", "publisher", "key", "archive_reference"]
    fieldsets = [
        (None, {"fields": ["key", "kind", "title", "author", "publisher", "year"]}),
        (_("Where to find it"), {"fields": ["url", "archive_reference"]}),
        (
            _("Curators' notes"),
            {
                "fields": [
                    "reliability",
                    "original_language",
                    ("notes_az", "notes_en", "notes_ru"),
                    ("translated_on_az", "translated_on_en", "translated_on_ru"),
                ]
            },
        ),
    ]

    class Media:
        css = {"all": ["css/admin-registry.css"]}


@admin.register(ReportedFigure)
class ReportedFigureAdmin(HistoryMixin, TranslationAdmin):
    list_display = ["measure", "value_text", "attribution", "source", "order"]
    list_filter = ["measure"]
    list_select_related = ["source"]
    autocomplete_fields = ["source"]
    search_fields = ["value_text_az", "value_text_en", "attribution_az", "attribution_en", "attribution_ru"]
    fieldsets = [
        (
            None,
            {"fields": ["measure", ("value_text_az", "value_text_en", "value_text_ru"), ("value_low", "value_high")]},
        ),
        (_("Who gives it"), {"fields": ["source", ("attribution_az", "attribution_en", "attribution_ru")]}),
        (None, {"fields": [("note_az", "note_en", "note_ru"), "order"]}),
        (None, {"fields": ["original_language", ("translated_on_az", "translated_on_en", "translated_on_ru")]}),
    ]

    class Media:
        css = {"all": ["css/admin-registry.css"]}


@admin.register(ExportLog)
class ExportLogAdmin(admin.ModelAdmin):
    """Who exported what: read-only, for superusers."""

    list_display = ["created_at", "user", "format", "record_type", "row_count", "via"]
    list_filter = ["format", "record_type", "via"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"
    actions = None

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
