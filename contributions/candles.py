"""Candles: one click on a person page lights one (one per person, browser and day); the page
shows "N candles". The count is served here, outside the cached person page, which stays the same
bytes for everybody: a small script on the page asks this endpoint and posts to it. The browser is
known by a cookie that only this endpoint sees (its path is /candles/)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt

from contributions import ratelimit
from contributions.models import Candle
from victims.models import Victim

COOKIE = "memorial_candle"


def candle_light(*, victim: Victim, browser: uuid.UUID) -> bool:
    """Light today's candle of ``browser`` for ``victim``; False if it was already lit today."""
    try:
        with transaction.atomic():
            Candle.objects.create(victim=victim, browser=browser, day=timezone.localdate())
    except IntegrityError:
        return False
    return True


def _browser(request) -> uuid.UUID | None:
    try:
        return uuid.UUID(request.COOKIES.get(COOKIE, ""))
    except ValueError:
        return None


def _same_origin(request) -> bool:
    """A candle is lit from the site's own page only (no CSRF token on the cached page)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is not None and origin == settings.SITE_URL


def candle_count(*, victim: Victim, browser: uuid.UUID | None) -> tuple[int, bool]:
    """How many candles burn for ``victim``, and whether ``browser`` lit one today (one query)."""
    counted = {"count": Count("pk")}
    if browser:
        counted["lit"] = Count("pk", filter=Q(browser=browser, day=timezone.localdate()))
    counts = Candle.objects.filter(victim=victim).aggregate(**counted)
    return counts["count"], counts.get("lit", 0) > 0


@csrf_exempt  # the page is the same for everybody; a same-origin check and a per-browser limit instead
def candles(request, person: uuid.UUID):
    """GET: {"count", "text", "lit"}; POST: light today's candle and answer the same. A person who is
    not published (draft, withdrawn, merged) has no candles: 404."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    victim = get_object_or_404(Victim.objects.published().only("pk"), uuid=person)
    language = request.GET.get("lang", "")
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    browser = _browser(request)
    with translation.override(language):
        if request.method == "POST":
            if not _same_origin(request):
                raise Http404
            if ratelimit.over_limit(request, scope="candle", limit=settings.CANDLES_PER_HOUR):
                message = _("Many candles were lit from your connection in the last hour. Please try again later.")
                response = JsonResponse({"error": message}, status=429)
                response["Cache-Control"] = "no-store"
                return response
            browser = browser or uuid.uuid4()
            candle_light(victim=victim, browser=browser)
        count, lit = candle_count(victim=victim, browser=browser)
        text = ngettext("%(n)d candle", "%(n)d candles", count) % {"n": count}
    response = JsonResponse({"count": count, "text": text, "lit": lit})
    response["Cache-Control"] = "no-store"
    if request.method == "POST":
        response.set_cookie(
            COOKIE, str(browser), max_age=365 * 24 * 3600, path="/candles/", httponly=True, samesite="Strict",
            secure=settings.SESSION_COOKIE_SECURE,
        )  # fmt: skip
    return response
