"""The operations of the public API. Every read starts from ``published()``; the registry's own
filter form and paginator answer ``people``, the statistics page's charts answer ``statistics``."""

from __future__ import annotations

import math
import uuid
from functools import wraps

from django.conf import settings
from django.core.paginator import EmptyPage
from django.db.models import Exists, OuterRef, Prefetch
from django.http import Http404, HttpRequest, HttpResponsePermanentRedirect, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query
from ninja.errors import ValidationError
from ninja.openapi.docs import Swagger

from common.siteurl import absolute_url
from victims.api import records
from victims.api.http import api_language, error_response
from victims.api.schemas import (
    SLUG,
    ErrorOut,
    EventList,
    EventOne,
    LanguageQuery,
    PageQuery,
    PeopleList,
    PeopleQuery,
    PersonOne,
    PlaceList,
    SourceList,
    Statistics,
    Summary,
)
from victims.caching import cached_per_generation, registry_generation
from victims.filters import RegistryFilterForm
from victims.links import slug_url_maker
from victims.merging import moved_to
from victims.models import Citation, Event, Place, Source, Status, Victim
from victims.stats import registry_charts, registry_summary
from victims.views import RegistryPaginator

api = NinjaAPI(
    title="Black January Memorial API",
    version="1",
    description=(
        "Read-only access to the published records of the Black January Memorial registry: the people killed "
        "in Baku on 19–20 January 1990, the timeline of events, the sources and places. No key is needed. "
        'Answers are JSON, `{"data": ..., "meta": ...}`; texts come in the language of `lang` or '
        "`Accept-Language` (az, en, ru). Every answer has an ETag (send `If-None-Match`). Each address may make a "
        "limited number of requests a minute (`X-RateLimit-Limit`, `-Remaining`, `-Reset`; beyond it, 429 with "
        "`Retry-After`). Walk every published person with `cursor=start` and each answer's `meta.next`. "
        "Data licence: CC BY 4.0 unless the summary names another.\n\n"
        "Addresses never break: a person found twice is merged into one kept record, and a renamed person keeps "
        "every former slug. Such an address (slug or UUID) answers `308 Permanent Redirect` to the kept record's "
        "address, with the same query; clients that follow redirects need nothing else. The kept record lists in "
        "`merged_from` the UUIDs of the records merged into it (only those that were once published)."
    ),
    urls_namespace="api",
    docs=Swagger(settings={"validatorUrl": None, "defaultModelsExpandDepth": 0, "tryItOutEnabled": True}),
    docs_url="/docs",
    openapi_url="/openapi.json",
)

ERRORS = {400: ErrorOut, 404: ErrorOut, 429: ErrorOut}


def in_requested_language(run):
    """Every operation runs in the language the request asked for (``lang``, else ``Accept-Language``)."""

    @wraps(run)
    def wrapped(request, *args, **kwargs):
        with translation.override(api_language(request)):
            return run(request, *args, **kwargs)

    return wrapped


api.add_decorator(in_requested_language, mode="view")


@api.exception_handler(ValidationError)
def bad_parameters(request, exc: ValidationError):
    errors = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("query", "path")]
        errors.append({"parameter": ".".join(location), "message": str(error.get("msg", ""))})
    return error_response(400, errors)


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(404, [{"parameter": "", "message": str(_("No published record has this address."))}])


# --- Helpers ----------------------------------------------------------------------------------------


def link_with(request: HttpRequest, **changes) -> str:
    """This request's URL on the canonical origin with some parameters changed."""
    params = QueryDict(mutable=True)
    params.update(request.GET)
    for name, value in changes.items():
        params.pop(name, None)
        if value is not None:
            params[name] = str(value)
    query = params.urlencode()
    return absolute_url(request.path + (f"?{query}" if query else ""))


def paged(request, queryset, query: PageQuery, transform, *, paginator=None) -> dict:
    """One page of ``queryset`` in the envelope: ``data`` (each row through ``transform``) and ``meta``."""
    paginator = paginator or RegistryPaginator(queryset, query.limit)
    try:
        rows = list(paginator.page(query.page).object_list)
    except EmptyPage:
        rows = []
    total = paginator.count
    total_pages = math.ceil(total / query.limit) if total else 0
    return {
        "data": [transform(row) for row in rows],
        "meta": {
            "language": translation.get_language(),
            "page": query.page,
            "limit": query.limit,
            "total": total,
            "total_pages": total_pages,
            "next": link_with(request, page=query.page + 1) if query.page < total_pages else None,
            "next_cursor": None,
        },
    }


def item(data: dict) -> dict:
    return {"data": data, "meta": {"language": translation.get_language()}}


def error(parameter: str, message: str) -> dict:
    return {"parameter": parameter, "message": message}


# --- People ---------------------------------------------------------------------------------------


def _people_form(query: PeopleQuery) -> RegistryFilterForm:
    """The registry's own filter form, bound to the API's parameters (its names are the registry's)."""
    data = {
        name: getattr(value, "value", value)
        for name in ("q", "category", "gender", "age", "place", "died", "event", "source", "letter", "sort")
        if (value := getattr(query, name)) not in (None, "")
    }
    places = []
    if query.place:
        places = [(place.slug, place.name) for place in Place.objects.filter(slug=query.place).filter(
            Exists(Victim.objects.published().filter(place_of_death=OuterRef("pk"))))]  # fmt: skip
    return RegistryFilterForm(data, places=places)


@api.get("/people", response={200: PeopleList, **ERRORS}, url_name="people", tags=["people"])
def people(request, query: Query[PeopleQuery]):
    """Published people, filtered as in the registry; by page (``page``, ``limit``) or, to walk the
    whole set, by ``cursor``."""
    form = _people_form(query)
    if not form.is_valid():
        return error_response(400, [error(name, " ".join(messages)) for name, messages in form.errors.items()])
    queryset = form.apply(Victim.objects.published().for_summary())
    if query.died_from:
        queryset = queryset.filter(death_date__gte=query.died_from)
    if query.died_to:
        queryset = queryset.filter(death_date__lte=query.died_to)
    page_url = slug_url_maker("victims:victim_detail")

    def summary(victim):
        return records.person_summary(victim, page_url)

    if query.cursor:
        return _people_by_cursor(request, queryset, query, summary)
    paginator = RegistryPaginator(queryset, query.limit, count_with_first_page=bool(form.query))
    return paged(request, queryset, query, summary, paginator=paginator)


def _people_by_cursor(request, queryset, query: PeopleQuery, summary) -> dict:
    total = RegistryPaginator(queryset, query.limit).count
    walk = queryset.order_by("uuid")
    if query.cursor != "start":
        walk = walk.filter(uuid__gt=uuid.UUID(query.cursor))
    rows = list(walk[: query.limit + 1])
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    next_cursor = str(rows[-1].uuid) if more else None
    return {
        "data": [summary(row) for row in rows],
        "meta": {
            "language": translation.get_language(),
            "page": None,
            "limit": query.limit,
            "total": total,
            "total_pages": math.ceil(total / query.limit) if total else 0,
            "next": link_with(request, cursor=next_cursor, page=None) if next_cursor else None,
            "next_cursor": next_cursor,
        },
    }


def _published_person(key: str) -> Victim | None:
    people = Victim.objects.published().for_detail().prefetch_related(
        Prefetch(
            "merged_from",
            # Only records that were public once: a draft merged away never had an address to follow.
            queryset=Victim.objects.filter(status=Status.MERGED, published_at__isnull=False).only("uuid", "merged_into")
            .order_by("uuid"),
            to_attr="public_merged_from",
        )
    )  # fmt: skip
    try:
        return people.filter(uuid=uuid.UUID(key)).first()
    except ValueError:
        return people.filter(slug=key).first()


class PermanentRedirect(HttpResponsePermanentRedirect):
    """308: permanent, and the method and query kept (301 lets a client change a HEAD or a future
    method into GET; an API's clients read the status, so the precise one is given)."""

    status_code = 308


@api.get(
    "/people/{key}", response={200: PersonOne, **ERRORS}, url_name="person", tags=["people"],
    openapi_extra={"responses": {"308": {"description": "This address names a record merged into another, or a "
                                         "former slug: the Location header gives the kept record's address."}}},
)  # fmt: skip
def person(request, key: str, query: Query[LanguageQuery]):
    """One published person, by slug or UUID: names and variants, dates with their precision, places,
    texts in the requested language, citations with their sources, events, photos, and ``merged_from``.
    A merged person's or a former slug's address answers 308 to the kept record's."""
    if len(key) > 200 or not _is_slug(key):
        raise Http404
    victim = _published_person(key)
    if victim is None:
        try:
            target = moved_to(uuid=uuid.UUID(key))
        except ValueError:
            target = moved_to(slug=key)
        if target is None:
            raise Http404
        query_string = request.META.get("QUERY_STRING", "")
        location = records.api_url("person", key=target.slug) + (f"?{query_string}" if query_string else "")
        return PermanentRedirect(location)
    return item(records.person_detail(victim))


def _is_slug(value: str) -> bool:
    import re

    return re.fullmatch(SLUG, value) is not None


# --- Events, sources, places ---------------------------------------------------------------------------


@api.get("/events", response={200: EventList, **ERRORS}, url_name="events", tags=["events"])
def events(request, query: Query[PageQuery]):
    """The published timeline, in order."""
    return paged(request, Event.objects.published().for_timeline(), query, records.event_summary)


@api.get("/events/{slug}", response={200: EventOne, **ERRORS}, url_name="event", tags=["events"])
def event(request, slug: str, query: Query[LanguageQuery]):
    """One published event, with its sources and how many published people it names."""
    if len(slug) > 200 or not _is_slug(slug):
        raise Http404
    record = get_object_or_404(
        Event.objects.published()
        .select_related("place")
        .prefetch_related(Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("id"))),
        slug=slug,
    )
    people = record.victims.published()
    data = records.event_summary(record) | {
        "description": records.text(record, "description"),
        "citations": [records.citation(c) for c in record.citations.all()],
        "people_count": cached_per_generation(f"event-people:{record.pk}", people.count),
        "people_api_url": absolute_url(reverse("api:people") + f"?event={record.slug}"),
    }
    return item(data)


@api.get("/sources", response={200: SourceList, **ERRORS}, url_name="sources", tags=["sources"])
def sources(request, query: Query[PageQuery]):
    """The bibliography, each source with how many published people and events cite it."""
    people_url = absolute_url(reverse("api:people"))

    def row(source: Source) -> dict:
        return records.source_ref(source) | {
            "people_count": source.victim_count,
            "events_count": source.event_count,
            "people_api_url": f"{people_url}?source={source.key}",
        }

    queryset = Source.objects.with_public_citation_counts().order_by("kind", "title", "id")
    return paged(request, queryset, query, row)


@api.get("/places", response={200: PlaceList, **ERRORS}, url_name="places", tags=["places"])
def places(request, query: Query[PageQuery]):
    """Places that published people or events refer to."""
    queryset = Place.objects.public().select_related("parent").order_by("name", "id")
    return paged(request, queryset, query, records.place_row)


# --- Figures -------------------------------------------------------------------------------------------


@api.get("/statistics", response={200: Statistics, **ERRORS}, url_name="statistics", tags=["figures"])
def statistics(request, query: Query[LanguageQuery]):
    """The statistics page's counts of published people (by category, age, gender, date and place of death)."""
    charts = [
        {
            "slug": chart.slug,
            "title": chart.title,
            "total": chart.total,
            "bars": [{"key": bar.key, "label": bar.label, "count": bar.count} for bar in chart.bars],
        }
        for chart in registry_charts()
    ]
    return item(charts)


@api.get("/summary", response={200: Summary, **ERRORS}, url_name="summary", tags=["figures"])
def summary(request, query: Query[LanguageQuery]):
    """How many published records there are, when they last changed, the generation and the licence."""
    data = registry_summary() | {
        "generation": registry_generation(),
        "licence": {
            "name": settings.DATA_LICENCE_NAME,
            "title": settings.DATA_LICENCE_TITLE,
            "url": settings.DATA_LICENCE_URL,
        },
        "links": {
            "docs": absolute_url(reverse("api:openapi-view")),
            "openapi": absolute_url(reverse("api:openapi-json")),
            "people": absolute_url(reverse("api:people")),
        },
    }
    return item(data)
