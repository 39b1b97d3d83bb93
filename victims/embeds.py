"""What other sites may embed: a person's card (also through oEmbed) and the memorial counter.

These are the only pages that may be framed by another site (``frame-ancestors *``); every other
page keeps ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``. Absolute URLs come from
``SITE_URL``, so a cached card or oEmbed answer never carries a visitor's Host header.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.csp import CSP, build_policy
from django.utils.html import escape
from django.utils.translation import get_language_from_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.generic import DetailView, TemplateView

from common.siteurl import absolute_url
from victims.caching import public_page, public_page_method
from victims.models import Victim
from victims.stats import registry_summary

CARD_WIDTH, CARD_HEIGHT = 420, 200


def embed_policy() -> str:
    """The site's policy, with any site allowed to frame the page (and no nonce: nothing inline)."""
    config = {
        directive: [value for value in values if value != CSP.NONCE] if isinstance(values, list) else values
        for directive, values in settings.SECURE_CSP.items()
    }
    config["frame-ancestors"] = ["*"]
    return build_policy(config)


def frameable(view):
    """Let any site frame the page: its own CSP (kept with the page in the page cache) and no
    X-Frame-Options."""

    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response[str(CSP.HEADER_ENFORCE)] = embed_policy()
        response.xframe_options_exempt = True
        return response

    wrapped.__name__ = getattr(view, "__name__", "frameable")
    return wrapped


class PersonCardView(DetailView):
    """A published person's card: name, dates, photo, a link to the page."""

    template_name = "embed/person.html"
    context_object_name = "victim"

    def get_queryset(self):
        return Victim.objects.published().for_summary()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        photos = self.object.primary_photos
        context.update(photo=photos[0] if photos else None, page_url=absolute_url(self.object.get_absolute_url()))
        return context


class CounterView(TemplateView):
    """How many people the registry records: a small counter other memorial sites may show."""

    template_name = "embed/counter.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(summary=registry_summary(), registry_url=absolute_url(reverse("victims:victim_list")))
        return context


person_card = frameable(public_page_method(PersonCardView).as_view())
counter = frameable(public_page_method(CounterView).as_view())


def _oembed_error(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _person_for(url: str) -> tuple[Victim, str]:
    """The published person whose page ``url`` is (on this site's canonical origin), and its language."""
    origin = settings.SITE_URL.rstrip("/")
    if not url.startswith(origin + "/") or "\x00" in url:
        raise Http404
    path = urlsplit(url).path
    language = get_language_from_path(path)
    if not language:
        raise Http404
    with translation.override(language):
        try:
            match = resolve(path)
        except Resolver404:
            raise Http404 from None
    if match.view_name != "victims:victim_detail":
        raise Http404
    return get_object_or_404(Victim.objects.published().for_list(), slug=match.kwargs["slug"]), language


def _bounded(value: str, default: int) -> int:
    try:
        return max(120, min(default, int(value)))
    except ValueError:
        return default


@require_GET
@public_page
def oembed(request):
    """oEmbed (https://oembed.com/) for person pages: a ``rich`` card in an iframe."""
    url = request.GET.get("url", "")
    if not url:
        return _oembed_error(400, "The url parameter is required.")
    if request.GET.get("format", "json") != "json":
        return _oembed_error(501, "Only the json format is offered.")
    try:
        victim, language = _person_for(url[:2000])
    except Http404:
        return _oembed_error(404, "No published person has this address.")
    width = _bounded(request.GET.get("maxwidth", ""), CARD_WIDTH)
    height = _bounded(request.GET.get("maxheight", ""), CARD_HEIGHT)
    with translation.override(language):
        card = absolute_url(reverse("embed_person", kwargs={"slug": victim.slug}))
        title = str(victim)
        frame_title = _("%(name)s, Black January Memorial") % {"name": title}
    html = (
        f'<iframe src="{card}" width="{width}" height="{height}" title="{escape(frame_title)}" '
        f'loading="lazy" referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    )
    data = {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "provider_name": str(settings.SITE_NAME),
        "provider_url": absolute_url("/"),
        "html": html,
        "width": width,
        "height": height,
        "cache_age": settings.API_CACHE_SECONDS,
    }
    photos = victim.primary_photos
    if photos and (thumb := photos[0].renditions.get("thumb", {})).get("jpeg"):
        data.update(
            thumbnail_url=absolute_url(photos[0].rendition_url("thumb", "jpeg")),
            thumbnail_width=thumb.get("width"),
            thumbnail_height=thumb.get("height"),
        )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def oembed_link(page_url: str) -> str:
    """The oEmbed address of a page (for ``<link rel="alternate" type="application/json+oembed">``)."""
    return absolute_url(reverse("oembed")) + "?" + urlencode({"url": page_url, "format": "json"})
