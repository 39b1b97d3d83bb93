"""Staff pages for export and import, styled as part of the admin.

Export: Data staff, Editors and superusers (``victims.export_registry``). Import: Data staff and
superusers (``victims.import_registry``): upload → preview → confirm. The uploaded file waits in a
private folder (never under MEDIA_ROOT), named by a random token kept in the session.
"""

from __future__ import annotations

import re
import secrets
import tempfile
import time
from functools import wraps
from pathlib import Path

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from victims.exchange import exports
from victims.exchange.admin_actions import SESSION_SELECTION
from victims.exchange.forms import ExportForm, ImportUploadForm
from victims.exchange.importing.parsing import PLACE_FIELDS
from victims.exchange.services import logged_chunks, registry_export, registry_import
from victims.models import Category, Gender, Place, Script, Source, Status, VariantKind, Victim

SESSION_IMPORT = "victims_import_upload"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
UPLOAD_LIFETIME = 24 * 3600
LISTED_ON_THE_PAGE = 300  # places and sources listed on the import page; beyond, a link to the admin list


def permission_required(perm: str):
    """Anonymous users go to the login page; signed-in users without ``perm`` get 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not (request.user.is_active and request.user.is_staff and request.user.has_perm(perm)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _context(request, **extra):
    return {**admin.site.each_context(request), **extra}


# --- Export ------------------------------------------------------------------------------------------


@permission_required("victims.export_registry")
@require_http_methods(["GET", "POST"])
def export_view(request):
    may_see_drafts = request.user.has_perm("victims.view_victim")
    selection = request.session.get(SESSION_SELECTION)
    if request.method == "POST":
        form = ExportForm(request.POST, may_see_drafts=may_see_drafts, selection=selection)
        if form.is_valid():
            return _download(request, form)
    else:
        initial = {}
        if selection and request.GET.get("selection"):
            # What was selected in the admin is exported whatever its status (the role permitting).
            initial = {"use_selection": True, "statuses": list(Status.values) if may_see_drafts else [Status.PUBLISHED]}
        if selection and selection["model"] != "victim":
            initial["record_type"] = exports.SELECTABLE[selection["model"]]
        form = ExportForm(initial=initial, may_see_drafts=may_see_drafts, selection=selection)
    context = _context(
        request, title=_("Export the registry"), form=form, selection=selection,
        published_count=Victim.objects.published().count(),
    )  # fmt: skip
    return render(request, "staff/export.html", context)


def _download(request, form: ExportForm):
    fmt, record_type, filters = form.cleaned_data["format"], form.cleaned_data["record_type"], form.filters()
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    if fmt in ("csv", "json"):
        log = exports.export_log_start(user=request.user, fmt=fmt, record_type=record_type if fmt == "csv" else "all",
                                       filters=filters, via="staff page")  # fmt: skip
        counter: list[int] = []
        if fmt == "csv":
            chunks = exports.csv_chunks(record_type, filters, bom=form.cleaned_data["bom"], counter=counter)
            content_type, filename = "text/csv; charset=utf-8", f"registry-{record_type}-{stamp}.csv"
        else:
            chunks = exports.iter_json(filters, counter=counter)
            content_type, filename = "application/json; charset=utf-8", f"registry-{stamp}.json"
        response = StreamingHttpResponse(logged_chunks(chunks, log, counter), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    output = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    registry_export(fmt, output, filters=filters, user=request.user, via="staff page")
    output.seek(0)
    extension = "xlsx" if fmt == "xlsx" else "zip"
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if fmt == "xlsx" else "application/zip"
    )
    return FileResponse(output, as_attachment=True, filename=f"registry-{stamp}.{extension}", content_type=content_type)


# --- Import ------------------------------------------------------------------------------------------


def _upload_folder() -> Path:
    folder = Path(settings.PRIVATE_MEDIA_ROOT) / "import-uploads"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _forget_old_uploads(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_LIFETIME
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def pending_import(request) -> tuple[Path, dict] | None:
    pending = request.session.get(SESSION_IMPORT)
    if not pending or not TOKEN.match(pending.get("token", "")):
        return None
    path = _upload_folder() / pending["token"]
    return (path, pending) if path.exists() else None


@permission_required("victims.import_registry")
@require_http_methods(["GET", "POST"])
def import_view(request):
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            folder = _upload_folder()
            _forget_old_uploads(folder)
            previous = pending_import(request)
            if previous:
                previous[0].unlink(missing_ok=True)
            token = secrets.token_urlsafe(24)
            upload = form.cleaned_data["file"]
            with open(folder / token, "wb") as stored:
                for chunk in upload.chunks():
                    stored.write(chunk)
            request.session[SESSION_IMPORT] = {"token": token, "name": Path(upload.name).name}
            return HttpResponseRedirect(reverse("staff:import_preview"))
    else:
        form = ImportUploadForm()
    return render(
        request, "staff/import.html", _context(request, title=_("Import people"), form=form, **_valid_values())
    )


def _valid_values() -> dict:
    """What the cells of an import may hold, for the import page (a curator cannot open docs/)."""
    places = list(Place.objects.order_by("slug")[: LISTED_ON_THE_PAGE + 1])
    sources = list(Source.objects.order_by("key").only("key", "title")[: LISTED_ON_THE_PAGE + 1])
    return {
        "categories": Category.choices,
        "genders": Gender.choices,
        "statuses": Status.choices,
        "scripts": Script.choices,
        "variant_kinds": VariantKind.choices,
        "places": places[:LISTED_ON_THE_PAGE],
        "more_places": len(places) > LISTED_ON_THE_PAGE,
        "sources": sources[:LISTED_ON_THE_PAGE],
        "more_sources": len(sources) > LISTED_ON_THE_PAGE,
    }


def _shown(value, place_slugs: dict | None = None) -> str:
    """A value as the import file writes it: place slugs, ISO dates, "—" for nothing."""
    if value is None or value == "":
        return "—"
    if place_slugs is not None:
        return place_slugs.get(value, str(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _with_value_changes(rows) -> list:
    """Each updated row gets ``value_changes`` (field, old, new) and ``other_changes`` (variants,
    citations, events: named only)."""
    place_ids = {v for row in rows for name, pair in row.values.items() if name in PLACE_FIELDS for v in pair if v}
    place_slugs = dict(Place.objects.filter(pk__in=place_ids).values_list("pk", "slug")) if place_ids else {}
    for row in rows:
        row.value_changes = [
            {
                "field": name,
                "old": _shown(old, place_slugs if name in PLACE_FIELDS else None),
                "new": _shown(new, place_slugs if name in PLACE_FIELDS else None),
            }
            for name, (old, new) in row.values.items()
        ]
        row.other_changes = [name for name in row.changes if name not in row.values]
    return rows


@permission_required("victims.import_registry")
@require_http_methods(["GET", "POST"])
def import_preview_view(request):
    pending = pending_import(request)
    if pending is None:
        messages.warning(request, _("Upload a file first."))
        return HttpResponseRedirect(reverse("staff:import"))
    path, info = pending
    if request.method == "POST":
        if request.POST.get("token") != info["token"]:
            raise PermissionDenied
        if "cancel" in request.POST:
            path.unlink(missing_ok=True)
            request.session.pop(SESSION_IMPORT, None)
            messages.info(request, _("The import was cancelled; nothing was written."))
            return HttpResponseRedirect(reverse("staff:import"))
        confirmed = {int(n) for n in request.POST.getlist("confirm_row") if n.isdigit()}
        result = registry_import(path, user=request.user, file_name=info["name"], confirm_duplicates=confirmed)
        if result.written:
            path.unlink(missing_ok=True)
            request.session.pop(SESSION_IMPORT, None)
            counts = result.counts
            messages.success(request, _(
                "Imported %(file)s: %(create)d created, %(update)d updated, %(unchanged)d unchanged, "
                "%(held)d held back as likely duplicates."
            ) % {"file": info["name"], **counts})  # fmt: skip
            if counts["held"]:
                messages.info(request, format_html(
                    '{} <a href="{}">{}</a>',
                    _("The rows held back are kept for a decision later."),
                    f"{reverse('admin:victims_heldbackrow_changelist')}?state__exact=waiting",
                    _("See the imported rows held back"),
                ))  # fmt: skip
            return HttpResponseRedirect(reverse("staff:import"))
    else:
        result = registry_import(path, user=request.user, file_name=info["name"], dry_run=True)
    context = _context(
        request, title=_("Check the import of %(file)s") % {"file": info["name"]}, result=result,
        token=info["token"], counts=result.counts,
        changed_rows=_with_value_changes([r for r in result.rows if r.action != "unchanged"][:500]),
        may_publish=request.user.has_perm("victims.publish_victim"),
    )  # fmt: skip
    return render(request, "staff/import_preview.html", context)
