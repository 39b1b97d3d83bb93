"""The site's own pages: home (the statement), about, errors, and the safe media view."""

from __future__ import annotations

import datetime
import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.generic import TemplateView

from memorial.models import Statement
from memorial.statement import paragraphs_html

BLACK_JANUARY = datetime.date(1990, 1, 20)


def years_since(day: datetime.date, today: datetime.date) -> int:
    """Whole years from ``day`` to ``today``."""
    return today.year - day.year - ((today.month, today.day) < (day.month, day.day))


class HomeView(TemplateView):
    template_name = "memorial/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        statement = Statement.objects.current()
        today = timezone.localdate()
        context.update(
            statement=statement,
            statement_paragraphs=paragraphs_html(statement.body) if statement else [],
            years_since=years_since(BLACK_JANUARY, today),
            today=today,
        )
        return context


class AboutView(TemplateView):
    template_name = "memorial/about.html"


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No database access and no context processors that might fail: the database may be down.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render({"SITE_NAME": settings.SITE_NAME}), status=500)


SAFE_MEDIA_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp", ".png": "image/png"}


def media(request: HttpRequest, path: str) -> FileResponse:
    """Serve generated photo renditions only: images by extension and type, never HTML or SVG,
    never a folder listing, with headers that forbid sniffing and scripting."""
    root = Path(settings.MEDIA_ROOT).resolve()
    target = (root / path).resolve()
    suffix = target.suffix.lower()
    if root not in target.parents or suffix not in SAFE_MEDIA_TYPES or not target.is_file():
        raise Http404
    response = FileResponse(target.open("rb"), content_type=SAFE_MEDIA_TYPES[suffix])
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


mimetypes.add_type("image/webp", ".webp")
