"""The admin's "Export selected" action, added to every change list (the export log's own admin
is in ``victims.admin.reference``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from victims.exchange.exports import SELECTABLE

SESSION_SELECTION = "victims_export_selection"


@admin.action(description=_("Export selected"))
def export_selected(modeladmin, request, queryset):
    """Remember the selection and open the staff export page to choose a format."""
    meta = queryset.model._meta
    if meta.app_label != "victims" or meta.model_name not in SELECTABLE:
        modeladmin.message_user(
            request, _("Only registry records (people, events, places, sources) can be exported."), messages.WARNING
        )
        return None
    if not request.user.has_perm("victims.export_registry"):
        modeladmin.message_user(request, _("Your role may not export the registry."), messages.ERROR)
        return None
    request.session[SESSION_SELECTION] = {
        "model": meta.model_name,
        "ids": list(queryset.order_by().values_list("pk", flat=True)),
        "label": str(meta.verbose_name_plural),
    }
    return HttpResponseRedirect(reverse("staff:export") + "?selection=1")


def register() -> None:
    admin.site.add_action(export_selected, "export_selected")
