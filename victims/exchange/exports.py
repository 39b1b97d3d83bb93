"""Exports of the registry: CSV, JSON and XLSX (the data package is in :mod:`.datapackage`).

Every table is read with a single query: a person's name variants, citations, photos and events
come as PostgreSQL arrays (``ArraySubquery``) in the same row, and rows are streamed from a
server-side cursor (``.iterator(chunk_size=...)``), so the number of queries does not grow with
the registry and memory stays flat. Every export writes an :class:`~victims.models.ExportLog`.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.core.files.storage import default_storage
from django.db import models
from django.db.models import F, OuterRef, Q
from django.db.models.functions import JSONObject
from django.utils import timezone, translation
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from common.partialdates import Precision, iso_partial_date
from common.siteurl import absolute_url
from victims.exchange.columns import (
    LANGUAGES,
    TABLES,
    VICTIM_BASE_COLUMNS,
    VICTIM_EXPORT_COLUMNS,
    VICTIM_IMPORT_HEADER,
    encode_list,
    translated,
)
from victims.links import slug_url_maker
from victims.models import Citation, Event, ExportLog, NameVariant, Photo, Place, Source, Status, Victim

CHUNK_SIZE = 2000
FLUSH_EVERY = 500
BOM = "\ufeff"
FORMATS = ("csv", "json", "xlsx", "package")


def data_licence() -> dict[str, str]:
    """The data licence as Frictionless writes it: CC BY 4.0 unless the settings name another."""
    return {"name": settings.DATA_LICENCE_NAME, "title": settings.DATA_LICENCE_TITLE, "path": settings.DATA_LICENCE_URL}


GENERATOR = "Black January Memorial registry export"

# Models an admin selection may come from, by model name, and the table it exports to.
SELECTABLE = {
    "victim": "victims",
    "namevariant": "name_variants",
    "event": "events",
    "place": "places",
    "source": "sources",
    "citation": "citations",
}


def _plain(model: type[models.Model]) -> models.QuerySet:
    """A queryset without modeltranslation's rewriting (which breaks ``values()`` in subqueries)."""
    return models.QuerySet(model=model)


@dataclass
class ExportFilters:
    """What to export: the admin's filters, or an admin selection of one model's records."""

    statuses: list[str] = field(default_factory=lambda: [Status.PUBLISHED])
    categories: list[str] = field(default_factory=list)
    death_from: datetime.date | None = None
    death_to: datetime.date | None = None
    selection_model: str = ""  # a key of SELECTABLE
    selection_ids: list[int] = field(default_factory=list)

    def as_log(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("death_from", "death_to"):
            data[key] = data[key].isoformat() if data[key] else None
        if self.selection_model:
            data["selection_count"] = len(self.selection_ids)
        data.pop("selection_ids")
        return {key: value for key, value in data.items() if value not in (None, "", [])}

    def _selected(self, model_name: str) -> bool | None:
        """True: this model was selected; False: another one was; None: no selection."""
        if not self.selection_model:
            return None
        return self.selection_model == model_name

    def victims(self) -> models.QuerySet | None:
        selected = self._selected("victim")
        if selected is False:
            return None
        qs = _plain(Victim)
        if selected:
            return qs.filter(pk__in=self.selection_ids, status__in=self.statuses)
        qs = qs.filter(status__in=self.statuses)
        if self.categories:
            qs = qs.filter(category__in=self.categories)
        if self.death_from:
            qs = qs.filter(death_date__gte=self.death_from)
        if self.death_to:
            qs = qs.filter(death_date__lte=self.death_to)
        return qs

    def events(self) -> models.QuerySet | None:
        selected = self._selected("event")
        if selected is False:
            return None
        qs = _plain(Event).filter(status__in=self.statuses)
        return qs.filter(pk__in=self.selection_ids) if selected else qs

    def _reference(self, model: type[models.Model], name: str) -> models.QuerySet | None:
        selected = self._selected(name)
        if selected:
            return _plain(model).filter(pk__in=self.selection_ids)
        if selected is False and self.selection_model not in ("victim", "event"):
            return None
        return _plain(model)

    def places(self) -> models.QuerySet | None:
        return self._reference(Place, "place")

    def sources(self) -> models.QuerySet | None:
        return self._reference(Source, "source")

    def name_variants(self) -> models.QuerySet | None:
        if self._selected("namevariant"):
            return _plain(NameVariant).filter(pk__in=self.selection_ids)
        victims = self.victims()
        return None if victims is None else _plain(NameVariant).filter(victim__in=victims.values("pk"))

    def citations(self) -> models.QuerySet | None:
        if self._selected("citation"):
            return _plain(Citation).filter(pk__in=self.selection_ids)
        victims, events = self.victims(), self.events()
        if victims is None and events is None:
            return None
        condition = Q(pk__in=[])
        if victims is not None:
            condition |= Q(victim__in=victims.values("pk"))
        if events is not None:
            condition |= Q(event__in=events.values("pk"))
        return _plain(Citation).filter(condition)

    def event_people(self) -> models.QuerySet | None:
        victims, events = self.victims(), self.events()
        if victims is None or events is None:
            return None
        return _plain(Event.victims.through).filter(event__in=events.values("pk"), victim__in=victims.values("pk"))

    def table(self, name: str) -> models.QuerySet | None:
        return getattr(self, name)()


# --- Cells ---------------------------------------------------------------------------------------


def partial_cell(value: datetime.date | None, precision: str) -> datetime.date | str:
    """A real date when known to the day (XLSX shows it as a date), else the ISO partial text."""
    if value is not None and precision == Precision.DAY:
        return value
    return iso_partial_date(value, precision)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value)


# --- Rows of each table ----------------------------------------------------------------------------

_VICTIM_PLAIN = [c.name for c in VICTIM_BASE_COLUMNS if c.name not in {
    "birth_date", "death_date", "place_of_birth", "place_of_death", "burial_place"}]  # fmt: skip


def _victim_values(qs: models.QuerySet, *, nested: bool = False, statuses: list[str] | None = None):
    variants = (
        _plain(NameVariant).filter(victim=OuterRef("pk")).order_by("kind", "name")
        .values(j=JSONObject(name="name", script="script", kind="kind"))
    )  # fmt: skip
    source = JSONObject(key="source__key", title="source__title", author="source__author",
                        year="source__year", url="source__url", kind="source__kind") if nested else F("source__key")  # fmt: skip
    citations = (
        _plain(Citation).filter(victim=OuterRef("pk")).order_by("id")
        .values(j=JSONObject(source=source, locator="locator", supports="supports"))
    )  # fmt: skip
    annotations = {
        "variant_list": ArraySubquery(variants),
        "citation_list": ArraySubquery(citations),
    }
    if nested:
        annotations["photo_list"] = ArraySubquery(
            _plain(Photo).filter(victim=OuterRef("pk"), is_published=True).order_by("-is_primary", "id").values(
                j=JSONObject(renditions="renditions", credit="credit", licence="licence", is_primary="is_primary",
                             width="width", height="height",
                             **{f"alt_text_{lang}": f"alt_text_{lang}" for lang in LANGUAGES},
                             **{f"caption_{lang}": f"caption_{lang}" for lang in LANGUAGES})
            )
        )  # fmt: skip
        annotations["event_list"] = ArraySubquery(
            _plain(Event).filter(victims=OuterRef("pk"), status__in=statuses or [Status.PUBLISHED])
            .order_by("start_date", "start_time", "uuid")
            .values(j=JSONObject(uuid="uuid", slug="slug", **{f"title_{lang}": f"title_{lang}" for lang in LANGUAGES}))
        )  # fmt: skip
    return (
        qs.order_by("family_name", "given_name", "patronymic", "uuid")
        .values(*_VICTIM_PLAIN, "birth_date", "birth_precision", "death_date", "death_precision", "age",
                pob=F("place_of_birth__slug"), pod=F("place_of_death__slug"), bp=F("burial_place__slug"),
                **annotations)
        .iterator(chunk_size=CHUNK_SIZE)
    )  # fmt: skip


def person_url_maker() -> Callable[[str], str]:
    """Each person's canonical page URL (in the site's default language, on ``SITE_URL``) from a slug."""
    with translation.override(settings.LANGUAGE_CODE):
        page = slug_url_maker("victims:victim_detail")
    return lambda slug: absolute_url(page(slug))


def _victim_cells(row: dict, *, with_lists: bool, url: Callable[[str], str]) -> list[Any]:
    values = {
        **row,
        "url": url(row["slug"]),
        "uuid": str(row["uuid"]),
        "birth_date": partial_cell(row["birth_date"], row["birth_precision"]),
        "death_date": partial_cell(row["death_date"], row["death_precision"]),
        "place_of_birth": row["pob"],
        "place_of_death": row["pod"],
        "burial_place": row["bp"],
    }
    cells = [values[c.name] for c in VICTIM_EXPORT_COLUMNS]
    if with_lists:
        cells.append(encode_list([(v["name"], v["script"], v["kind"]) for v in row["variant_list"]]))
        cells.append(encode_list([(c["source"], c["locator"], c["supports"]) for c in row["citation_list"]]))
    return cells


def victim_import_rows(qs: models.QuerySet) -> Iterator[list[Any]]:
    """Rows of people in the import layout (``VICTIM_IMPORT_HEADER``)."""
    url = person_url_maker()
    for row in _victim_values(qs):
        yield _victim_cells(row, with_lists=True, url=url)


def table_rows(name: str, qs: models.QuerySet) -> Iterator[list[Any]]:
    """Rows of one normalised table (``TABLES[name].header``), streamed from one query."""
    if name == "victims":
        url = person_url_maker()
        for row in _victim_values(qs):
            yield _victim_cells(row, with_lists=False, url=url)
    elif name == "name_variants":
        rows = qs.order_by("victim__family_name", "victim__given_name", "victim__uuid", "kind", "name").values_list(
            "victim__uuid", "name", "script", "kind"
        )
        for victim_uuid, *rest in rows.iterator(chunk_size=CHUNK_SIZE):
            yield [str(victim_uuid), *rest]
    elif name == "events":
        fields = ["uuid", "slug", *translated("title"), *translated("summary"), *translated("description"), "kind",
                  "start_date", "start_precision", "start_time", "end_date", "end_precision", "end_time",
                  "original_language", "status"]  # fmt: skip
        for row in (
            qs.order_by("start_date", "start_time", "uuid")
            .values(*fields, place_slug=F("place__slug"))
            .iterator(chunk_size=CHUNK_SIZE)
        ):
            row["uuid"] = str(row["uuid"])
            row["start_date"] = partial_cell(row["start_date"], row["start_precision"])
            row["end_date"] = partial_cell(row["end_date"], row["end_precision"])
            row["place"] = row["place_slug"]
            yield [row[column] for column in TABLES["events"].header]
    elif name == "event_people":
        rows = qs.order_by("event__start_date", "event__uuid", "victim__uuid").values_list(
            "event__uuid", "victim__uuid"
        )
        for event_uuid, victim_uuid in rows.iterator(chunk_size=CHUNK_SIZE):
            yield [str(event_uuid), str(victim_uuid)]
    elif name == "places":
        rows = qs.order_by("slug").values_list(
            "slug", *translated("name"), "kind", "parent__slug", "latitude", "longitude"
        )
        yield from (list(row) for row in rows.iterator(chunk_size=CHUNK_SIZE))
    elif name == "sources":
        rows = qs.order_by("key").values_list(*TABLES["sources"].header)
        yield from (list(row) for row in rows.iterator(chunk_size=CHUNK_SIZE))
    elif name == "citations":
        rows = qs.order_by(
            F("victim__uuid").asc(nulls_first=True), F("event__uuid").asc(nulls_first=True), "id"
        ).values_list("victim__uuid", "event__uuid", "source__key", "locator", "supports")
        for victim_uuid, event_uuid, *rest in rows.iterator(chunk_size=CHUNK_SIZE):
            yield [_text(victim_uuid), _text(event_uuid), *rest]
    else:
        raise ValueError(f"unknown table {name!r}")


# --- The export log --------------------------------------------------------------------------------


def export_log_start(*, user, fmt: str, record_type: str, filters: ExportFilters, via: str) -> ExportLog:
    """Record who exported what before the first byte leaves, so even an aborted download is logged."""
    return ExportLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        format=fmt, record_type=record_type, filters=filters.as_log(), via=via,
    )  # fmt: skip


def export_log_finish(log: ExportLog, row_count: int) -> None:
    ExportLog.objects.filter(pk=log.pk).update(row_count=row_count)


# --- CSV ---------------------------------------------------------------------------------------------


def iter_csv(header: list[str], rows: Iterable[list[Any]], *, bom: bool = False, counter: list[int] | None = None):
    """CSV text in chunks: RFC 4180 quoting, ``\\r\\n`` line ends, UTF-8 (a BOM first if asked)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if bom:
        buffer.write(BOM)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([_text(cell) for cell in row])
        count += 1
        if count % FLUSH_EVERY == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
    if counter is not None:
        counter.append(count)


def csv_chunks(record_type: str, filters: ExportFilters, *, bom: bool = False, counter: list[int] | None = None):
    """The single-file CSV of one record type; people come in the import layout."""
    qs = filters.table(record_type)
    if record_type == "victims":
        rows = victim_import_rows(qs) if qs is not None else iter(())
        return iter_csv(VICTIM_IMPORT_HEADER, rows, bom=bom, counter=counter)
    rows = table_rows(record_type, qs) if qs is not None else iter(())
    return iter_csv(TABLES[record_type].header, rows, bom=bom, counter=counter)


# --- JSON --------------------------------------------------------------------------------------------


def _languages(row: dict, name: str) -> dict[str, str]:
    return {lang: row[f"{name}_{lang}"] or "" for lang in LANGUAGES}


def _public_renditions(renditions: dict) -> dict:
    result = {}
    for size, files in sorted((renditions or {}).items()):
        result[size] = {
            key: (default_storage.url(value) if key in ("webp", "jpeg", "avif", "png") and value else value)
            for key, value in files.items()
        }
    return result


def victim_json(row: dict, url: Callable[[str], str]) -> dict[str, Any]:
    """One person, nested: name variants, citations with their sources, photos' public URLs, events."""
    return {
        "uuid": str(row["uuid"]),
        "slug": row["slug"],
        "url": url(row["slug"]),
        "family_name": row["family_name"],
        "given_name": row["given_name"],
        "patronymic": row["patronymic"],
        "display_name": row["display_name"],
        "gender": row["gender"],
        "birth_date": iso_partial_date(row["birth_date"], row["birth_precision"]) or None,
        "death_date": iso_partial_date(row["death_date"], row["death_precision"]) or None,
        "death_time": _text(row["death_time"]) or None,
        "age_recorded": row["age_recorded"],
        "age": row["age"],
        "category": row["category"],
        "status": row["status"],
        "place_of_birth": row["pob"],
        "place_of_death": row["pod"],
        "burial_place": row["bp"],
        "nationality": row["nationality"],
        "occupation": _languages(row, "occupation"),
        "circumstances": _languages(row, "circumstances"),
        "biography": _languages(row, "biography"),
        "original_language": row["original_language"],
        "variants": row["variant_list"],
        "citations": row["citation_list"],
        "photos": [
            {
                "alt_text": _languages(photo, "alt_text"),
                "caption": _languages(photo, "caption"),
                "credit": photo["credit"],
                "licence": photo["licence"],
                "is_primary": photo["is_primary"],
                "width": photo["width"],
                "height": photo["height"],
                "renditions": _public_renditions(photo["renditions"]),
            }
            for photo in row["photo_list"]
        ],
        "events": [
            {"uuid": event["uuid"], "slug": event["slug"], "title": _languages(event, "title")}
            for event in row["event_list"]
        ],
    }


def _table_json(name: str, qs: models.QuerySet) -> Iterator[dict[str, Any]]:
    header = TABLES[name].header
    for row in table_rows(name, qs):
        yield {column: (_text(cell) if isinstance(cell, datetime.date | datetime.time) else cell)
               for column, cell in zip(header, row, strict=True)}  # fmt: skip


def iter_json(filters: ExportFilters, *, counter: list[int] | None = None) -> Iterator[str]:
    """The registry as one JSON document, in chunks: people nested, the other tables flat."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, default=str)

    head = {"generator": GENERATOR, "exported_at": timezone.now().isoformat(timespec="seconds"),
            "licence": data_licence()}  # fmt: skip
    yield dump(head)[:-1]
    count = 0
    sections: list[tuple[str, Iterator[dict]]] = []
    victims = filters.victims()
    if victims is not None:
        url = person_url_maker()
        sections.append(("victims", (victim_json(r, url) for r in _victim_values(victims, nested=True,
                                                                            statuses=filters.statuses))))  # fmt: skip
    for name in ("events", "places", "sources"):
        qs = filters.table(name)
        if qs is not None:
            sections.append((name, _table_json(name, qs)))
    if filters.selection_model in ("namevariant", "citation"):
        name = SELECTABLE[filters.selection_model]
        sections.append((name, _table_json(name, filters.table(name))))
    if filters.victims() is None and filters.events() is not None:
        sections.append(("citations", _table_json("citations", filters.citations())))
    for name, items in sections:
        yield f", {dump(name)}: ["
        buffer: list[str] = []
        for index, item in enumerate(items):
            buffer.append(("\n" if index == 0 else ",\n") + dump(item))
            count += 1
            if len(buffer) >= FLUSH_EVERY:
                yield "".join(buffer)
                buffer = []
        yield "".join(buffer) + "\n]"
    yield "}\n"
    if counter is not None:
        counter.append(count)


# --- XLSX --------------------------------------------------------------------------------------------

WORKBOOK_TABLES = ["victims", "name_variants", "citations", "events", "event_people", "places", "sources"]


def _xlsx_value(value: Any) -> Any:
    # Dates need no explicit cell: openpyxl gives a date value the format yyyy-mm-dd.
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def export_xlsx(file: IO[bytes], filters: ExportFilters) -> int:
    """A workbook, one sheet per record type (the ``victims`` sheet in the import layout), header frozen.

    Written in openpyxl's write-only mode: rows go to disk as they come.
    """
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    count = 0
    for name in WORKBOOK_TABLES:
        qs = filters.table(name)
        if qs is None:
            continue
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A2"
        if name == "victims":
            header, rows = VICTIM_IMPORT_HEADER, victim_import_rows(qs)
        else:
            header, rows = TABLES[name].header, table_rows(name, qs)
        for index in range(len(header)):
            sheet.column_dimensions[_column_letter(index)].width = 18
        header_cells = []
        for column in header:
            cell = WriteOnlyCell(sheet, value=column)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([_xlsx_value(value) for value in row])
            count += 1
    if not workbook.worksheets:
        workbook.create_sheet("victims").append(VICTIM_IMPORT_HEADER)
    workbook.save(file)
    return count


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
