"""The public dataset: a Frictionless data package and a JSON dump of the published records, written
when the registry changes (at most once per interval), served with date and checksum, the last N
kept; the Data page that explains it; the command and the staff button that write a release."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import time
import zipfile

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import PlaceFactory, VictimFactory
from victims.dataset import dataset_due, dataset_publish, releases
from victims.models import Status

pytestmark = pytest.mark.django_db

ORIGIN = "https://memorial.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = ORIGIN


def files_of(release: dict) -> dict[str, dict]:
    return {file["format"]: file for file in release["files"]}


def test_a_release_holds_published_records_only_each_person_with_its_page(settings, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    shown = VictimFactory(family_name="Açıqov", slug="sinaq-aciqov", place_of_death=PlaceFactory(slug="shown-place"))
    VictimFactory(family_name="Qaralamov", draft=True, place_of_death=PlaceFactory(slug="draft-only-place"))
    release = dataset_publish()
    assert release["people"] == 1 and release["licence"] == "CC-BY-4.0"
    files = files_of(release)
    package = settings.DATASET_ROOT / files["zip"]["name"]
    assert files["zip"]["sha256"] == hashlib.sha256(package.read_bytes()).hexdigest()
    with zipfile.ZipFile(package) as archive:
        people = list(csv.DictReader(io.StringIO(archive.read("data/victims.csv").decode())))
        places = archive.read("data/places.csv").decode()
        archive.extractall(tmp_path / "package")
    assert [row["family_name"] for row in people] == ["Açıqov"]
    assert people[0]["url"] == f"{ORIGIN}/az/qurbanlar/sinaq-aciqov/"
    assert "shown-place" in places and "draft-only-place" not in places
    report = frictionless.validate(str(tmp_path / "package" / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    dump = json.loads((settings.DATASET_ROOT / files["json"]["name"]).read_text())
    assert [person["url"] for person in dump["victims"]] == [f"{ORIGIN}/az/qurbanlar/{shown.slug}/"]
    assert dump["licence"]["name"] == "CC-BY-4.0"


def test_a_new_release_only_when_the_registry_changed_and_the_interval_passed(settings):
    settings.DATASET_MIN_INTERVAL_MINUTES = 30
    person = VictimFactory()
    first = dataset_publish()
    assert first is not None
    assert dataset_due() == "unchanged" and dataset_publish() is None
    person.status = Status.WITHDRAWN
    person.save()
    assert dataset_due() == "too soon" and dataset_publish() is None
    later = timezone.now() + datetime.timedelta(minutes=31)
    second = dataset_publish(now=later)
    assert second is not None and second["people"] == 0
    assert [release["created"] for release in releases()] == [second["created"], first["created"]]


def test_only_the_last_releases_are_kept(settings):
    settings.DATASET_KEEP = 2
    start = timezone.now()
    written = [dataset_publish(force=True, now=start + datetime.timedelta(minutes=i)) for i in range(3)]
    assert [r["created"] for r in releases()] == [written[2]["created"], written[1]["created"]]
    names = {path.name for path in settings.DATASET_ROOT.iterdir() if not path.name.startswith(".")}
    assert names == {"releases.json", *(f["name"] for r in written[1:] for f in r["files"])}


def test_files_are_served_with_their_checksum_and_nothing_else_is(client, settings):
    VictimFactory()
    release = dataset_publish()
    files = files_of(release)
    response = client.get(f"/data/files/{files['zip']['name']}")
    assert response.status_code == 200
    content = b"".join(response.streaming_content)
    assert hashlib.sha256(content).hexdigest() == files["zip"]["sha256"]
    assert response["Content-Type"] == "application/zip"
    assert "immutable" in response["Cache-Control"]
    latest = client.get("/data/files/latest.json")
    assert latest.status_code == 302 and latest["Location"] == f"/data/files/{files['json']['name']}"
    (settings.DATASET_ROOT / "black-january-registry-2000-01-01T000000Z.zip").write_bytes(b"not listed")
    for name in ("releases.json", ".lock", "black-january-registry-2000-01-01T000000Z.zip", "..%2Fsecret", "x%00.zip"):
        assert client.get(f"/data/files/{name}").status_code == 404, name


def test_data_page_explains_the_dataset_in_three_languages(client):
    VictimFactory()
    release = dataset_publish()
    for url, heading in (("/en/data/", "Open data"), ("/az/melumatlar/", "Açıq məlumatlar"),
                         ("/ru/dannye/", "Открытые данные")):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f"<h1>{heading}</h1>" in html
        assert files_of(release)["zip"]["sha256"] in html
        jsonld = json.loads(html.split('<script type="application/ld+json">')[1].split("</script>")[0])
        assert jsonld["@type"] == "Dataset"
        assert jsonld["license"] == "https://creativecommons.org/licenses/by/4.0/"
        assert {d["contentUrl"] for d in jsonld["distribution"]} == {
            f"{ORIGIN}/data/files/{f['name']}" for f in release["files"]
        }
    assert 'href="/en/data/"' in client.get("/en/").content.decode()  # reachable from every page's footer


def test_licence_comes_from_the_settings(client, settings):
    settings.DATA_LICENCE_NAME = "ODbL-1.0"
    settings.DATA_LICENCE_TITLE = "Open Database License 1.0"
    settings.DATA_LICENCE_URL = "https://opendatacommons.org/licenses/odbl/1-0/"
    release = dataset_publish(force=True)
    assert release["licence"] == "ODbL-1.0"
    html = client.get("/en/data/").content.decode()
    assert "Open Database License 1.0" in html
    assert json.loads(client.get("/api/v1/summary").content)["data"]["licence"]["name"] == "ODbL-1.0"


def test_command_writes_a_release_when_due(capsys):
    VictimFactory()
    call_command("publish_dataset", "--dry-run")
    assert "A release is due." in capsys.readouterr().out
    assert releases() == []
    call_command("publish_dataset")
    assert "Wrote black-january-registry-" in capsys.readouterr().out
    call_command("publish_dataset")
    assert "No release is due (unchanged)." in capsys.readouterr().out
    time.sleep(1.1)  # a release is named by the second it was written in
    call_command("publish_dataset", "--force", verbosity=0)
    assert capsys.readouterr().out == "" and len(releases()) == 2


def test_staff_button_writes_a_release(client, data_staff, curator):
    client.force_login(curator)
    assert client.post("/staff/dataset/").status_code == 403
    client.force_login(data_staff)
    assert client.get("/staff/dataset/").status_code == 405
    response = client.post("/staff/dataset/")
    assert response.status_code == 302 and response["Location"] == "/staff/export/"
    assert len(releases()) == 1
    assert "Write a new release now" in client.get("/staff/export/").content.decode()
