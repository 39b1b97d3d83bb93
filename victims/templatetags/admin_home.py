"""The admin home and sidebar: what waits for the signed-in user, and the staff tools they may use."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.translation import gettext as _

from victims import services
from victims.admin.worklist import WorkItem, worklist

register = template.Library()


@register.simple_tag(takes_context=True)
def what_needs_me(context) -> list[WorkItem]:
    return worklist(context["request"])


@register.simple_tag(takes_context=True)
def staff_tools(context) -> list[dict]:
    """Export and import, for the roles that may use them (same permissions as the pages)."""
    user = context["request"].user
    tools = []
    if user.is_active and user.is_staff and user.has_perm("victims.export_registry"):
        tools.append(
            {
                "label": _("Export the registry"),
                "url": reverse("staff:export"),
                "help": _("CSV, JSON, XLSX or a data package, of everything or of a selection."),
            }
        )
    if user.is_active and user.is_staff and user.has_perm("victims.import_registry"):
        tools.append(
            {
                "label": _("Import people"),
                "url": reverse("staff:import"),
                "help": _("From a spreadsheet: checked and previewed before anything is written."),
            }
        )
    return tools


@register.simple_tag(takes_context=True)
def review_tools(context) -> list[dict]:
    """The Editors' review pages: possible duplicates and data quality (same permission as the pages)."""
    user = context["request"].user
    if not (user.is_active and user.is_staff and user.has_perm(services.PUBLISH)):
        return []
    return [
        {
            "label": _("Possible duplicates"),
            "url": reverse("staff:duplicates"),
            "help": _("Pairs of people who may be one: merge them or mark them as two people."),
        },
        {
            "label": _("Data quality"),
            "url": reverse("staff:quality"),
            "help": _("What records still lack: citations, dates, name forms, credits, old drafts, uncited sources."),
        },
    ]
