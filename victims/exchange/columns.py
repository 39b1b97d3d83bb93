"""The column layouts of every export table, shared by the writers, the importer and the
Frictionless descriptor. ``docs/import-format.md`` documents them for curators.

The victims table in the *import layout* (the single-file CSV and the ``victims`` sheet of the
XLSX workbook) carries a person's name variants and citations in two cells, each a list encoded
by :func:`encode_list`: items separated by ``;``, parts of an item by ``|``, and a backslash
escaping a literal ``;``, ``|`` or ``\\`` inside a part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LANGUAGES = ("az", "en", "ru")
ITEM_SEPARATOR = ";"
PART_SEPARATOR = "|"
ESCAPE = "\\"

PARTIAL_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


def translated(name: str) -> list[str]:
    return [f"{name}_{language}" for language in LANGUAGES]


def _escape(part: str) -> str:
    return (
        part.replace(ESCAPE, ESCAPE * 2)
        .replace(PART_SEPARATOR, ESCAPE + PART_SEPARATOR)
        .replace(ITEM_SEPARATOR, ESCAPE + ITEM_SEPARATOR)
    )


def encode_list(items: list[tuple[str, ...]]) -> str:
    """``[("Məmmədov", "latin", "az_latin"), ...]`` → ``"Məmmədov|latin|az_latin;..."``."""
    return ITEM_SEPARATOR.join(PART_SEPARATOR.join(_escape(part or "") for part in item) for item in items)


def decode_list(text: str) -> list[list[str]]:
    """Inverse of :func:`encode_list`. Surrounding spaces of each part are dropped; empty items are skipped.

    Raises ValueError on a dangling escape character.
    """
    items: list[list[str]] = []
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text or "")
    for ch in chars:
        if ch == ESCAPE:
            nxt = next(chars, None)
            if nxt is None:
                raise ValueError("the text ends with a lone backslash")
            current.append(nxt)
        elif ch == PART_SEPARATOR:
            parts.append("".join(current).strip())
            current = []
        elif ch == ITEM_SEPARATOR:
            parts.append("".join(current).strip())
            if any(parts):
                items.append(parts)
            parts, current = [], []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    if any(parts):
        items.append(parts)
    return items


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"  # a Frictionless field type
    description: str = ""
    required: bool = False
    constraints: dict = field(default_factory=dict)
    format: str = ""


def _translated_columns(name: str, description: str) -> list[Column]:
    return [Column(f"{name}_{lang}", description=f"{description} ({lang})") for lang in LANGUAGES]


PARTIAL = {"pattern": PARTIAL_DATE_PATTERN}

VICTIM_BASE_COLUMNS: list[Column] = [
    Column("uuid", format="uuid", description="Stable identifier of the person; empty in an import row creates a new record.", required=True),
    Column("slug", description="The readable part of the person's URL; made from the name when empty."),
    Column("family_name", description="Family name as written in Azerbaijani Latin."),
    Column("given_name", description="Given name."),
    Column("patronymic", description="Patronymic, for example “Əli oğlu”."),
    Column("display_name", description="The name as shown; made from the parts when empty."),
    Column("gender", description="female, male or unknown.", constraints={"enum": ["female", "male", "unknown"]}),
    Column("birth_date", description="Date of birth, ISO 8601 to its known precision: YYYY, YYYY-MM or YYYY-MM-DD.", constraints=PARTIAL),
    Column("death_date", description="Date of death, ISO 8601 to its known precision: YYYY, YYYY-MM or YYYY-MM-DD.", constraints=PARTIAL),
    Column("death_time", type="time", description="Time of death (HH:MM:SS), when recorded."),
    Column("age_recorded", type="integer", description="Age at death as a source records it.", constraints={"minimum": 0, "maximum": 120}),
    Column("category", description="killed, died_of_wounds, wounded, missing or detained.",
           constraints={"enum": ["killed", "died_of_wounds", "wounded", "missing", "detained"]}),
    Column("status", description="draft, review, published or withdrawn.",
           constraints={"enum": ["draft", "review", "published", "withdrawn"]}),
    Column("place_of_birth", description="Slug of the place of birth (places table)."),
    Column("place_of_death", description="Slug of the place of death (places table)."),
    Column("burial_place", description="Slug of the burial place (places table)."),
    Column("nationality", description="Nationality as recorded."),
    *_translated_columns("occupation", "Occupation"),
    *_translated_columns("circumstances", "Circumstances of death"),
    *_translated_columns("biography", "Biography, plain text"),
    Column("original_language", description="The language the texts were written in: az, en or ru.",
           constraints={"enum": list(LANGUAGES)}),
]  # fmt: skip

# Written by every export, ignored by the import: the person's page, derived from the slug.
URL_COLUMN = Column("url", description="The person's page on the memorial site (canonical URL).")
VICTIM_EXPORT_COLUMNS: list[Column] = [*VICTIM_BASE_COLUMNS, URL_COLUMN]

VARIANTS = "variants"
CITATIONS = "citations"

VICTIM_IMPORT_COLUMNS: list[Column] = [
    *VICTIM_EXPORT_COLUMNS,
    Column(VARIANTS, description="Name variants: spelling|script|kind, separated by ;"),
    Column(CITATIONS, description="Citations: source_key|locator|supports, separated by ;"),
]

NAME_VARIANT_COLUMNS = [
    Column("victim_uuid", format="uuid", required=True, description="The person (victims.uuid)."),
    Column("name", required=True, description="The spelling."),
    Column("script", description="latin, cyrillic or other.", constraints={"enum": ["latin", "cyrillic", "other"]}),
    Column("kind", description="az_latin, russian, transliteration or nickname.",
           constraints={"enum": ["az_latin", "russian", "transliteration", "nickname"]}),
]  # fmt: skip

EVENT_COLUMNS = [
    Column("uuid", format="uuid", required=True, description="Stable identifier of the event."),
    Column("slug", required=True, description="The readable part of the event's URL."),
    *_translated_columns("title", "Title"),
    *_translated_columns("summary", "Summary"),
    *_translated_columns("description", "Description"),
    Column("kind", description="context, night, funerals, investigation or commemoration."),
    Column("start_date", description="Start, ISO 8601 to its known precision.", constraints=PARTIAL),
    Column("start_time", type="time", description="Start time (HH:MM:SS)."),
    Column("end_date", description="End, ISO 8601 to its known precision.", constraints=PARTIAL),
    Column("end_time", type="time", description="End time (HH:MM:SS)."),
    Column("place", description="Slug of the place (places table)."),
    Column("original_language", description="az, en or ru."),
    Column("status", description="draft, review, published or withdrawn."),
]

EVENT_PEOPLE_COLUMNS = [
    Column("event_uuid", format="uuid", required=True, description="The event (events.uuid)."),
    Column("victim_uuid", format="uuid", required=True, description="A person related to it (victims.uuid)."),
]

PLACE_COLUMNS = [
    Column("slug", required=True, description="Stable identifier of the place."),
    *_translated_columns("name", "Name"),
    Column("kind", description="city, district, street, building, hospital, cemetery or region."),
    Column("parent", description="Slug of the place it is part of."),
    Column("latitude", type="number", description="Latitude (WGS 84).", constraints={"minimum": -90, "maximum": 90}),
    Column("longitude", type="number", description="Longitude (WGS 84).", constraints={"minimum": -180, "maximum": 180}),
]  # fmt: skip

SOURCE_COLUMNS = [
    Column("key", required=True, description="Stable identifier of the source, used by citations."),
    Column("kind", description="report, book, article, newspaper, archival, testimony, website or audiovisual."),
    Column("title", required=True, description="Title."),
    Column("author", description="Author."),
    Column("publisher", description="Publisher."),
    Column("year", type="integer", description="Year of publication."),
    Column("url", description="Address on the web."),
    Column("archive_reference", description="Archive reference."),
    Column("reliability", description="primary, secondary, official or press."),
    *_translated_columns("notes", "Curators' notes"),
    Column("original_language", description="az, en or ru: the language the notes were written in."),
]

CITATION_COLUMNS = [
    Column("victim_uuid", format="uuid", description="The person cited for (victims.uuid), or empty."),
    Column("event_uuid", format="uuid", description="The event cited for (events.uuid), or empty."),
    Column("source_key", required=True, description="The source (sources.key)."),
    Column("locator", description="Page or other locator."),
    Column("supports", description="What the citation supports."),
]


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: list[Column]
    primary_key: list[str] = field(default_factory=list)
    foreign_keys: list[tuple[list[str], str, list[str]]] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


# The normalised tables of the data package and the XLSX workbook, in dependency order.
TABLES: dict[str, Table] = {
    "victims": Table(
        "victims", "People in the registry", VICTIM_EXPORT_COLUMNS, ["uuid"],
        [(["place_of_birth"], "places", ["slug"]), (["place_of_death"], "places", ["slug"]),
         (["burial_place"], "places", ["slug"])],
    ),
    "name_variants": Table(
        "name_variants", "Other spellings of people's names", NAME_VARIANT_COLUMNS, ["victim_uuid", "name"],
        [(["victim_uuid"], "victims", ["uuid"])],
    ),
    "events": Table("events", "Events of the timeline", EVENT_COLUMNS, ["uuid"], [(["place"], "places", ["slug"])]),
    "event_people": Table(
        "event_people", "People related to events", EVENT_PEOPLE_COLUMNS, ["event_uuid", "victim_uuid"],
        [(["event_uuid"], "events", ["uuid"]), (["victim_uuid"], "victims", ["uuid"])],
    ),
    "places": Table("places", "Places", PLACE_COLUMNS, ["slug"], [(["parent"], "places", ["slug"])]),
    "sources": Table("sources", "Sources", SOURCE_COLUMNS, ["key"]),
    "citations": Table(
        "citations", "Citations of sources for people and events", CITATION_COLUMNS, [],
        [(["victim_uuid"], "victims", ["uuid"]), (["event_uuid"], "events", ["uuid"]),
         (["source_key"], "sources", ["key"])],
    ),
}  # fmt: skip

RECORD_TYPES = list(TABLES)
VICTIM_IMPORT_HEADER = [column.name for column in VICTIM_IMPORT_COLUMNS]
