"""Bulk import: round trips in every format, the duplicate gate, bad input, statuses, history,
the staff upload → preview → confirm pages and the management command.

All people here are synthetic test data (names marked "Sınaq"), except the duplicate-gate pair
"Məmmədov Elçin" / "Mammadov Elchin", which the issue names: test data too, no real person."""

from __future__ import annotations

import csv
import datetime
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from common.partialdates import Precision
from tests.exchange_data import rich_registry
from tests.factories import PlaceFactory, SourceFactory, VictimFactory
from victims.exchange import imports
from victims.exchange.columns import VICTIM_IMPORT_HEADER
from victims.exchange.exports import ExportFilters
from victims.exchange.services import registry_export, registry_import
from victims.models import Citation, NameVariant, Status, Victim
from victims.normalize import search_document, search_key

pytestmark = pytest.mark.django_db

ALL = ExportFilters(statuses=list(Status.values))


def export_bytes(fmt: str, filters: ExportFilters = ALL) -> bytes:
    out = io.StringIO() if fmt in ("csv", "json") else io.BytesIO()
    registry_export(fmt, out, filters=filters)
    value = out.getvalue()
    return value.encode() if isinstance(value, str) else value


def comparable(fmt: str, data: bytes):
    """The content of an export with its timestamps taken out."""
    if fmt == "csv":
        return data
    if fmt == "json":
        document = json.loads(data)
        document.pop("exported_at")
        return document
    if fmt == "xlsx":
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        content = {name: archive.read(name) for name in archive.namelist()}
    descriptor = json.loads(content.pop("datapackage.json"))
    descriptor.pop("created")
    return content, descriptor


def history_rows() -> int:
    return sum(model.history.count() for model in (Victim, NameVariant, Citation))


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "package"])
def test_round_trip_into_an_emptied_registry_gives_the_same_export(fmt):
    records = rich_registry()
    first = export_bytes(fmt)
    uuids = set(Victim.objects.values_list("uuid", flat=True))
    Victim.objects.all().delete()

    result = registry_import(first, file_name=f"registry.{fmt}")

    assert result.ok, result.problems
    assert result.counts["create"] == 3
    assert set(Victim.objects.values_list("uuid", flat=True)) == uuids
    assert comparable(fmt, export_bytes(fmt)) == comparable(fmt, first)
    restored = Victim.objects.get(uuid=records["first"].uuid)
    assert restored.birth_precision == Precision.MONTH
    assert restored.citations.count() == 3
    assert restored.search_document  # searchable again
    assert restored.history.first().history_change_reason == f"Import of registry.{fmt}"


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "package"])
def test_unchanged_reimport_changes_nothing_not_even_history(fmt):
    rich_registry()
    first = export_bytes(fmt)
    before = history_rows()

    result = registry_import(first, file_name=f"again.{fmt}")

    assert result.ok, result.problems
    assert result.counts == {"create": 0, "update": 0, "unchanged": 3, "held": 0}
    assert history_rows() == before
    assert comparable(fmt, export_bytes(fmt)) == comparable(fmt, first)


def _rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _csv(rows: list[dict], header=VICTIM_IMPORT_HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_edited_export_updates_records_in_place():
    records = rich_registry()
    rows = _rows(export_bytes("csv"))
    for row in rows:
        if row["uuid"] == str(records["second"].uuid):
            row["family_name"] = "Sınaqova-Əliyeva"
            row["death_date"] = "1990-01-21"
            row["variants"] += ";Синагова-Алиева|cyrillic|russian"
    count = Victim.objects.count()

    result = registry_import(_csv(rows), file_name="edited.csv")

    assert result.ok, result.problems
    assert result.counts == {"create": 0, "update": 1, "unchanged": 2, "held": 0}
    assert Victim.objects.count() == count
    second = Victim.objects.get(uuid=records["second"].uuid)
    assert second.family_name == "Sınaqova-Əliyeva"
    assert (second.death_date, second.death_precision) == (datetime.date(1990, 1, 21), Precision.DAY)
    assert set(second.variants.values_list("name", flat=True)) == {"Синагова Гюльнара", "Синагова-Алиева"}
    assert search_key("Синагова-Алиева") in second.search_document
    assert second.history.first().history_change_reason == "Import of edited.csv"
    assert second.version == records["second"].version + 1


def test_edited_citations_replace_the_old_ones_with_history():
    records = rich_registry()
    rows = _rows(export_bytes("csv"))
    first = next(row for row in rows if row["uuid"] == str(records["first"].uuid))
    first["citations"] = "sinaq-menbe-3|arx. 7|ölüm yeri"
    result = registry_import(_csv(rows), file_name="citations.csv")
    assert result.ok and result.counts["update"] == 1
    assert [o.changes for o in result.rows if o.action == "update"] == [["citations"]]
    victim = Victim.objects.get(uuid=records["first"].uuid)
    assert list(victim.citations.values_list("source__key", "locator", "supports")) == [
        ("sinaq-menbe-3", "arx. 7", "ölüm yeri")
    ]
    reasons = set(Citation.history.filter(victim_id=victim.pk).values_list("history_change_reason", flat=True))
    assert reasons >= {"Import of citations.csv"}
    assert Citation.history.filter(victim_id=victim.pk, history_type="-").count() == 3


def test_a_link_to_an_event_missing_from_the_registry_is_added_back_and_kept_ones_stay():
    records = rich_registry()
    data = export_bytes("json")
    records["event"].victims.remove(records["first"])

    result = registry_import(data, file_name="events.json")

    assert result.ok, result.problems
    assert [(o.uuid, o.changes) for o in result.rows if o.action == "update"] == [
        (str(records["first"].uuid), ["events"])
    ]
    assert set(records["event"].victims.all()) == {records["first"], records["second"]}
    assert records["event"].history.first().history_change_reason == "Import of events.json"


def test_the_same_uuid_twice_and_a_taken_slug_are_refused():
    records = rich_registry()
    rows = _rows(export_bytes("csv"))
    rows.append(dict(rows[0]))  # the first person twice
    rows[1]["slug"] = rows[2]["slug"]  # someone else's slug
    result = registry_import(_csv(rows), file_name="clash.csv")
    assert not result.written
    assert {(p.row, p.column) for p in result.problems} >= {(5, "uuid"), (3, "slug")}
    assert Victim.objects.get(uuid=records["first"].uuid).slug == "sinaq-shehla"


def test_rows_without_uuid_create_people_with_a_slug_from_the_name():
    PlaceFactory(slug="sinaq-kuchesi")
    SourceFactory(key="sinaq-menbe")
    VictimFactory(family_name="Sınaqlı", given_name="Gəray", slug="geray-sinaqli", death_date=datetime.date(1980, 5, 5))
    rows = [
        {"uuid": "", "family_name": "Sınaqlı", "given_name": "Gəray", "category": "killed", "death_date": "1990-01-20",
         "place_of_death": "sinaq-kuchesi", "citations": "sinaq-menbe|p. 1|ölüm tarixi"},
        {"uuid": "", "family_name": "Şınaqçı", "given_name": "Ülvi", "category": "wounded", "variants": "Шынагчы Улви"},
    ]  # fmt: skip

    result = registry_import(_csv(rows), file_name="new.csv")

    assert result.ok, result.problems
    assert result.counts["create"] == 2
    geray = Victim.objects.get(family_name="Sınaqlı", death_date=datetime.date(1990, 1, 20))
    assert geray.slug == "geray-sinaqli-2"
    assert geray.status == Status.DRAFT  # no status column: a new record is a draft
    assert geray.citations.get().supports == "ölüm tarixi"
    ulvi = Victim.objects.get(given_name="Ülvi")
    assert ulvi.slug == "ulvi-shinaqchi"
    assert ulvi.variants.get().script == "cyrillic"


def _victims_csv(n: int) -> list[dict]:
    return [
        {"uuid": "", "family_name": f"Sınaqov{i}", "given_name": "Testəli", "category": "killed",
         "death_date": "1990-01-20", "variants": f"Синаков{i}|cyrillic|russian"}
        for i in range(n)
    ]  # fmt: skip


def test_one_bad_row_among_500_writes_nothing_and_names_its_row_and_column():
    rows = _victims_csv(500)
    rows[299]["category"] = "shot"  # row 301 of the spreadsheet (the header is row 1)

    result = registry_import(_csv(rows), file_name="batch.csv", confirm_duplicates=True)

    assert not result.written
    assert [(p.row, p.column) for p in result.problems] == [(301, "category")]
    assert "shot" in result.problems[0].message
    assert Victim.objects.count() == 0
    assert NameVariant.objects.count() == 0


def test_a_bad_row_in_a_later_chunk_leaves_nothing_of_the_chunks_before_it():
    """Rows are checked and written a chunk at a time, in one transaction: a problem found in a later
    chunk takes back the chunks already written (their people, variants and history)."""
    size = imports.CHUNK
    rows = _victims_csv(size + 10)
    rows[size + 4]["category"] = "shot"  # in the second chunk: row size + 6 of the spreadsheet

    result = registry_import(_csv(rows), file_name="two-chunks.csv", confirm_duplicates=True)

    assert not result.written
    assert [(p.row, p.column) for p in result.problems] == [(size + 6, "category")]
    assert Victim.objects.count() == 0
    assert NameVariant.objects.count() == 0
    assert Victim.history.count() == 0 and NameVariant.history.count() == 0


def test_the_same_500_rows_without_the_bad_one_are_all_written():
    result = registry_import(_csv(_victims_csv(500)), file_name="batch.csv", confirm_duplicates=True)
    assert result.written and Victim.objects.count() == 500 and NameVariant.objects.count() == 500


@pytest.mark.parametrize(
    ("cells", "column", "words"),
    [
        ({"death_date": "1990-02-30"}, "death_date", "not a possible date"),
        ({"birth_date": "1990-13"}, "birth_date", "not a possible date"),
        ({"birth_date": "1995", "death_date": "1990-01-20"}, "death_date", "before the date of birth"),
        ({"citations": "no-such-source|p. 1|"}, "citations", "Unknown source key"),
        ({"place_of_death": "no-such-place"}, "place_of_death", "Unknown place"),
        ({"gender": "f"}, "gender", "Unknown value"),
        ({"status": "gone"}, "status", "Unknown value"),
        ({"uuid": "not-a-uuid"}, "uuid", "Not a UUID"),
        ({"variants": "Имя|cyrillic|alias"}, "variants", "Unknown kind"),
        ({"age_recorded": "-3"}, "age_recorded", "whole number"),
        ({"patronymic": "ə" * 101}, "patronymic", "At most 100 characters"),
        ({"family_name": "", "given_name": ""}, "family_name", "at least a family name or a given name"),
    ],
)
def test_bad_cells_are_reported_with_row_and_column(cells, column, words):
    rows = _victims_csv(3)
    rows[1].update(cells)
    result = registry_import(_csv(rows), file_name="bad.csv", confirm_duplicates=True)
    assert not result.written and Victim.objects.count() == 0
    assert [(p.row, p.column) for p in result.problems] == [(3, column)]
    assert words in result.problems[0].message


def test_a_given_name_alone_is_enough():
    rows = [{"uuid": "", "family_name": "", "given_name": "Sınaqəli", "category": "killed"}]
    result = registry_import(_csv(rows), file_name="one-name.csv")
    assert result.written
    assert Victim.objects.get().search_document == search_document(["Sınaqəli"])


def test_missing_required_column_is_refused():
    header = [c for c in VICTIM_IMPORT_HEADER if c != "category"]
    rows = [{k: v for k, v in row.items() if k != "category"} for row in _victims_csv(2)]
    result = registry_import(_csv(rows, header), file_name="short.csv")
    assert [(p.row, p.column) for p in result.problems] == [(1, "category")]
    assert "missing" in result.problems[0].message
    assert Victim.objects.count() == 0


def test_unknown_column_is_refused():
    header = [*VICTIM_IMPORT_HEADER, "nickname"]
    result = registry_import(_csv([{**_victims_csv(1)[0], "nickname": "x"}], header), file_name="extra.csv")
    assert [(p.row, p.column) for p in result.problems] == [(1, "nickname")]


def test_wrong_encoding_is_refused_with_advice():
    text = _csv(_victims_csv(2)).decode().replace("Testəli", "Тестали").replace("Sınaqov", "Синаков")
    result = registry_import(text.encode("cp1251"), file_name="cyrillic.csv")
    assert not result.written and Victim.objects.count() == 0
    assert "not UTF-8" in result.problems[0].message


def test_png_renamed_csv_is_rejected_cleanly():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))
    result = registry_import(png, file_name="people.csv")
    assert not result.written
    assert len(result.problems) == 1
    assert "PNG image" in result.problems[0].message and result.problems[0].row is None


def test_xlsx_that_is_not_a_zip_is_rejected():
    result = registry_import(b"just some text, not a workbook", file_name="people.xlsx")
    assert "not a valid XLSX" in result.problems[0].message


def test_xlsx_dates_keep_the_precision_excel_shows(tmp_path):
    """Excel turns a typed 1990-01 into a date shown as Jan-90: that is a month, not 1 January."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["uuid", "family_name", "given_name", "category", "birth_date", "death_date"])
    sheet.append(["", "Sınaqlı", "Vüqar", "killed", datetime.datetime(1965, 1, 1), datetime.datetime(1990, 1, 1)])
    sheet["E2"].number_format = "yyyy"
    sheet["F2"].number_format = "mmm-yy"
    sheet.append(["", "Sınaqlı", "Rəna", "killed", 1971, datetime.datetime(1990, 1, 20)])
    path = tmp_path / "typed.xlsx"
    workbook.save(path)

    result = registry_import(path)

    assert result.written, result.problems
    vuqar, rena = Victim.objects.get(given_name="Vüqar"), Victim.objects.get(given_name="Rəna")
    assert (vuqar.birth_precision, vuqar.death_precision) == (Precision.YEAR, Precision.MONTH)
    assert (rena.birth_date, rena.birth_precision) == (datetime.date(1971, 1, 1), Precision.YEAR)
    assert (rena.death_date, rena.death_precision) == (datetime.date(1990, 1, 20), Precision.DAY)


def test_truncated_xlsx_is_rejected():
    rich_registry()
    data = export_bytes("xlsx")
    result = registry_import(data[: len(data) // 2], file_name="cut.xlsx")
    assert not result.written and result.problems
    assert "damaged or truncated" in result.problems[0].message


def test_truncated_csv_is_rejected():
    rich_registry()
    data = export_bytes("csv")
    cut = data[: data.index(b"Birinci abzas") + 5]  # inside a quoted cell
    count = Victim.objects.count()
    result = registry_import(cut, file_name="cut.csv")
    assert not result.written and result.problems
    assert "truncated" in result.problems[-1].message
    assert Victim.objects.count() == count


def test_duplicate_gate_holds_mammadov_elchin_against_mammadov_elcin():
    VictimFactory(family_name="Məmmədov", given_name="Elçin", slug="test-memmedov-elcin",
                  death_date=datetime.date(1990, 1, 20))  # fmt: skip
    row = {
        "uuid": "",
        "family_name": "Mammadov",
        "given_name": "Elchin",
        "category": "killed",
        "death_date": "1990-01-20",
    }

    preview = registry_import(_csv([row]), file_name="dup.csv", dry_run=True)
    held = registry_import(_csv([row]), file_name="dup.csv")

    for result in (preview, held):
        assert result.ok
        assert result.counts["held"] == 1
        [outcome] = result.held
        assert outcome.row == 2
        assert [c.name for c in outcome.duplicates] == ["Elçin Məmmədov"]
    assert Victim.objects.filter(family_name="Mammadov").count() == 0

    confirmed = registry_import(_csv([row]), file_name="dup.csv", confirm_duplicates={2})
    assert confirmed.written and confirmed.counts["create"] == 1
    assert Victim.objects.filter(family_name="Mammadov").count() == 1


def test_duplicate_gate_lets_a_namesake_who_died_years_apart_through():
    VictimFactory(family_name="Məmmədov", given_name="Elçin", slug="test-memmedov-elcin",
                  death_date=datetime.date(1975, 6, 1))  # fmt: skip
    row = {
        "uuid": "",
        "family_name": "Mammadov",
        "given_name": "Elchin",
        "category": "killed",
        "death_date": "1990-01-20",
    }
    result = registry_import(_csv([row]), file_name="namesake.csv")
    assert result.written and result.counts == {"create": 1, "update": 0, "unchanged": 0, "held": 0}


def test_duplicate_gate_flags_two_rows_of_the_same_file():
    rows = [{"uuid": "", "family_name": "Sınaqlı", "given_name": "Aydın", "category": "killed"}] * 2
    result = registry_import(_csv(rows), file_name="twice.csv")
    assert result.counts == {"create": 1, "update": 0, "unchanged": 0, "held": 1}
    assert result.held[0].duplicates[0].file_row == 2


def test_duplicate_gate_lists_the_nearest_first_whatever_the_places():
    """A row's likely duplicates come nearest first (then by id), also when they died in different
    places or in none: joining the places once gave them in the places' order, people without one last."""
    street, hospital = PlaceFactory(slug="sinaq-kuchesi"), PlaceFactory(slug="sinaq-xestexanasi")
    day = datetime.date(1990, 1, 20)
    exact = VictimFactory(family_name="Sınaqlı", given_name="Aydın", slug="test-sinaqli-aydin", death_date=day)
    near = [
        VictimFactory(family_name="Sınaqlı", given_name=given, slug=f"test-sinaqli-{n}", death_date=day,
                      place_of_death=place)
        for n, (given, place) in enumerate([("Aydan", street), ("Aydınə", hospital), ("Ayan", street)])
    ]  # fmt: skip
    row = {"uuid": "", "family_name": "Sınaqlı", "given_name": "Aydın", "category": "killed",
           "death_date": "1990-01-20"}  # fmt: skip
    with connection.cursor() as cursor:  # the plan PostgreSQL chose at 100,000 people: a hash join with the places
        cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute("SET LOCAL enable_mergejoin = off")

    result = registry_import(_csv([row]), file_name="nearest.csv")

    [outcome] = result.held
    similarities = [c.similarity for c in outcome.duplicates]
    assert outcome.duplicates[0].uuid == str(exact.uuid)
    assert similarities == sorted(similarities, reverse=True)
    assert {c.uuid for c in outcome.duplicates} <= {str(v.uuid) for v in [exact, *near]}


@pytest.mark.parametrize(
    ("first", "second", "held"),
    [
        ({"death_date": "1990-01-20"}, {"death_date": "1990-01-22"}, True),  # two days apart
        ({"death_date": "1990-01-20"}, {"death_date": "1990-01-17"}, False),  # three days apart
        ({"death_date": "1990-01-20", "place_of_death": "sinaq-kuchesi"},
         {"death_date": "1995-06-01", "place_of_death": "sinaq-kuchesi"}, True),  # same place, years apart
        ({"death_date": "1990-01-20", "place_of_death": "sinaq-kuchesi"}, {"death_date": "1995-06-01"}, False),
        ({"death_date": ""}, {"death_date": "1995-06-01"}, True),  # a date unknown
        ({"death_date": "1990-01-20"}, {"death_date": ""}, True),
        ({"death_date": "1990"}, {"death_date": "1990-12-31"}, True),  # known to the year: the same year
        ({"death_date": "1990-03"}, {"death_date": "1990-12-31"}, True),
        ({"death_date": "1990-12"}, {"death_date": "1991-01"}, False),  # by month: another year
        ({"death_date": "1990"}, {"death_date": "1991-01-01"}, False),
    ],
)
def test_two_rows_of_the_same_name_are_held_when_they_could_be_one_person(first, second, held):
    PlaceFactory(slug="sinaq-kuchesi")
    PlaceFactory(slug="sinaq-xiyabani")
    person = {"uuid": "", "family_name": "Sınaqlı", "given_name": "Aydın", "category": "killed"}
    rows = [{**person, **first}, {**person, **second}]
    result = registry_import(_csv(rows), file_name="namesakes.csv")
    assert result.ok, result.problems
    assert result.counts["held"] == int(held)
    assert result.counts["create"] == 2 - int(held)


def test_data_staff_imports_new_people_as_drafts_and_keeps_published_status(data_staff):
    records = rich_registry()
    rows = _rows(export_bytes("csv"))
    for row in rows:
        row["nationality"] = "sınaq"
    rows.append({**_victims_csv(1)[0], "status": "published"})

    result = registry_import(_csv(rows), user=data_staff, file_name="staff.csv")

    assert result.written
    assert Victim.objects.get(uuid=records["first"].uuid).status == Status.PUBLISHED
    assert Victim.objects.get(uuid=records["third"].uuid).status == Status.DRAFT
    new = Victim.objects.get(family_name="Sınaqov0")
    assert new.status == Status.DRAFT and new.published_at is None
    assert new.created_by == data_staff
    assert new.history.first().history_user == data_staff


def test_superuser_import_keeps_the_files_status(superuser):
    SourceFactory(key="sinaq-menbe")
    row = {**_victims_csv(1)[0], "status": "published", "citations": "sinaq-menbe|p. 1|"}
    result = registry_import(_csv([row]), user=superuser, file_name="s.csv")
    assert result.written
    victim = Victim.objects.get()
    assert victim.status == Status.PUBLISHED and victim.published_at is not None


def test_import_cannot_publish_a_person_without_a_citation_and_names_the_row(superuser):
    SourceFactory(key="sinaq-menbe")
    rows = [{**row, "status": "published", "citations": "sinaq-menbe|p. 1|"} for row in _victims_csv(3)]
    rows[1]["citations"] = ""  # spreadsheet row 3

    result = registry_import(_csv(rows), user=superuser, file_name="s.csv", confirm_duplicates=True)

    assert not result.written
    assert [(p.row, p.column) for p in result.problems] == [(3, "citations")]
    assert "citation" in result.problems[0].message
    assert not Victim.objects.exists()


def test_import_cannot_publish_an_existing_draft_without_a_citation(superuser):
    draft = VictimFactory(draft=True, family_name="Sınaqlı", given_name="Qaralama")
    row = {name: "" for name in VICTIM_IMPORT_HEADER} | {
        "uuid": str(draft.uuid), "family_name": draft.family_name, "given_name": draft.given_name,
        "category": "killed", "status": "published",
    }  # fmt: skip

    result = registry_import(_csv([row]), user=superuser, file_name="s.csv")

    assert [(p.row, p.column) for p in result.problems] == [(2, "citations")]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_dry_run_writes_nothing():
    result = registry_import(_csv(_victims_csv(5)), file_name="dry.csv", dry_run=True, confirm_duplicates=True)
    assert result.ok and result.counts["create"] == 5 and not result.written
    assert Victim.objects.count() == 0


# --- The command --------------------------------------------------------------------------------------


def test_import_command_dry_run_then_real(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(_csv(_victims_csv(3)))
    out = io.StringIO()
    call_command("import_registry", str(path), "--dry-run", "--confirm-duplicates", stdout=out)
    assert "Dry run" in out.getvalue() and Victim.objects.count() == 0
    call_command("import_registry", str(path), "--confirm-duplicates", stdout=out)
    assert Victim.objects.count() == 3


def test_import_command_reports_problems_and_fails(tmp_path):
    rows = _victims_csv(3)
    rows[2]["death_date"] = "1990-02-31"
    path = tmp_path / "bad.csv"
    path.write_bytes(_csv(rows))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_registry", str(path), "--confirm-duplicates", stderr=err)
    assert "row 4, column death_date" in err.getvalue()
    assert Victim.objects.count() == 0


# --- The staff pages ----------------------------------------------------------------------------------


def _upload(client, data: bytes, name: str):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(reverse("staff:import"), {"file": upload})


def test_import_pages_upload_preview_confirm(client, data_staff, settings):
    VictimFactory(family_name="Məmmədov", given_name="Elçin", slug="test-memmedov-elcin")
    rows = [
        {"uuid": "", "family_name": "Mammadov", "given_name": "Elchin", "category": "killed", "death_date": "1990-01-20"},
        {"uuid": "", "family_name": "Sınaqlı", "given_name": "Nərmin", "category": "wounded"},
    ]  # fmt: skip
    client.force_login(data_staff)

    response = _upload(client, _csv(rows), "batch.csv")
    assert response.status_code == 302 and response.url == reverse("staff:import_preview")
    token = client.session["victims_import_upload"]["token"]
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / "import-uploads" / token
    assert stored.exists()
    assert not str(stored).startswith(str(settings.MEDIA_ROOT))

    preview = client.get(reverse("staff:import_preview"))
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Likely duplicates" in page and "Elçin Məmmədov" in page
    assert Victim.objects.count() == 1

    done = client.post(reverse("staff:import_preview"), {"token": token, "confirm": "Import"})
    assert done.status_code == 302
    assert Victim.objects.filter(given_name="Nərmin", status=Status.DRAFT).exists()
    assert not Victim.objects.filter(family_name="Mammadov").exists()  # held back, not ticked
    assert not stored.exists()


def test_import_page_confirming_a_held_row_creates_it(client, data_staff):
    VictimFactory(family_name="Məmmədov", given_name="Elçin", slug="test-memmedov-elcin")
    rows = [
        {
            "uuid": "",
            "family_name": "Mammadov",
            "given_name": "Elchin",
            "category": "killed",
            "death_date": "1990-01-20",
        }
    ]
    client.force_login(data_staff)
    _upload(client, _csv(rows), "one.csv")
    token = client.session["victims_import_upload"]["token"]
    client.post(reverse("staff:import_preview"), {"token": token, "confirm": "Import", "confirm_row": ["2"]})
    assert Victim.objects.filter(family_name="Mammadov").exists()


def test_import_page_lists_problems_and_offers_no_import(client, data_staff):
    client.force_login(data_staff)
    _upload(client, b"\x89PNG\r\n\x1a\nrest", "people.csv")
    page = client.get(reverse("staff:import_preview")).content.decode()
    assert "PNG image" in page and 'name="confirm"' not in page


@pytest.mark.parametrize("role", ["curator", "editor"])
def test_only_data_staff_and_superusers_may_import(client, role, request):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("staff:import")).status_code == 403


def test_confirming_needs_the_token_of_the_upload(client, data_staff):
    client.force_login(data_staff)
    _upload(client, _csv(_victims_csv(1)), "one.csv")
    response = client.post(
        reverse("staff:import_preview"), {"token": "someone-elses-token-123456", "confirm": "Import"}
    )
    assert response.status_code == 403
    assert Victim.objects.count() == 0


def test_anonymous_is_sent_to_login_for_import(client):
    response = client.get(reverse("staff:import"))
    assert response.status_code == 302 and "/admin/login/" in response.url
