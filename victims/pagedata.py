"""What the person page and the home page show, read as plain data in one SQL statement each.

A person page read through the ORM took six queries (the person with three places, then the
variants, photos, citations with their sources and events by prefetching), and the ORM's own work
(compiling the SQL, building model instances of up to 73 columns, the prefetch machinery) cost
more than PostgreSQL's. Here the person's row and its places come with the variants, published
photos, citations and published events as JSON aggregates of the columns the page shows, in one
statement written once per process. The rows are plain objects that borrow the models' own
methods (``__str__``, ``get_absolute_url``, the date displays, the translated place name), so the
templates and tags read them exactly as they read model instances.

The publication rules are the querysets' (``published()`` people and events, ``published()``
photos); tests/test_pagedata.py compares every page with the ORM's reading of the same data.
"""

from __future__ import annotations

import datetime
import json
from functools import cache

from django.conf import settings
from django.db import connections, router
from django.db.models.query import BaseIterable
from django.utils.encoding import force_str
from django.utils.functional import cached_property

from common import prepared
from victims.models import Citation, Event, NameVariant, Photo, Place, Reliability, Source, Status, Victim
from victims.querysets import PRIMARY_PHOTO_IN_ROW, VictimQuerySet


class Row:
    """A record's columns as attributes (read only by the templates, never saved)."""

    def __init__(self, **values):
        self.__dict__.update(values)


class RowList(list):
    """A prefetched relation as the templates read it (``victim.variants.all``)."""

    def all(self) -> RowList:
        return self


class PlaceRow(Row):
    __str__ = Place.__str__

    @property
    def name(self) -> str:
        # modeltranslation's own descriptor: the active language, then its fallback languages.
        return Place.name.__get__(self, Place)


class SourceRow(Row):
    __str__ = Source.__str__
    get_absolute_url = Source.get_absolute_url

    def get_reliability_display(self) -> str:
        return force_str(_RELIABILITY.get(self.reliability, self.reliability), strings_only=True)


_RELIABILITY = dict(Reliability.choices)


class CitationRow(Row):
    __str__ = Citation.__str__


class PhotoRow(Row):
    __str__ = Photo.__str__
    rendition_url = Photo.rendition_url


class EventRow(Row):
    __str__ = Event.__str__
    get_absolute_url = Event.get_absolute_url
    start_display = Event.start_display


class VariantRow(Row):
    __str__ = NameVariant.__str__


class PersonRow(Row):
    """A published person as the person page shows it."""

    __str__ = Victim.__str__
    composed_name = Victim.composed_name
    get_absolute_url = Victim.get_absolute_url
    category_label = Victim.category_label
    # The page shows each date up to four times (title, description, header, facts): formatted once.
    birth_display = cached_property(Victim.birth_display.fget)
    death_display = cached_property(Victim.death_display.fget)
    is_public = Victim.is_public


def _table(model) -> str:
    return model._meta.db_table


LANGUAGES = tuple(settings.MODELTRANSLATION_LANGUAGES)


def localized(*fields: str) -> tuple[str, ...]:
    """The columns of translated fields in every language: ``title_az``, ``title_en``, …"""
    return tuple(f"{field}_{code}" for field in fields for code in LANGUAGES)


# The columns each part of the page reads (templates/victims/victim_detail.html, the view's JSON-LD,
# victims.citing). A column added to the page must be added here: the row has no other attribute.
PERSON_COLUMNS = (
    "id", "uuid", "slug", "status", "family_name", "given_name", "patronymic", "display_name", "gender", "category",
    "birth_date", "birth_precision", "death_date", "death_precision", "death_time", "age", "nationality",
    "original_language", "updated_at", *localized("circumstances", "occupation", "biography"),
)  # fmt: skip
PLACE_COLUMNS = ("id", "slug", *localized("name"))
PLACES = ("place_of_birth", "place_of_death", "burial_place")
VARIANT_COLUMNS = ("name", "script")
PHOTO_COLUMNS = ("id", "uuid", "is_primary", "renditions", "credit", "licence", *localized("alt_text", "caption"))
CITATION_COLUMNS = ("locator", "supports")
SOURCE_COLUMNS = ("key", "title", "year", "reliability")
EVENT_COLUMNS = ("slug", "start_date", "start_precision", "original_language", *localized("title"))


def json_array(alias: str, columns: tuple[str, ...]) -> str:
    return "json_build_array(" + ", ".join(f"{alias}.{column}" for column in columns) + ")"


@cache
def person_sql() -> str:
    """The person page's one statement (written once per process; only the values are parameters).

    The orders are the querysets': variants by ``NameVariant.Meta.ordering``, photos primary first
    then by id, citations by id, events by start (id breaks ties, as on the timeline)."""
    columns = [f"v.{column}" for column in PERSON_COLUMNS]
    joins = []
    for n, name in enumerate(PLACES):
        columns.append(f"{json_array(f'p{n}', PLACE_COLUMNS)} AS {name}")
        joins.append(f"LEFT JOIN {_table(Place)} p{n} ON p{n}.id = v.{name}_id")
    citation = (
        "json_build_array("
        + ", ".join([*(f"c.{c}" for c in CITATION_COLUMNS), *(f"s.{c}" for c in SOURCE_COLUMNS)])
        + ")"
    )
    people_events = Event.victims.through._meta.db_table
    return f"""SELECT {", ".join(columns)},
  (SELECT json_agg({json_array("nv", VARIANT_COLUMNS)} ORDER BY nv.kind, nv.name)
     FROM {_table(NameVariant)} nv WHERE nv.victim_id = v.id) AS variants,
  (SELECT json_agg({json_array("ph", PHOTO_COLUMNS)} ORDER BY ph.is_primary DESC, ph.id)
     FROM {_table(Photo)} ph WHERE ph.victim_id = v.id AND ph.is_published) AS photos,
  (SELECT json_agg({citation} ORDER BY c.id)
     FROM {_table(Citation)} c JOIN {_table(Source)} s ON s.id = c.source_id WHERE c.victim_id = v.id) AS citations,
  (SELECT json_agg({json_array("e", EVENT_COLUMNS)} ORDER BY e.start_date, e.start_time, e.id)
     FROM {_table(Event)} e JOIN {people_events} ev ON ev.event_id = e.id
     WHERE ev.victim_id = v.id AND e.status = %s) AS events
FROM {_table(Victim)} v {" ".join(joins)}
WHERE v.slug = %s AND v.status = %s"""  # noqa: S608 - names from the models; the values are parameters


def _place(values: list | None) -> PlaceRow | None:
    if values is None or values[0] is None:
        return None
    return PlaceRow(**dict(zip(PLACE_COLUMNS, values, strict=True)))


def json_date(value: str | None) -> datetime.date | None:
    """A date as a JSON aggregate writes it (ISO text), as a date."""
    return datetime.date.fromisoformat(value) if value else None


def rows_of(data, build) -> RowList:
    # psycopg returns json as Python values; a driver that returns text is read here too.
    if isinstance(data, str):
        data = json.loads(data)
    return RowList(build(values) for values in data or ())


def _photo(values: list) -> PhotoRow:
    return _photo_row(PHOTO_COLUMNS, values)


def _citation(values: list) -> CitationRow:
    locator, supports, *source = values
    return CitationRow(
        locator=locator, supports=supports, source=SourceRow(**dict(zip(SOURCE_COLUMNS, source, strict=True)))
    )


def _event(values: list) -> EventRow:
    event = EventRow(**dict(zip(EVENT_COLUMNS, values, strict=True)))
    event.start_date = json_date(event.start_date)
    return event


def person_page(slug: str) -> PersonRow | None:
    """The published person at ``slug`` with what their page shows, or None (no such published person)."""
    connection = connections[router.db_for_read(Victim)]
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, "person_page", person_sql(), [Status.PUBLISHED, slug, Status.PUBLISHED])
        row = cursor.fetchone()
    if row is None:
        return None
    width = len(PERSON_COLUMNS)
    person = PersonRow(**dict(zip(PERSON_COLUMNS, row[:width], strict=True)))
    places = row[width : width + len(PLACES)]
    for name, values in zip(PLACES, places, strict=True):
        setattr(person, name, _place(values))
    variants, photos, citations, events = row[width + len(PLACES) :]
    person.variants = rows_of(variants, lambda values: VariantRow(**dict(zip(VARIANT_COLUMNS, values, strict=True))))
    person.photos = rows_of(photos, _photo)
    person.citations = rows_of(citations, _citation)
    person.events = rows_of(events, _event)
    return person


# --- Name cards (the home page's newest people) ----------------------------------------------------

# The columns a name card shows: the list querysets' own (``for_list``), but the key.
CARD_COLUMNS = tuple(field for field in VictimQuerySet.CARD_FIELDS if field != "id")
CARD_PHOTO_COLUMNS = ("renditions", *localized("alt_text"))


class CardRow(Row):
    """A person as a name card shows them (victims.templatetags.public.victim_card)."""

    __str__ = Victim.__str__
    composed_name = Victim.composed_name
    get_absolute_url = Victim.get_absolute_url
    death_display = Victim.death_display


def newest_people_sql(limit: int) -> str:
    """A subquery: the ``limit`` people published last (``published()``, newest first, as
    ``order_by("-published_at", "-id")``) as JSON name cards with their primary photo (a published
    one, as ``with_primary_photo``). Its one parameter is the published status."""
    return f"""(SELECT json_agg(json_build_array({", ".join(f"n.{c}" for c in CARD_COLUMNS)},
        {json_array("ph", CARD_PHOTO_COLUMNS)}) ORDER BY n.published_at DESC, n.id DESC)
   FROM (SELECT id, published_at, {", ".join(CARD_COLUMNS)} FROM {_table(Victim)}
         WHERE status = %s ORDER BY published_at DESC, id DESC LIMIT {int(limit)}) n
   LEFT JOIN {_table(Photo)} ph ON ph.victim_id = n.id AND ph.is_primary AND ph.is_published)"""  # noqa: S608


def card_rows(data) -> RowList:
    """The name cards of :func:`newest_people_sql`'s column."""

    def card(values: list) -> CardRow:
        person = CardRow(**dict(zip(CARD_COLUMNS, values[:-1], strict=True)))
        person.death_date = json_date(person.death_date)
        photo = values[-1]
        person.primary_photos = [_photo_row(CARD_PHOTO_COLUMNS, photo)] if photo[0] is not None else []
        return person

    return rows_of(data, card)


class ListCardRow(CardRow):
    """A person of a list of names read through a queryset (:class:`CardRowIterable`): the same
    person as the model instance would be (``pk``, equality), without building one."""

    @property
    def pk(self) -> int:
        return self.id

    def __eq__(self, other) -> bool:
        return isinstance(other, (ListCardRow, Victim)) and self.pk is not None and self.pk == other.pk

    def __hash__(self) -> int:
        return hash(self.pk)


class CardRowIterable(BaseIterable):
    """A list of names (``VictimQuerySet.for_list``) as plain rows instead of model instances.

    The queryset still writes the SQL (search, filters, sorts, windows, paging are the ORM's as
    before); only the rows it yields change: each is a :class:`ListCardRow` of the loaded columns
    and the annotations, with its in-row primary photo (``with_primary_photo_in_row``) as a
    :class:`PhotoRow` in ``primary_photos``. Building the 60 model instances of a registry page
    and their photos' took a third of the page's time."""

    def __iter__(self):
        queryset = self.queryset
        compiler = queryset.query.get_compiler(using=queryset.db)
        results = compiler.execute_sql(chunked_fetch=self.chunked_fetch, chunk_size=self.chunk_size)
        select, klass_info = compiler.select, compiler.klass_info
        positions = klass_info["select_fields"]
        start, end = positions[0], positions[-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        annotations = list(compiler.annotation_col_map.items())
        for row in compiler.results_iter(results):
            values = dict(zip(names, row[start:end], strict=True))
            for name, position in annotations:
                values[name] = row[position]
            photo = values.pop(PRIMARY_PHOTO_IN_ROW, None)
            person = ListCardRow(**values)
            person.primary_photos = [_photo_row(photo.keys(), photo.values())] if photo else []
            yield person


def as_card_rows(queryset: VictimQuerySet) -> VictimQuerySet:
    """``queryset`` (a ``for_list()`` of people) yielding :class:`ListCardRow` rows."""
    queryset = queryset.all()
    queryset._iterable_class = CardRowIterable
    return queryset


def _photo_row(columns, values) -> PhotoRow:
    photo = PhotoRow(**dict(zip(columns, values, strict=True)))
    photo.renditions = photo.renditions or {}
    return photo


# --- The timeline (victims.views.EventListView) ------------------------------------------------------

# What the timeline shows of each published event (victims.templatetags.public.timeline_item, the
# view's sections and translation notes): not the descriptions, statuses and history columns the ORM
# read for every event. A column added to the page must be added here.
TIMELINE_COLUMNS = ("slug", "original_language", "start_date", "start_precision", "start_time", "end_date",
                    "end_precision", *localized("title", "summary", "translated_on"))  # fmt: skip


class TimelineEventRow(EventRow):
    end_display = Event.end_display


@cache
def timeline_sql() -> str:
    """The timeline's one statement: ``Event.objects.published().for_timeline()``'s rows and order
    (start, its time, id), with each event's place; its one parameter is the published status."""
    columns = [*(f"e.{column}" for column in TIMELINE_COLUMNS), *(f"p.{column}" for column in PLACE_COLUMNS)]
    return f"""SELECT {", ".join(columns)}
FROM {_table(Event)} e LEFT JOIN {_table(Place)} p ON p.id = e.place_id
WHERE e.status = %s
ORDER BY e.start_date, e.start_time, e.id"""  # noqa: S608 - names from the models; the value is a parameter


def timeline_events() -> list[TimelineEventRow]:
    """The published events in timeline order, as the timeline page shows them."""
    connection = connections[router.db_for_read(Event)]
    with connection.cursor() as cursor:
        cursor.execute(timeline_sql(), [Status.PUBLISHED])
        rows = cursor.fetchall()
    width = len(TIMELINE_COLUMNS)
    events = []
    for row in rows:
        event = TimelineEventRow(**dict(zip(TIMELINE_COLUMNS, row[:width], strict=True)))
        event.place = _place(row[width:])
        events.append(event)
    return events
