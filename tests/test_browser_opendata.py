"""The Data page in a browser: a visitor downloads the newest data package and its checksum matches;
a person page shows how to cite it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.public_fixtures import public_records
from victims.dataset import dataset_publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_downloads_the_data_package_from_the_data_page(live_server, page, screenshot, settings):
    settings.SITE_URL = live_server.url
    records = public_records()
    release = dataset_publish()
    page.goto(f"{live_server.url}/en/")
    page.get_by_role("link", name="Data and downloads").click()
    page.wait_for_url("**/en/data/")
    screenshot(page, "open-data-en")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Data package (ZIP of CSV tables with datapackage.json)").click()
    download = download_info.value
    zip_file = next(file for file in release["files"] if file["format"] == "zip")
    assert download.suggested_filename == zip_file["name"]
    assert hashlib.sha256(Path(download.path()).read_bytes()).hexdigest() == zip_file["sha256"]
    assert zip_file["sha256"] in page.content()
    page.goto(f"{live_server.url}{records['person'].get_absolute_url()}")
    cite = page.locator("section.cite")
    assert "BibTeX" in cite.inner_text()
    cite.scroll_into_view_if_needed()
    screenshot(page, "person-cite-en", full_page=False)
