from django.contrib import admin
from modeltranslation.admin import TranslationAdmin
from simple_history.admin import SimpleHistoryAdmin

from common.partialdates import HISTORIC_DATE_WIDGETS
from memorial.models import Statement


@admin.register(Statement)
class StatementAdmin(SimpleHistoryAdmin, TranslationAdmin):
    list_display = ["title", "written_date", "original_language", "is_current", "updated_at"]
    list_filter = ["is_current", "original_language"]
    formfield_overrides = HISTORIC_DATE_WIDGETS
    fieldsets = [
        (None, {"fields": ["title", "subtitle", "body", "occasion", "translated_on"]}),
        ("", {"fields": ["written_date", "written_precision", "original_language", "is_current"]}),
    ]

    def view_on_site(self, obj):
        from django.urls import reverse

        return reverse("home")
