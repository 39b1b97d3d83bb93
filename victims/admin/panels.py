"""Panels above a record's change form, added by other parts of the project: for example what a
visitor proposed for this person (contributions), shown beside the form the curator edits.

A provider takes the request and the record (``None`` on the add form) and returns HTML (already
escaped) or an empty string; victims never imports the apps that provide panels.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString

Panel = Callable[[object, object], SafeString | str]
PANELS: list[Panel] = []


def change_form_panel(provider: Panel) -> Panel:
    """Register ``provider`` (a function of the request and the record) for the change forms."""
    PANELS.append(provider)
    return provider


def change_form_panels(request, obj) -> list[SafeString]:
    """The panels every provider gives for ``obj``, in order, empty ones left out."""
    return [panel for provider in PANELS if (panel := provider(request, obj))]
