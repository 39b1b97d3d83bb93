"""Exports: layouts, filters, formats, the data package's validity, constant queries while
streaming, the export log, permissions, the admin action and the command. Synthetic data only."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import zipfile

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tests.exchange_data import rich_registry
from victims.exchange.columns import VICTIM_IMPORT_HEADER, decode_list, encode_list
from victims.exchange.exports import ExportFilters
from victims.exchange.services import registry_export
from victims.models import ExportLog, NameVariant, Photo, Status, Victim

pytestmark = pytest.mark.django_db

ALL = ExportFilters(statuses=list(Status.values))


def csv_text(filters: ExportFilters = ALL, record_type: str = "victims", bom: bool = False) -> str:
    out = io.StringIO()
    registry_export("csv", out, filters=filters, record_type=record_type, bom=bom)
    return out.getvalue()


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


def test_list_cells_survive_separators_and_backslashes():
    items = [("Şəhla; \\ xanım | ana", "latin", "nickname"), ("Шахла", "cyrillic", "russian")]
    assert decode_list(encode_list(items)) == [list(item) for item in items]
    assert decode_list("") == []
    with pytest.raises(ValueError, match="backslash"):
        decode_list("name\\")


def test_csv_is_in_the_import_layout_with_partial_dates_and_lists():
    records = rich_registry()
    text = csv_text()
    assert text.splitlines()[0].split(",") == VICTIM_IMPORT_HEADER
    rows = {row["slug"]: row for row in rows_of(text)}
    first, second = rows["sinaq-shehla"], rows["sinaq-gulnare"]
    assert first["uuid"] == str(records["first"].uuid)
    assert (first["birth_date"], first["death_date"], first["death_time"]) == ("1972-03", "1990-01-20", "00:40:00")
    assert (second["birth_date"], second["death_date"]) == ("1965", "1990-01")
    assert (first["place_of_death"], first["burial_place"]) == ("sinaq-kuchesi", "sinaq-xiyabani")
    assert (first["occupation_az"], first["occupation_en"], first["occupation_ru"]) == ("müəllim", "teacher", "учитель")
    assert first["biography_az"] == "Birinci abzas.\n\nİkinci abzas: ı, ş, ğ, ç, ö, ü, ə."
    assert decode_list(first["citations"]) == [
        ["sinaq-menbe-1", "s. 12; 14", "ölüm tarixi | yeri"], ["sinaq-menbe-2", "", ""],
        ["sinaq-menbe-3", "арх. 5", "дата смерти"],
    ]  # fmt: skip
    assert ["Синаглы Мамедова Шахла", "cyrillic", "russian"] in decode_list(first["variants"])


def test_csv_byte_order_mark_only_when_asked():
    rich_registry()
    assert not csv_text().startswith("\ufeff")
    assert csv_text(bom=True).startswith("\ufeffuuid,")


def test_published_only_by_default():
    rich_registry()
    slugs = {row["slug"] for row in rows_of(csv_text(ExportFilters()))}
    assert slugs == {"sinaq-shehla", "sinaq-gulnare"}


def test_filters_by_category_and_date_of_death():
    rich_registry()
    by_category = rows_of(csv_text(ExportFilters(statuses=list(Status.values), categories=["died_of_wounds"])))
    assert [row["slug"] for row in by_category] == ["sinaq-gulnare"]
    by_date = ExportFilters(death_from=datetime.date(1990, 1, 19), death_to=datetime.date(1990, 1, 20))
    assert [row["slug"] for row in rows_of(csv_text(by_date))] == ["sinaq-shehla"]


def test_other_tables_as_csv():
    records = rich_registry()
    citations = rows_of(csv_text(ALL, "citations"))
    assert len(citations) == 5  # four for people, one for the event
    assert {row["event_uuid"] for row in citations} == {"", str(records["event"].uuid)}
    places = rows_of(csv_text(ALL, "places"))
    assert {"slug": "sinaq-xiyabani", "parent": "sinaq-kuchesi"}.items() <= next(
        row for row in places if row["slug"] == "sinaq-xiyabani"
    ).items()


def test_json_is_nested_with_sources_photos_and_events():
    records = rich_registry()
    Photo.objects.create(
        victim=records["first"], original="originals/test.jpg", alt_text_en="A synthetic test photo", is_primary=True,
        renditions={"card": {"webp": "photos/test/card.webp", "jpeg": "photos/test/card.jpg", "width": 320}},
    )  # fmt: skip
    out = io.StringIO()
    registry_export("json", out, filters=ALL)
    document = json.loads(out.getvalue())
    assert document["licence"]["name"] == "CC-BY-4.0"
    person = next(p for p in document["victims"] if p["slug"] == "sinaq-shehla")
    assert person["birth_date"] == "1972-03"
    assert person["occupation"] == {"az": "müəllim", "en": "teacher", "ru": "учитель"}
    assert person["citations"][0]["source"]["key"] == "sinaq-menbe-1"
    assert person["citations"][0]["source"]["title"].startswith("Sınaq mənbəyi 1")
    assert {"name": "Синаглы Мамедова Шахла", "script": "cyrillic", "kind": "russian"} in person["variants"]
    assert person["photos"][0]["renditions"]["card"]["webp"] == "/media/photos/test/card.webp"
    assert person["photos"][0]["alt_text"]["en"] == "A synthetic test photo"
    assert [e["slug"] for e in person["events"]] == ["sinaq-hadise"]
    assert {p["slug"] for p in document["places"]} >= {"sinaq-kuchesi", "sinaq-xiyabani"}
    assert any(s["key"] == "sinaq-menbe-3" for s in document["sources"])


def test_xlsx_one_sheet_per_record_type_header_frozen_real_dates():
    rich_registry()
    out = io.BytesIO()
    registry_export("xlsx", out, filters=ALL)
    workbook = load_workbook(io.BytesIO(out.getvalue()))
    assert workbook.sheetnames == [
        "victims",
        "name_variants",
        "citations",
        "events",
        "event_people",
        "places",
        "sources",
    ]
    sheet = workbook["victims"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header == VICTIM_IMPORT_HEADER
    rows = {row[1]: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["sinaq-shehla"]["death_date"] == datetime.datetime(1990, 1, 20)  # a real date
    assert rows["sinaq-shehla"]["birth_date"] == "1972-03"  # known to the month: text
    assert rows["sinaq-gulnare"]["age_recorded"] == 24


def test_data_package_validates_with_frictionless(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    rich_registry()
    for name, filters in (("all", ALL), ("published", ExportFilters())):
        out = tmp_path / f"{name}.zip"
        registry_export("package", out, filters=filters)
        folder = tmp_path / name
        with zipfile.ZipFile(out) as archive:
            archive.extractall(folder)
        descriptor = json.loads((folder / "datapackage.json").read_text())
        assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
        victims = next(r for r in descriptor["resources"] if r["name"] == "victims")
        assert victims["schema"]["primaryKey"] == ["uuid"]
        assert {"fields": ["place_of_death"], "reference": {"resource": "places", "fields": ["slug"]}} in victims[
            "schema"
        ]["foreignKeys"]
        report = frictionless.validate(str(folder / "datapackage.json"))
        assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_data_package_with_a_broken_foreign_key_fails_validation(tmp_path):
    """The validation above can fail: a citation of an unknown source is caught."""
    frictionless = pytest.importorskip("frictionless")
    rich_registry()
    out = tmp_path / "p.zip"
    registry_export("package", out, filters=ALL)
    with zipfile.ZipFile(out) as archive:
        archive.extractall(tmp_path / "p")
    path = tmp_path / "p" / "data" / "citations.csv"
    path.write_text(path.read_text().replace("sinaq-menbe-2", "no-such-source"))
    report = frictionless.validate(str(tmp_path / "p" / "datapackage.json"))
    assert not report.valid


def _many_people(n: int, start: int = 0) -> None:
    now = timezone.now()
    victims = Victim.objects.bulk_create(
        Victim(family_name=f"Sınaqov{i}", given_name="Testəli", slug=f"synthetic-many-{i}", status=Status.PUBLISHED,
               published_at=now, display_name=f"Testəli Sınaqov{i}")
        for i in range(start, start + n)
    )  # fmt: skip
    NameVariant.objects.bulk_create(
        NameVariant(victim=v, name=f"Синаков {v.pk}", script="cyrillic", kind="russian") for v in victims[::2]
    )


@pytest.mark.slow
def test_streaming_export_runs_the_same_queries_for_100_and_10100_people():
    def queries_for(fmt: str) -> tuple[int, int]:
        out = io.StringIO()
        with CaptureQueriesContext(connection) as captured:
            count = registry_export(fmt, out, filters=ExportFilters())
        return len(captured.captured_queries), count

    _many_people(100)
    small = {fmt: queries_for(fmt) for fmt in ("csv", "json")}
    _many_people(10_000, start=100)
    large = {fmt: queries_for(fmt) for fmt in ("csv", "json")}
    assert small["csv"] == (3, 100)  # log, one streamed select, log's row count
    assert large["csv"] == (3, 10_100)
    assert large["json"][0] == small["json"][0] <= 8, "the number of queries grew with the number of people"
    assert large["json"][1] >= 10_100


def test_every_export_is_logged_with_its_row_count(data_staff):
    rich_registry()
    registry_export("csv", io.StringIO(), filters=ExportFilters(categories=["killed"]), user=data_staff, via="test")
    log = ExportLog.objects.get()
    assert (log.user, log.format, log.record_type, log.row_count, log.via) == (data_staff, "csv", "victims", 1, "test")
    assert log.filters == {"statuses": ["published"], "categories": ["killed"]}


# --- The staff page ----------------------------------------------------------------------------------


def test_anonymous_cannot_export(client):
    response = client.get(reverse("staff:export"))
    assert response.status_code == 302 and "/admin/login/" in response.url
    assert client.post(reverse("staff:export"), {"format": "csv"}).status_code == 302
    assert not ExportLog.objects.exists()


def test_curator_cannot_export(client, curator):
    client.force_login(curator)
    assert client.get(reverse("staff:export")).status_code == 403
    response = client.post(
        reverse("staff:export"), {"format": "csv", "record_type": "victims", "statuses": ["published"]}
    )
    assert response.status_code == 403
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize("role", ["data_staff", "editor", "superuser"])
def test_data_staff_editor_and_superuser_can_export(client, role, request):
    user = request.getfixturevalue(role)
    rich_registry()
    client.force_login(user)
    assert client.get(reverse("staff:export")).status_code == 200
    response = client.post(
        reverse("staff:export"),
        {"format": "csv", "record_type": "victims", "statuses": ["published", "draft"], "bom": "on"},
    )
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].startswith('attachment; filename="registry-victims-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeffuuid,slug,family_name")
    assert {row["slug"] for row in rows_of(text)} == {"sinaq-shehla", "sinaq-gulnare", "sinaq-ilqar"}
    log = ExportLog.objects.get()
    assert (log.user, log.row_count, log.via) == (user, 3, "staff page")


@pytest.mark.parametrize(("fmt", "magic"), [("json", b"{"), ("xlsx", b"PK"), ("package", b"PK")])
def test_export_page_other_formats(client, data_staff, fmt, magic):
    rich_registry()
    client.force_login(data_staff)
    response = client.post(
        reverse("staff:export"), {"format": fmt, "record_type": "victims", "statuses": ["published"]}
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(magic)


# --- The admin action --------------------------------------------------------------------------------


def _run_action(client, model: str, pks: list[int]):
    return client.post(
        reverse(f"admin:{model}_changelist"), {"action": "export_selected", "_selected_action": [str(pk) for pk in pks]}
    )


def test_export_selected_action_exports_only_the_selection(client, editor):
    records = rich_registry()
    client.force_login(editor)
    response = _run_action(client, "victims_victim", [records["second"].pk])
    assert response.status_code == 302 and response.url == reverse("staff:export") + "?selection=1"
    page = client.get(response.url).content.decode()
    assert "Only the 1 record selected in the admin" in page
    checked = {
        re.search(r'value="(\w+)"', tag).group(1)
        for tag in re.findall(r'<input[^>]*name="statuses"[^>]*>', page)
        if " checked" in tag
    }
    assert checked == set(Status.values)  # a selection is exported whatever its status
    download = client.post(
        reverse("staff:export"),
        {"format": "csv", "record_type": "victims", "statuses": ["published"], "use_selection": "on"},
    )
    assert [row["slug"] for row in rows_of(b"".join(download.streaming_content).decode())] == ["sinaq-gulnare"]
    assert ExportLog.objects.get().filters["selection_count"] == 1


def test_a_selection_of_places_exports_those_places(client, editor):
    records = rich_registry()
    client.force_login(editor)
    _run_action(client, "victims_place", [records["cemetery"].pk])
    form = {"format": "csv", "statuses": ["published"], "use_selection": "on"}
    places = client.post(reverse("staff:export"), {**form, "record_type": "places"})
    assert [row["slug"] for row in rows_of(b"".join(places.streaming_content).decode())] == ["sinaq-xiyabani"]
    people = client.post(reverse("staff:export"), {**form, "record_type": "victims"})
    assert rows_of(b"".join(people.streaming_content).decode()) == []  # no people were selected


def test_export_selected_action_refuses_a_curator(client, curator):
    records = rich_registry()
    client.force_login(curator)
    response = _run_action(client, "victims_victim", [records["first"].pk])
    assert response.status_code == 302 and "staff" not in response.url
    assert "victims_export_selection" not in client.session


def test_export_selected_action_ignores_models_outside_the_registry(client, superuser):
    client.force_login(superuser)
    response = _run_action(client, "auth_user", [superuser.pk])
    assert response.status_code == 302 and "staff" not in response.url
    assert "victims_export_selection" not in client.session


# --- The command -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx", "package"])
def test_export_command_writes_the_file(tmp_path, fmt):
    from django.core.management import call_command

    rich_registry()
    path = tmp_path / f"out.{fmt}"
    out = io.StringIO()
    call_command("export_registry", "--format", fmt, "--output", str(path), "--status", "all", stdout=out)
    assert path.stat().st_size > 0
    assert "Wrote" in out.getvalue()
    assert ExportLog.objects.get().via == "command"
