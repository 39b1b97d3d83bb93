"""The answer to a refused request: for staff, a page of the admin's own that says what was refused
and what their role allows; for anyone else, Django's plain 403."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views import defaults


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return defaults.permission_denied(request, exception)
    from victims.roles import ROLE_DESCRIPTIONS, ROLE_NAMES

    roles = [
        {"name": ROLE_NAMES.get(name, name), "description": ROLE_DESCRIPTIONS.get(name, "")}
        for name in user.groups.order_by("name").values_list("name", flat=True)
    ]
    reason = str(exception) if exception is not None and str(exception) else ""
    context = {
        **admin.site.each_context(request),
        "title": _("Your role does not allow this"),
        "reason": reason,
        "roles": roles,
    }
    response = TemplateResponse(request, "admin/forbidden.html", context, status=403)
    return response.render()
