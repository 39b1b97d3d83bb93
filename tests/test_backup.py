"""Backups: ``manage.py backup`` then ``manage.py restore`` bring back every record and every file.

The round trip restores into a scratch database next to the test database (created and dropped
here), so the test database other tests use is never wiped.
"""

from __future__ import annotations

import json
import shutil

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from memorial.backups import MANIFEST, Target, tree_checksums
from tests.factories import CitationFactory, EventFactory, NameVariantFactory, VictimFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def snapshot(target: Target) -> dict[str, list[str]]:
    """Every row of every table, as JSON text, sorted: two databases with equal snapshots hold the same records."""
    connection = target.connect()
    try:
        with connection.cursor() as cursor:
            tables = target.user_tables()
            rows = {}
            for table in tables:
                schema, name = table.split(".")
                cursor.execute(f'SELECT row_to_json(t)::text FROM "{schema}"."{name}" t')  # noqa: S608
                rows[table] = sorted(row[0] for row in cursor.fetchall())
            return rows
    finally:
        connection.close()


@pytest.fixture
def scratch():
    target = Target.for_alias("default", name=f"{connections['default'].settings_dict['NAME']}_restore")
    yield target
    connection = target.connect(database="postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{target.name}" WITH (FORCE)')
    connection.close()


@pytest.fixture
def records(settings):
    victims = VictimFactory.create_batch(3)
    NameVariantFactory(victim=victims[0])
    CitationFactory(victim=victims[1])
    EventFactory()
    (settings.MEDIA_ROOT / "photos" / "ab").mkdir(parents=True)
    (settings.MEDIA_ROOT / "photos" / "ab" / "synthetic-800.jpg").write_bytes(b"\xff\xd8\xff rendition bytes")
    (settings.PRIVATE_MEDIA_ROOT / "originals").mkdir(parents=True)
    (settings.PRIVATE_MEDIA_ROOT / "originals" / "synthetic.jpg").write_bytes(b"\xff\xd8\xff original bytes")
    return victims


def test_backup_writes_a_dated_folder_with_a_dump_media_and_a_manifest(records, tmp_path):
    call_command("backup", output=tmp_path / "backups", verbosity=0)
    (folder,) = (tmp_path / "backups").iterdir()
    assert len(folder.name) == len("2026-11-27T153000")
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["database.dump", "manifest.json", "media.tar.gz", "private.tar.gz"]
    assert (folder / "database.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    manifest = json.loads((folder / MANIFEST).read_text())
    assert set(manifest["files"]) == {"database.dump", "media.tar.gz", "private.tar.gz"}
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())
    assert list(manifest["media"]["private"]["files"]) == ["originals/synthetic.jpg"]


def test_backup_wipe_restore_round_trip_brings_back_every_record_and_file(records, settings, tmp_path, scratch):
    live = Target.for_alias("default")
    before = snapshot(live)
    assert len(before["public.victims_victim"]) == 3
    media_before = tree_checksums(settings.MEDIA_ROOT)
    private_before = tree_checksums(settings.PRIVATE_MEDIA_ROOT)

    call_command("backup", output=tmp_path, verbosity=0)
    (folder,) = [p for p in tmp_path.iterdir() if (p / MANIFEST).exists()]

    # Wipe: the media are gone, and the restore goes into a new, empty database.
    shutil.rmtree(settings.MEDIA_ROOT)
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT)
    call_command("restore", str(folder), database_name=scratch.name, verbosity=0)

    assert snapshot(scratch) == before
    assert tree_checksums(settings.MEDIA_ROOT) == media_before
    assert tree_checksums(settings.PRIVATE_MEDIA_ROOT) == private_before

    # A second restore over the now-full database is refused, unless forced.
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(folder), database_name=scratch.name, no_media=True, verbosity=0)
    call_command("restore", str(folder), database_name=scratch.name, force=True, verbosity=0)
    assert snapshot(scratch) == before


def test_restore_refuses_the_live_database_when_it_has_tables(records, tmp_path):
    call_command("backup", output=tmp_path, verbosity=0)
    (folder,) = [p for p in tmp_path.iterdir() if (p / MANIFEST).exists()]
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(folder), no_media=True, verbosity=0)


def test_restore_refuses_a_damaged_backup(records, tmp_path, scratch):
    call_command("backup", output=tmp_path, verbosity=0)
    (folder,) = [p for p in tmp_path.iterdir() if (p / MANIFEST).exists()]
    with (folder / "database.dump").open("ab") as dump:
        dump.write(b"tampered")
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(folder), database_name=scratch.name, verbosity=0)
    assert not scratch.exists()


def test_backup_dry_run_writes_nothing(tmp_path):
    call_command("backup", output=tmp_path / "b", dry_run=True, verbosity=0)
    assert not (tmp_path / "b").exists()
