"""The site's own pages: home (the statement), about, errors, and the safe media view."""

from __future__ import annotations

import datetime
import hashlib
import mimetypes
import re
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.decorators import method_decorator
from django.utils.http import http_date
from django.views.generic import TemplateView

from common.january1990 import MEMORIAL_DAY
from common.partialdates import format_partial_date
from common.translation_fallback import translated
from memorial.homedata import home_data
from memorial.statement import paragraphs_html
from victims.caching import public_page


def years_since(day: datetime.date, today: datetime.date) -> int:
    """Whole years from ``day`` to ``today``."""
    return today.year - day.year - ((today.month, today.day) < (day.month, day.day))


RECENT_PEOPLE = 6


def key_figures(counts: dict[str, int], figures) -> list[dict]:
    """The registry's own counts beside the figures the statement and the sources give.

    Per measure: what the published registry records, and every reported figure (``figures``, in
    order) with its attribution and source. None is chosen over another.
    """
    from victims.models import Category, FigureMeasure

    reported: dict[str, list] = {}
    for figure in figures:
        reported.setdefault(figure.measure, []).append(figure)
    rows = [
        {"measure": FigureMeasure.KILLED, "label": Category.KILLED.label,
         "recorded": counts[Category.KILLED] + counts[Category.DIED_OF_WOUNDS],
         "recorded_note": counts[Category.DIED_OF_WOUNDS], "reported": reported.pop(FigureMeasure.KILLED, [])},
        {"measure": FigureMeasure.WOUNDED, "label": Category.WOUNDED.label, "recorded": counts[Category.WOUNDED],
         "reported": reported.pop(FigureMeasure.WOUNDED, [])},
        {"measure": FigureMeasure.MISSING, "label": Category.MISSING.label, "recorded": counts[Category.MISSING],
         "reported": reported.pop(FigureMeasure.MISSING, [])},
    ]  # fmt: skip
    if counts[Category.DETAINED] or FigureMeasure.ARRESTED in reported:
        rows.append(
            {"measure": FigureMeasure.ARRESTED, "label": FigureMeasure.ARRESTED.label,
             "recorded": counts[Category.DETAINED], "reported": reported.pop(FigureMeasure.ARRESTED, [])}
        )  # fmt: skip
    return rows


@method_decorator(public_page, name="dispatch")
class HomeView(TemplateView):
    template_name = "memorial/home.html"

    def get_context_data(self, **kwargs):
        from victims.stats import category_counts

        counts = category_counts()
        context = super().get_context_data(**kwargs)
        # One statement, plain rows (memorial.homedata): the ORM cost more than the SQL here.
        data = home_data(RECENT_PEOPLE)
        statement = data.statement
        today = timezone.localdate()
        body = translated(statement, "body") if statement else None
        figures = key_figures(counts, data.figures)
        context.update(
            statement=statement,
            statement_title=translated(statement, "title") if statement else None,
            statement_subtitle=translated(statement, "subtitle") if statement else None,
            statement_body=body,
            statement_paragraphs=paragraphs_html(body.text) if statement else [],
            years_since=years_since(MEMORIAL_DAY, today),
            today=today,
            statement_written=format_partial_date(statement.written_date, statement.written_precision)
            if statement
            else "",
            figures=figures,
            reported_figures=[figure for row in figures for figure in row["reported"]],
            recorded_total=sum(counts.values()),
            recent_people=data.newest_people,
        )
        return context


@method_decorator(public_page, name="dispatch")
class AboutView(TemplateView):
    template_name = "memorial/about.html"


@method_decorator(public_page, name="dispatch")
class MethodologyView(TemplateView):
    """How a record is made, rated, counted, merged and corrected: what the software does."""

    template_name = "memorial/methodology.html"


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No database access and no context processors that might fail: the database may be down.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({"SITE_NAME": settings.SITE_NAME}), status=500)


SAFE_MEDIA_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".png": "image/png"}
# What a rendition's address looks like (victims.images: photos/<the photo's uuid>/<size>.<ext>).
# Anything else (a NUL byte, "..", another folder) is not looked up at all.
RENDITION_PATH = re.compile(
    r"photos/(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/[A-Za-z0-9_-]+(?P<suffix>\.[a-z]+)"
)


def media(request: HttpRequest, path: str) -> HttpResponse:
    """Serve the renditions of public photos only: a photo of a person or event that is not
    published (a draft, in review, withdrawn) answers 404 like its page, and is served again once
    published. Images only, by extension and type, never HTML or SVG, never a folder listing, with
    headers that forbid sniffing and scripting. Browsers and proxies revalidate every time
    (``no-cache`` with an ETag), so a withdrawn photo is not kept in a cache either."""
    from victims.models import Photo

    match = RENDITION_PATH.fullmatch(path)
    if match is None or match["suffix"] not in SAFE_MEDIA_TYPES:
        raise Http404
    renditions = Photo.objects.public().filter(uuid=match["uuid"]).values_list("renditions", flat=True).first()
    if not renditions or path not in {entry.get(fmt) for entry in renditions.values() for fmt in ("webp", "jpeg")}:
        raise Http404
    stored = _stored_file(path)
    if stored is None:
        raise Http404
    etag, last_modified = stored
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        content_type = SAFE_MEDIA_TYPES[match["suffix"]]
        if settings.MEDIA_ACCEL_REDIRECT and _on_local_disk():
            # Behind nginx: Django decided, nginx sends the file from its internal location.
            response = HttpResponse(content_type=content_type)
            response["X-Accel-Redirect"] = settings.MEDIA_ACCEL_REDIRECT.rstrip("/") + "/" + path
        else:
            response = FileResponse(default_storage.open(path, "rb"), content_type=content_type)
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-cache"
    return response


def _on_local_disk() -> bool:
    return isinstance(storages["default"], FileSystemStorage)


def _stored_file(path: str) -> tuple[str, int | None] | None:
    """The ETag and modification time of a stored rendition, or None when it is not stored.

    On local disk from the file's size and time; in a bucket (MEDIA_S3_BUCKET) a rendition's name
    is never reused (photos/<uuid>/<size>.<ext>, a new upload gets a new name), so the name is its
    version and one existence check is all that is asked of the bucket."""
    if _on_local_disk():
        try:
            stat = (Path(settings.MEDIA_ROOT) / path).stat()
        except OSError:
            return None
        fingerprint, last_modified = f"{path}|{stat.st_size}|{stat.st_mtime_ns}", int(stat.st_mtime)
    else:
        if not default_storage.exists(path):
            return None
        fingerprint, last_modified = path, None
    return f'"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"', last_modified


mimetypes.add_type("image/webp", ".webp")
