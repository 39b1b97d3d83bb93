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


def test_a_restored_database_has_planner_statistics(records, tmp_path, scratch):
    """pg_restore writes no statistics; without them PostgreSQL plans blind until autovacuum runs."""
    call_command("backup", output=tmp_path, verbosity=0)
    (folder,) = [p for p in tmp_path.iterdir() if (p / MANIFEST).exists()]
    call_command("restore", str(folder), database_name=scratch.name, no_media=True, verbosity=0)
    connection = scratch.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stats WHERE tablename = 'victims_victim'")
            assert cursor.fetchone()[0] > 0
    finally:
        connection.close()


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


# --- A backup is secret (issue 13, item 7) ------------------------------------------------------


def test_backup_files_are_readable_by_their_owner_only(records, tmp_path):
    import os
    import stat

    previous = os.umask(0o022)  # a usual umask: files would be 0644
    try:
        call_command("backup", output=tmp_path / "backups", verbosity=0)
    finally:
        os.umask(previous)
    (folder,) = (tmp_path / "backups").iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in folder.iterdir()}
    assert modes == dict.fromkeys(["database.dump", "manifest.json", "media.tar.gz", "private.tar.gz"], 0o600)


@pytest.fixture
def backup_key(settings):
    from memorial.backups import new_backup_key

    settings.BACKUP_KEY = new_backup_key()
    return settings


def test_an_encrypted_backup_holds_no_plain_data_and_restores(records, backup_key, settings, tmp_path, scratch):
    import stat

    live = Target.for_alias("default")
    before = snapshot(live)
    media_before = tree_checksums(settings.MEDIA_ROOT)
    private_before = tree_checksums(settings.PRIVATE_MEDIA_ROOT)

    call_command("backup", output=tmp_path / "backups", verbosity=0)
    (folder,) = (tmp_path / "backups").iterdir()
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["database.dump.enc", "manifest.json", "media.tar.gz.enc", "private.tar.gz.enc"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())
    for name in ("database.dump.enc", "media.tar.gz.enc", "private.tar.gz.enc"):
        data = (folder / name).read_bytes()
        assert data.startswith(b"BJMBAK1\n")
        assert b"PGDMP" not in data and b"\x1f\x8b" not in data[:64]  # neither pg_dump's nor gzip's header
        assert b"original bytes" not in data and b"victims_victim" not in data
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["encryption"]["cipher"] == "AES-256-GCM"
    assert settings.BACKUP_KEY not in (folder / MANIFEST).read_text()

    call_command("restore", str(folder), dry_run=True, verbosity=0)  # checksums need no key
    shutil.rmtree(settings.MEDIA_ROOT)
    shutil.rmtree(settings.PRIVATE_MEDIA_ROOT)
    call_command("restore", str(folder), database_name=scratch.name, verbosity=0)
    assert snapshot(scratch) == before
    assert tree_checksums(settings.MEDIA_ROOT) == media_before
    assert tree_checksums(settings.PRIVATE_MEDIA_ROOT) == private_before
    assert sorted(p.name for p in folder.iterdir()) == names  # nothing was left there in plain text


def test_an_encrypted_backup_is_not_restored_without_its_key(records, backup_key, settings, tmp_path, scratch):
    from memorial.backups import new_backup_key

    call_command("backup", output=tmp_path, verbosity=0)
    (folder,) = [p for p in tmp_path.iterdir() if (p / MANIFEST).exists()]
    settings.BACKUP_KEY = ""
    with pytest.raises(CommandError, match="This backup is encrypted: set MEMORIAL_BACKUP_KEY"):
        call_command("restore", str(folder), database_name=scratch.name, verbosity=0)
    settings.BACKUP_KEY = new_backup_key()
    with pytest.raises(CommandError, match="encrypted with another key"):
        call_command("restore", str(folder), database_name=scratch.name, verbosity=0)
    assert not scratch.exists()


def test_backup_new_key_prints_a_usable_key(settings):
    import base64
    from io import StringIO

    out = StringIO()
    call_command("backup", new_key=True, stdout=out)
    key = out.getvalue().strip()
    assert len(base64.urlsafe_b64decode(key)) == 32
    settings.BACKUP_KEY = "too-short"
    with pytest.raises(CommandError, match="32 random bytes"):
        call_command("backup", dry_run=True, verbosity=0)


@pytest.mark.parametrize("damage", ["truncate a chunk", "drop the last chunk", "append a chunk", "other name", "flip"])
def test_an_encrypted_file_that_was_tampered_with_is_refused(tmp_path, damage):
    import base64
    import io
    import os

    from memorial.backups import BackupError, EncryptedWriter, decrypt_file, new_backup_key

    key = base64.urlsafe_b64decode(new_backup_key())
    plain = os.urandom(10_000)
    path = tmp_path / "file.enc"
    writer = EncryptedWriter(path.open("wb"), key, "database.dump", chunk=1000)
    writer.write(plain)
    writer.close()
    restored = io.BytesIO()
    decrypt_file(path, restored, key, "database.dump")
    assert restored.getvalue() == plain

    data = path.read_bytes()
    sealed = 4 + 1000 + 16  # a full chunk on disk
    header = 8 + 7
    name = "database.dump"
    if damage == "truncate a chunk":
        data = data[:-5]
    elif damage == "drop the last chunk":
        data = data[: header + 9 * sealed]  # ten chunks of 1,000 bytes, the last one gone
    elif damage == "append a chunk":
        data = data + data[header : header + sealed]
    elif damage == "other name":
        name = "media.tar.gz"
    else:
        data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
    path.write_bytes(data)
    with pytest.raises(BackupError, match="cannot be decrypted"):
        decrypt_file(path, io.BytesIO(), key, name)
