"""Typed shapes of the API's parameters and answers; the OpenAPI document is generated from them."""

from __future__ import annotations

import datetime
from enum import StrEnum

from ninja import Field, Schema

from common.partialdates import Precision
from victims.filters import AGE_GROUPS, DIED_CHOICES
from victims.models import Category, Gender
from victims.normalize import AZ_ALPHABET

Language = StrEnum("Language", {code: code for code in ("az", "en", "ru")})
CategoryChoice = StrEnum("CategoryChoice", {value: value for value in Category.values})
GenderChoice = StrEnum("GenderChoice", {value: value for value in Gender.values})
AgeChoice = StrEnum("AgeChoice", {f"a{index}": key for index, key in enumerate(AGE_GROUPS)})
DiedChoice = StrEnum("DiedChoice", {f"d{index}": key for index, (key, _label) in enumerate(DIED_CHOICES)})
LetterChoice = StrEnum("LetterChoice", {f"l{index}": letter for index, letter in enumerate(AZ_ALPHABET)})
SortChoice = StrEnum("SortChoice", {"name": "name", "death": "death", "age": "age"})

SLUG = r"^[-a-zA-Z0-9_]+$"
CURSOR = r"^(start|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"


# --- Parameters -----------------------------------------------------------------------------------


class LanguageQuery(Schema):
    lang: Language | None = Field(None, description="Language of texts and labels; default: Accept-Language, else az.")


class PageQuery(LanguageQuery):
    page: int = Field(1, ge=1, le=100_000, description="Page number, from 1.")
    limit: int = Field(50, ge=1, le=100, description="Records per page (at most 100).")


class PeopleQuery(PageQuery):
    q: str | None = Field(None, max_length=100, description="A name, in any spelling: the registry's forgiving search.")
    category: CategoryChoice | None = None
    gender: GenderChoice | None = None
    age: AgeChoice | None = Field(None, description="Age group at death.")
    place: str | None = Field(None, max_length=200, pattern=SLUG, description="Place of death (a place's slug).")
    event: str | None = Field(None, max_length=200, pattern=SLUG, description="An event's slug.")
    source: str | None = Field(None, max_length=60, pattern=SLUG, description="A source's key.")
    died: DiedChoice | None = Field(None, description="The registry's groups of dates of death.")
    died_from: datetime.date | None = Field(None, description="Date of death on or after (YYYY-MM-DD).")
    died_to: datetime.date | None = Field(None, description="Date of death on or before (YYYY-MM-DD).")
    letter: LetterChoice | None = Field(None, description="Initial of the family name (Azerbaijani alphabet).")
    sort: SortChoice | None = Field(None, description="Default: best match when searching, else by name.")
    cursor: str | None = Field(
        None, pattern=CURSOR,
        description="Walk the whole (filtered) set: 'start', then each answer's meta.next_cursor. Ignores page and sort.",
    )  # fmt: skip


# --- Answers ---------------------------------------------------------------------------------------


class ErrorItem(Schema):
    parameter: str = Field("", description="The parameter at fault, if one is.")
    message: str


class ErrorOut(Schema):
    errors: list[ErrorItem]


class ListMeta(Schema):
    language: Language
    page: int | None
    limit: int
    total: int
    total_pages: int
    next: str | None = Field(description="The next page's URL; null on the last page.")
    next_cursor: str | None = Field(None, description="With cursor: the next cursor; null at the end.")


class ItemMeta(Schema):
    language: Language


class PartialDate(Schema):
    date: str = Field(description="ISO 8601 to its precision: YYYY, YYYY-MM or YYYY-MM-DD.")
    precision: Precision
    display: str = Field(description="As the site writes it in the requested language.")


class Text(Schema):
    text: str
    language: Language = Field(description="The language the text is in (the record's original when not translated).")


class PlaceRef(Schema):
    slug: str
    name: str


class Rendition(Schema):
    webp: str | None = None
    jpeg: str | None = None
    width: int | None = None
    height: int | None = None


class PhotoOut(Schema):
    alt_text: str
    caption: str
    credit: str
    licence: str
    renditions: dict[str, Rendition]


class PersonSummary(Schema):
    uuid: str
    slug: str
    name: str
    given_name: str
    patronymic: str
    family_name: str
    gender: str
    category: str
    birth: PartialDate | None
    death: PartialDate | None
    age: int | None
    place_of_death: PlaceRef | None
    photo: PhotoOut | None
    url: str = Field(description="The person's page on the site (canonical).")
    api_url: str


class NameVariantOut(Schema):
    name: str
    script: str
    kind: str


class SourceRef(Schema):
    key: str
    kind: str
    title: str
    author: str
    publisher: str
    year: int | None
    url: str
    archive_reference: str
    reliability: str


class CitationOut(Schema):
    source: SourceRef
    locator: str
    supports: str


class EventRef(Schema):
    slug: str
    title: str
    start: PartialDate
    url: str
    api_url: str


class PlaceDetail(Schema):
    slug: str
    name: str
    kind: str


class PersonDetail(Schema):
    uuid: str
    slug: str
    name: str
    given_name: str
    patronymic: str
    family_name: str
    variants: list[NameVariantOut]
    gender: str
    category: str
    category_label: str
    birth: PartialDate | None
    death: PartialDate | None
    death_time: str | None
    age: int | None
    place_of_birth: PlaceDetail | None
    place_of_death: PlaceDetail | None
    burial_place: PlaceDetail | None
    nationality: str
    occupation: Text | None
    circumstances: Text | None
    biography: Text | None
    citations: list[CitationOut]
    events: list[EventRef]
    photos: list[PhotoOut]
    published_at: datetime.datetime | None
    updated_at: datetime.datetime
    url: str
    api_url: str
    merged_from: list[str] = Field(
        description="UUIDs of records found to be this person and merged into this one; their addresses redirect here."
    )


class EventSummary(Schema):
    uuid: str
    slug: str
    title: str
    summary: Text | None
    kind: str
    start: PartialDate
    start_time: str | None
    end: PartialDate | None
    place: PlaceRef | None
    url: str
    api_url: str


class EventDetail(EventSummary):
    description: Text | None
    citations: list[CitationOut]
    people_count: int
    people_api_url: str = Field(description="The people linked to this event, through the people endpoint.")


class SourceOut(SourceRef):
    people_count: int = Field(description="Published people citing it.")
    events_count: int = Field(description="Published events citing it.")
    people_api_url: str


class PlaceOut(Schema):
    slug: str
    name: str
    kind: str
    parent: str | None
    latitude: float | None
    longitude: float | None


class BarOut(Schema):
    key: str
    label: str
    count: int


class ChartOut(Schema):
    slug: str
    title: str
    total: int
    bars: list[BarOut]


class Licence(Schema):
    name: str
    title: str
    url: str


class SummaryOut(Schema):
    people: int
    events: int
    sources: int
    places: int
    last_updated: datetime.datetime | None = Field(description="The newest change to a published person or event.")
    generation: str = Field(description="Changes whenever anything published changes (the ETag's base).")
    licence: Licence
    links: dict[str, str]


class PeopleList(Schema):
    data: list[PersonSummary]
    meta: ListMeta


class PersonOne(Schema):
    data: PersonDetail
    meta: ItemMeta


class EventList(Schema):
    data: list[EventSummary]
    meta: ListMeta


class EventOne(Schema):
    data: EventDetail
    meta: ItemMeta


class SourceList(Schema):
    data: list[SourceOut]
    meta: ListMeta


class PlaceList(Schema):
    data: list[PlaceOut]
    meta: ListMeta


class Statistics(Schema):
    data: list[ChartOut]
    meta: ItemMeta


class Summary(Schema):
    data: SummaryOut
    meta: ItemMeta
