"""The Data page (what the dataset holds, its licence, how to cite it, how often it changes) and the
dataset's files, served as they were written: named by date, with their checksum."""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django.views.generic import TemplateView

from common.siteurl import absolute_url
from victims.caching import public_page_method
from victims.dataset import dataset_path, dataset_publish, releases
from victims.exchange.columns import TABLES
from victims.exchange.datapackage import PACKAGE_TABLES
from victims.staff_views import permission_required

FILE_NAME = re.compile(r"^[a-z-]+-\d{4}-\d{2}-\d{2}T\d{6}Z\.(zip|json)$")
CONTENT_TYPES = {"zip": "application/zip", "json": "application/json"}


def file_url(name: str) -> str:
    return absolute_url(reverse("dataset_file", kwargs={"name": name}))


@public_page_method
class OpenDataView(TemplateView):
    template_name = "victims/open_data.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kept = releases()
        for release in kept:
            for file in release["files"]:
                file["url"] = file_url(file["name"])
        latest = kept[0] if kept else None
        page_url = absolute_url(reverse("open_data"))
        context.update(
            releases=kept,
            latest=latest,
            page_url=page_url,
            tables=[TABLES[name] for name in PACKAGE_TABLES],
            interval=settings.DATASET_MIN_INTERVAL_MINUTES,
            keep=settings.DATASET_KEEP,
            licence={
                "name": settings.DATA_LICENCE_NAME,
                "title": settings.DATA_LICENCE_TITLE,
                "url": settings.DATA_LICENCE_URL,
            },  # fmt: skip
            api_docs=absolute_url(reverse("api:openapi-view")),
            counter_url=absolute_url(reverse("embed_counter")),
            dataset_jsonld=self.jsonld(latest, page_url),
        )
        return context

    @staticmethod
    def jsonld(latest: dict | None, page_url: str) -> dict:
        data = {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "name": str(_("Registry of the people killed in Baku on 19–20 January 1990")),
            "description": str(
                _(
                    "The published records of the Black January Memorial: the people killed, wounded or missing when "
                    "Soviet troops entered Baku on 19–20 January 1990, with their name variants, dates, places and "
                    "sources, and the timeline of events."
                )
            ),  # fmt: skip
            "url": page_url,
            "license": settings.DATA_LICENCE_URL,
            "isAccessibleForFree": True,
            "creator": {"@type": "Organization", "name": str(settings.SITE_NAME), "url": absolute_url("/")},
            "inLanguage": [code for code, _name in settings.LANGUAGES],
            "temporalCoverage": "1990-01-19/1990-01-22",
            "spatialCoverage": {"@type": "Place", "name": "Baku, Azerbaijan"},
            "keywords": ["Black January", "Baku", "1990", "memorial", "victims"],
        }
        if latest:
            data["dateModified"] = latest["created"]
            data["distribution"] = [
                {
                    "@type": "DataDownload",
                    "encodingFormat": CONTENT_TYPES[file["format"]],
                    "contentUrl": file["url"],
                    "contentSize": str(file["size"]),
                    "sha256": file["sha256"],
                }  # fmt: skip
                for file in latest["files"]
            ]
        return data


@require_GET
def dataset_file(request, name: str):
    """A file of a kept release; ``latest.zip`` and ``latest.json`` redirect to the newest."""
    if name in ("latest.zip", "latest.json"):
        kept = releases()
        wanted = name.rsplit(".", 1)[1]
        for file in kept[0]["files"] if kept else []:
            if file["format"] == wanted:
                response = HttpResponseRedirect(reverse("dataset_file", kwargs={"name": file["name"]}))
                response["Cache-Control"] = "no-cache"
                return response
        raise Http404
    if not FILE_NAME.match(name) or (path := dataset_path(name)) is None:
        raise Http404
    extension = name.rsplit(".", 1)[1]
    response = FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=CONTENT_TYPES[extension])
    # A release's files never change: a new release has a new name.
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@permission_required("victims.export_registry")
@require_POST
def dataset_publish_view(request):
    """The staff button: write a new release of the public dataset now."""
    release = dataset_publish(force=True)
    count = release["people"]
    message = ngettext(
        "A new release of the public dataset was written: %(count)s published person.",
        "A new release of the public dataset was written: %(count)s published people.",
        count,
    )
    messages.success(request, message % {"count": count})
    return HttpResponseRedirect(reverse("staff:export"))
