"""Data staff in a real browser: export the selected people as CSV from the admin, open the file;
upload a file to import, check the preview, confirm. Synthetic data only."""

from __future__ import annotations

import csv
import io

import pytest

from tests.conftest import make_user
from tests.exchange_data import rich_registry
from victims.exchange.columns import VICTIM_IMPORT_HEADER
from victims.models import Victim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # noqa: S105 (the test users' password, see conftest)


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/")


def test_data_staff_downloads_selected_people_as_csv_from_the_admin(page, live_server, django_user_model, screenshot):
    make_user(django_user_model, "datastaff", "Data staff")
    records = rich_registry()
    log_in(page, live_server, "datastaff")

    page.goto(f"{live_server.url}/admin/victims/victim/")
    for key in ("first", "second"):
        page.check(f'input[name="_selected_action"][value="{records[key].pk}"]')
    page.select_option('select[name="action"]', "export_selected")
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).first.click()
    page.wait_for_url("**/staff/export/?selection=1")
    assert page.is_checked("#id_use_selection")
    page.check('input[name="bom"]')
    screenshot(page, "staff-export")

    with page.expect_download() as info:
        page.get_by_role("button", name="Download").click()
    download = info.value
    assert download.suggested_filename.startswith("registry-victims-") and download.suggested_filename.endswith(".csv")
    data = open(download.path(), "rb").read()  # noqa: PTH123, SIM115

    assert data.startswith("\ufeff".encode())  # the byte-order mark Excel needs
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == VICTIM_IMPORT_HEADER
    assert sorted(row[1] for row in rows[1:]) == ["sinaq-gulnare", "sinaq-shehla"]
    first = next(row for row in rows[1:] if row[1] == "sinaq-shehla")
    assert first[2:4] == ["Sınaqlı Məmmədova", "Şəhla"]


def test_data_staff_imports_a_file_through_preview_and_confirm(
    page, live_server, django_user_model, screenshot, tmp_path
):
    make_user(django_user_model, "datastaff", "Data staff")
    rich_registry()
    # A synthetic spelling of an existing synthetic person: the duplicate gate should hold it back.
    path = tmp_path / "batch.csv"
    with open(path, "w", encoding="utf-8", newline="") as stream:  # noqa: PTH123
        writer = csv.DictWriter(stream, fieldnames=["uuid", "family_name", "given_name", "category", "death_date"])
        writer.writeheader()
        writer.writerow(
            {
                "family_name": "Sinagli Mammadova",
                "given_name": "Shahla",
                "category": "killed",
                "death_date": "1990-01-20",
            }
        )
        writer.writerow(
            {"family_name": "Sınaqova", "given_name": "Xəyalə", "category": "wounded", "death_date": "1990-01"}
        )
    log_in(page, live_server, "datastaff")

    page.goto(f"{live_server.url}/staff/import/")
    screenshot(page, "staff-import")
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url("**/staff/import/preview/")
    assert page.get_by_text("Likely duplicates", exact=True).is_visible()
    assert page.get_by_text("Şəhla Əli qızı Sınaqlı Məmmədova").is_visible()
    screenshot(page, "staff-import-preview")

    page.get_by_role("button", name="Import", exact=True).click()
    page.wait_for_url("**/staff/import/")
    assert page.get_by_text("1 created").is_visible()
    assert Victim.objects.filter(given_name="Xəyalə", status="draft").exists()
    assert not Victim.objects.filter(given_name="Shahla").exists()
