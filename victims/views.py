"""Public pages of the registry. Only published records are ever shown.

Every page runs a small, fixed number of queries whatever the size of the registry, and answers
conditional GETs with an ETag keyed on the registry's generation (victims.caching).
"""

from __future__ import annotations

import functools
import hashlib
from contextlib import contextmanager
from itertools import groupby

from django.contrib.postgres.search import TrigramWordSimilarity
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Prefetch, QuerySet, Subquery, Window, prefetch_related_objects
from django.db.models.functions import Coalesce, DenseRank
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView, TemplateView

from common.january1990 import FIRST_DAY, LAST_DAY
from common.partialdates import Precision, iso_partial_date
from common.siteurl import absolute_url
from common.translation_fallback import translated
from victims.caching import cached_per_generation, public_page, public_page_method
from victims.citing import record_citations
from victims.embeds import oembed_link
from victims.filters import RegistryFilterForm
from victims.merging import moved_to
from victims.models import Citation, Event, Place, Source, SourceKind, Victim
from victims.normalize import AZ_ALPHABET, search_key
from victims.pagedata import as_card_rows, person_page, timeline_events
from victims.querysets import unestimated_search
from victims.stats import registry_charts

SUGGESTION_THRESHOLD = 0.3  # well below pg_trgm's default 0.6: near names, not matches
# The similarities down to which a one-word search's nearest matches are read first, nearest
# first, before all matches (RegistryPaginator._nearest_page).
NEAR_FIRST = (0.8, 0.7)


@contextmanager
def word_similarity_threshold(threshold: float):
    """pg_trgm's word similarity threshold for the one statement run inside, never after it.

    The setting is ``SET LOCAL``: it ends with its transaction, so nothing is left behind on a
    persistent connection or in a longer transaction (ATOMIC_REQUESTS, tests), and its old value is
    never read, which PostgreSQL refuses ("unrecognized configuration parameter") until pg_trgm is
    loaded in the session. Outside a transaction (a request as deployed) the setting goes in the
    statement's own round trip, ``SET LOCAL …; SELECT …``: one query of two statements runs as one
    transaction of its own, which ends when it has answered (one round trip instead of four:
    ``BEGIN``, the setting, the statement, ``ROLLBACK``). In a transaction (tests, a caller's
    ``atomic``) it goes in a savepoint rolled back after the statement.
    """
    if connection.in_atomic_block or not connection.get_autocommit():
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = %s", [threshold])
            yield
            transaction.set_rollback(True)
        return
    sent = False

    def with_the_setting(execute, sql, params, many, context):
        nonlocal sent
        if sent or many:
            return execute(sql, params, many, context)
        sent = True
        setting = "SET LOCAL pg_trgm.word_similarity_threshold = %s; "
        return execute(setting + sql, [threshold, *(params or ())], many, context)

    with connection.execute_wrapper(with_the_setting):
        yield


def nearest_names(query: str, limit: int = 5) -> list[Victim]:
    """Published people whose names come closest to ``query``, for a search that found nobody."""
    key = search_key(query)
    if not key:
        return []
    with word_similarity_threshold(SUGGESTION_THRESHOLD):  # the low threshold for this statement only
        people = list(
            Victim.objects.published()
            .filter(search_document__trigram_word_similar=key)
            .annotate(similarity=TrigramWordSimilarity(key, "search_document"))
            .order_by("-similarity", "family_name", "given_name", "id")[:limit]
        )
    return people


@functools.cache
def registry_people():
    """``Victim.objects.published().for_list()``, built once per process (building it was 0.2 ms of
    every registry page): each request filters a clone of it, nobody evaluates it. It holds no value
    of a request or a language (the card's columns are not translated ones)."""
    return Victim.objects.published().for_list()


def death_place_choices() -> list[tuple[str, str]]:
    """The place filter's choices, (slug, name in the active language) of every place where a
    published person died, by name: kept per registry generation, so that a change shows at once."""

    def choices() -> list[tuple[str, str]]:
        # EXISTS is answered by the foreign-key index per place; a DISTINCT over the join read every person.
        died_here = Victim.objects.published().filter(place_of_death=OuterRef("pk"))
        return [(place.slug, place.name) for place in Place.objects.filter(Exists(died_here)).order_by("name")]

    return cached_per_generation("death-places", choices)


class RegistryPaginator(Paginator):
    """The registry's pages: counts kept per registry generation, a search's first page and its
    count from one query, and deep pages through their ids.

    - A count is kept per registry generation and query (counting 100,000 people takes 5 ms).
    - A search scores and sorts every match anyway: its first page carries the number of matches
      as a window count, instead of a second pass over the matches (a common family name at
      100,000 people: 24 ms for the count, 33 ms for the page).
    - ``OFFSET n`` over full rows fetches and drops n rows (150 ms for the last page of 100,000
      people); pages past the first read their rows' ids by an index-only scan first (16 ms).
    """

    def __init__(
        self, *args, count_with_first_page: bool = False, near_first: tuple[float, ...] = (), count_key: str = "",
        **kwargs,
    ):  # fmt: skip
        super().__init__(*args, **kwargs)
        # What the count is kept under: by default the query's SQL; a caller that knows what decides the
        # rows says so more cheaply (compiling the query for its key cost as much as running it).
        self.count_key = count_key
        self.count_with_first_page = count_with_first_page
        self.near_first = near_first
        # True when ``count`` counts only the nearest matches (see _nearest_page): there may be more.
        self.count_is_lower_bound = False
        self._wanted = None
        self._first_rows: list | None = None
        self._page_rows: list | None = None

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        for threshold in self.near_first if self._wanted else ():
            if (nearest := self._nearest_page(threshold)) is not None:
                return nearest
        if self.count_key:
            return cached_per_generation("count:" + self.count_key, self._count_uncached)
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # .none(): a search with nothing to search for
            return 0
        key = "count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
        return cached_per_generation(key, self._count_uncached)

    def _nearest_page(self, threshold: float) -> int | None:
        """The wanted page from the nearest matches only, when they fill it and more of them follow.

        Results are ordered by similarity first, so every match of similarity ``threshold`` or more
        comes before every other: while the wanted page lies inside them, it is the same page as
        from all matches. A family name alone matches up to 1,500 people at 100,000, each scored
        (40 ms of SQL); at 0.8, about a hundred (5 ms). Returns how many such matches there are (a
        lower bound of the count), or None when they do not reach past the page.
        """
        bottom = (self._wanted - 1) * self.per_page
        top = bottom + self.per_page
        if bottom < 0:
            return None
        with word_similarity_threshold(threshold):
            queryset = unestimated_search(self.object_list).annotate(matches_in_all=Window(Count("pk")))
            rows = list(queryset.prefetch_related(None)[bottom:top])
        nearest = rows[0].matches_in_all if rows else 0
        if nearest <= top + self.orphans:  # the page is not inside the nearest matches: read them all
            return None
        prefetch_related_objects(rows, *queryset._prefetch_related_lookups)  # the photos, for this page only
        self._page_rows = rows
        self.count_is_lower_bound = True
        return nearest

    def _count_uncached(self) -> int:
        queryset = self.object_list
        if not (self.count_with_first_page and self._wanted == 1):
            return queryset.count()
        # Every match is read and scored for the window count: no estimate of them is needed.
        queryset = unestimated_search(queryset).annotate(matches_in_all=Window(Count("pk")))
        rows = list(queryset[: self.per_page + self.orphans])
        self._first_rows = rows
        return rows[0].matches_in_all if rows else 0

    def page(self, number):
        try:
            self._wanted = int(number)
        except (TypeError, ValueError):
            self._wanted = None
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self._page_rows is not None:
            return self._get_page(self._page_rows, number, self)
        if number == 1 and self._first_rows is not None:
            return self._get_page(self._first_rows[:top], number, self)
        queryset = self.object_list
        if bottom and isinstance(queryset, QuerySet):
            rows = queryset.filter(pk__in=Subquery(queryset.values("pk")[bottom:top]))
            return self._get_page(rows, number, self)
        if isinstance(queryset, QuerySet):  # the first page, its count known
            return self._get_page(unestimated_search(queryset)[bottom:top], number, self)
        return super().page(number)


@public_page_method
class VictimListView(ListView):
    """The wall of names: search, filters, sorting, the alphabet and pages, all in the URL."""

    template_name = "victims/victim_list.html"
    context_object_name = "victims"
    paginate_by = 60
    paginator_class = RegistryPaginator

    def get_paginator(self, queryset, per_page, orphans=0, allow_empty_first_page=True, **kwargs):
        form = self.get_form()
        # A single word (a family name alone) matches thousands of near names: ranked by similarity,
        # the nearest fill the first pages on their own (RegistryPaginator._nearest_page).
        single_word = bool(form.query) and len(search_key(form.query).split()) == 1
        # The rows are decided by the form's values alone: they are the count's key.
        filters = hashlib.sha256(repr(sorted(form.valid_data.items())).encode()).hexdigest()
        return super().get_paginator(
            queryset, per_page, orphans, allow_empty_first_page, count_with_first_page=bool(form.query),
            near_first=NEAR_FIRST if single_word and not form.valid_data.get("sort") else (),
            count_key=f"registry:{filters}",
        )  # fmt: skip

    def get_form(self) -> RegistryFilterForm:
        if not hasattr(self, "_form"):
            self._form = RegistryFilterForm(self.request.GET or None, places=death_place_choices())
        return self._form

    def get_queryset(self):
        # The people as plain rows (victims.pagedata.CardRowIterable): the ORM writes the SQL, no model instances.
        return as_card_rows(self.get_form().apply(registry_people().all()))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = self.get_form()
        paginator, page = context["paginator"], context["page_obj"]
        total = paginator.count
        context.update(
            form=form,
            query=form.query,
            is_filtered=form.is_filtered,
            result_count=total,
            result_count_is_lower_bound=paginator.count_is_lower_bound,
            page_range=list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)),
            alphabet=AZ_ALPHABET,
            current_letter=form.valid_data.get("letter", ""),
            suggestions=nearest_names(form.query) if form.query and total == 0 else [],
        )
        return context


@public_page_method
class VictimDetailView(DetailView):
    template_name = "victims/victim_detail.html"
    context_object_name = "victim"

    def get_object(self, queryset=None):
        # One statement, plain rows (victims.pagedata): the ORM cost more than the SQL here.
        person = person_page(self.kwargs["slug"])
        if person is None:
            raise Http404
        return person

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except Http404:
            target = moved_to(slug=kwargs["slug"])
            if target is None:
                raise
            return HttpResponsePermanentRedirect(target.get_absolute_url())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        victim = self.object
        photos = list(victim.photos.all())
        url = absolute_url(victim.get_absolute_url())
        context.update(
            photos=photos,
            primary_photo=photos[0] if photos else None,
            canonical_url=url,
            oembed_url=oembed_link(url),
            cite=record_citations(victim, url),
            person_jsonld=self.person_jsonld(victim, photos),
            fallback_note=fallback_note([victim], ("occupation", "circumstances", "biography")),
            og_image=absolute_url(image) if (image := self.photo_url(photos, "jpeg")) else "",
        )
        return context

    @staticmethod
    def photo_url(photos, fmt: str) -> str:
        return photos[0].rendition_url("full", fmt) if photos else ""

    def person_jsonld(self, victim, photos) -> dict:
        data: dict = {
            "@context": "https://schema.org",
            "@type": "Person",
            "name": str(victim),
            "url": absolute_url(victim.get_absolute_url()),
        }
        if victim.given_name:
            data["givenName"] = victim.given_name
        if victim.family_name:
            data["familyName"] = victim.family_name
        variants = [variant.name for variant in victim.variants.all()]
        if variants:
            data["alternateName"] = variants
        if victim.birth_date:
            data["birthDate"] = iso_partial_date(victim.birth_date, victim.birth_precision)
        if victim.death_date:
            data["deathDate"] = iso_partial_date(victim.death_date, victim.death_precision)
        if victim.place_of_birth:
            data["birthPlace"] = {"@type": "Place", "name": victim.place_of_birth.name}
        if victim.place_of_death:
            data["deathPlace"] = {"@type": "Place", "name": victim.place_of_death.name}
        occupation = translated(victim, "occupation")
        if occupation:
            data["hasOccupation"] = {"@type": "Occupation", "name": occupation.text}
        image = self.photo_url(photos, "jpeg")
        if image:
            data["image"] = absolute_url(image)
        return data


def timeline_sections(events: list[Event]) -> list[dict]:
    """Events grouped by year; within 19–22 January 1990, by day (each with its times)."""
    years = []
    for year, year_events in groupby(events, key=lambda event: event.start_date.year):
        sections: list[dict] = []
        for event in year_events:
            night = event.start_precision == Precision.DAY and FIRST_DAY <= event.start_date <= LAST_DAY
            day = event.start_date if night else None
            if sections and sections[-1]["day"] == day:
                sections[-1]["events"].append(event)
            else:
                sections.append({"day": day, "events": [event]})
        years.append({"year": year, "sections": sections})
    return years


def fallback_note(records, fields) -> str:
    """One note for a list whose texts are partly shown in another language ("" when none is)."""
    notes = {translated(record, name).note for record in records for name in fields} - {""}
    if len(notes) == 1:
        return notes.pop()
    if notes:
        return str(_("Some entries are not yet translated; they are shown in the language they were written in."))
    return ""


@public_page_method
class EventListView(ListView):
    template_name = "victims/event_list.html"
    context_object_name = "events"

    def get_queryset(self):
        # ``Event.objects.published().for_timeline()`` as plain rows of the columns the page shows
        # (victims.pagedata): building the model instances cost more than the statement.
        return timeline_events()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = list(context["events"])
        context["years"] = timeline_sections(events)
        context["fallback_note"] = fallback_note(events, ("title", "summary"))
        return context


@public_page_method
class EventDetailView(DetailView):
    template_name = "victims/event_detail.html"
    context_object_name = "event"
    people_shown = 60  # the rest are one link away, in the registry filtered by this event

    def get_queryset(self):
        return (
            Event.objects.published()
            .select_related("place")
            .prefetch_related(
                Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("id")),
            )
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        event = self.object
        people = as_card_rows(event.victims.published().for_list().order_by("family_name", "given_name", "id"))
        context.update(
            canonical_url=absolute_url(event.get_absolute_url()),
            people=list(people[: self.people_shown]),
            people_count=cached_per_generation(f"event-people:{event.pk}", people.count),
        )
        events = list(
            Event.objects.published()
            .order_by("start_date", "start_time", "id")
            .only("id", "slug", "start_date", "start_time", "title_az", "title_en", "title_ru", "original_language")
        )
        index = next((i for i, other in enumerate(events) if other.pk == event.pk), None)
        if index is not None:
            context["previous_event"] = events[index - 1] if index > 0 else None
            context["next_event"] = events[index + 1] if index + 1 < len(events) else None
        return context


@public_page_method
class SourceListView(ListView):
    """The bibliography by kind, each source with how many published records cite it, the first
    people and every event that do, and a link to all the people in the registry filtered by it."""

    template_name = "victims/source_list.html"
    context_object_name = "sources"
    people_shown = 20  # per source; the rest are one link away (the registry filtered by source)

    def get_queryset(self):
        def citing(**published):
            return Citation.objects.filter(source=OuterRef("pk"), **published).order_by().values("source")

        people = citing(victim__status="published").annotate(n=Count("victim", distinct=True)).values("n")
        events = citing(event__status="published").annotate(n=Count("event", distinct=True)).values("n")
        return Source.objects.order_by("kind", "title").annotate(
            people_count=Coalesce(Subquery(people), 0),
            events_count=Coalesce(Subquery(events), 0),
        )

    def first_people(self, source_ids: list[int]) -> dict[int, list[Victim]]:
        """The first people (by name) citing each source, in one query whatever their number."""
        rank = Window(
            DenseRank(),
            partition_by=[F("source_id")],
            order_by=[F("victim__family_name").asc(), F("victim__given_name").asc(), F("victim_id").asc()],
        )
        citations = (
            Citation.objects.filter(source_id__in=source_ids, victim__status="published")
            .annotate(rank=rank)
            .filter(rank__lte=self.people_shown)
            .select_related("victim")
            .order_by("source_id", "rank")
        )
        people: dict[int, dict[int, Victim]] = {}
        for citation in citations:  # a person citing a source twice shares one rank: shown once
            people.setdefault(citation.source_id, {}).setdefault(citation.victim_id, citation.victim)
        return {source_id: list(by_id.values()) for source_id, by_id in people.items()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["groups"] = cached_per_generation("sources", lambda: self.groups(context["sources"]))
        context["listed_sources"] = [source for group in context["groups"] for source in group["sources"]]
        return context

    def groups(self, sources) -> list[dict]:
        sources = list(sources)
        people = self.first_people([source.pk for source in sources if source.people_count])
        cited_events: dict[int, dict[int, Event]] = {}
        if any(source.events_count for source in sources):
            citations = (
                Citation.objects.filter(source__in=sources, event__status="published")
                .select_related("event")
                .order_by("event__start_date", "event__start_time", "event_id")
            )
            for citation in citations:
                cited_events.setdefault(citation.source_id, {}).setdefault(citation.event_id, citation.event)
        labels = dict(SourceKind.choices)
        groups = []
        for kind, group in groupby(sources, key=lambda source: source.kind):
            group = list(group)
            for source in group:
                source.cited_victims = people.get(source.pk, [])
                source.cited_events = list(cited_events.get(source.pk, {}).values())
                source.cited_count = source.people_count + source.events_count
                source.more_people = source.people_count > len(source.cited_victims)
            groups.append({"kind": kind, "label": labels.get(kind, kind), "sources": group})
        return groups


@public_page_method
class StatisticsView(TemplateView):
    template_name = "victims/statistics.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        charts = registry_charts()
        context.update(charts=charts, total=charts[0].total)
        return context


@require_safe
@public_page
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /i18n/",
        f"Sitemap: {absolute_url('/sitemap.xml')}",
        "",
    ]
    return HttpResponse("\n".join(lines), content_type="text/plain; charset=utf-8")
