"""Backups of the memorial: a PostgreSQL dump (custom format) plus the public and private media,
in one dated folder with a manifest of SHA-256 checksums. Used by the ``backup`` and ``restore``
management commands.

Folder layout::

    var/backups/2026-11-27T153000/
        database.dump      pg_dump --format=custom (one consistent snapshot)
        media.tar.gz       MEDIA_ROOT (public photo renditions)
        private.tar.gz     PRIVATE_MEDIA_ROOT (photo originals)
        manifest.json      what was backed up, from where, and a checksum of every file
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections

DUMP = "database.dump"
MANIFEST = "manifest.json"
MEDIA_ARCHIVES = {"media": "media.tar.gz", "private": "private.tar.gz"}


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


def media_roots() -> dict[str, Path]:
    return {"media": Path(settings.MEDIA_ROOT), "private": Path(settings.PRIVATE_MEDIA_ROOT)}


def default_backup_root() -> Path:
    return Path(getattr(settings, "BACKUP_ROOT", settings.BASE_DIR / "var" / "backups"))


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client program: the local installation's, else the one on PATH."""
    from common import localdb

    try:
        candidate = localdb.find_bindir() / name
        if candidate.exists():
            return str(candidate)
    except localdb.LocalDatabaseError:
        pass
    found = shutil.which(name)
    if not found:
        raise BackupError(f"{name} was not found. Install the PostgreSQL client programs (Debian: postgresql-client).")
    return found


@dataclass(frozen=True)
class Target:
    """Where a database lives: the connection settings of an alias, optionally another database name."""

    name: str
    user: str
    password: str
    host: str
    port: str

    @classmethod
    def for_alias(cls, alias: str = "default", name: str | None = None) -> Target:
        config = connections[alias].settings_dict
        if config["ENGINE"] != "django.db.backends.postgresql":
            raise BackupError("Backups need PostgreSQL.")
        return cls(
            name=name or config["NAME"],
            user=config.get("USER") or "",
            password=config.get("PASSWORD") or "",
            host=str(config.get("HOST") or ""),
            port=str(config.get("PORT") or ""),
        )

    def args(self) -> list[str]:
        """libpq options for the client programs (a Unix socket folder is a host for libpq)."""
        args = []
        if self.host:
            args += ["-h", self.host]
        if self.port:
            args += ["-p", self.port]
        if self.user:
            args += ["-U", self.user]
        return args

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.password:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self, database: str | None = None):
        import psycopg2

        params = {"dbname": database or self.name, "user": self.user or None, "password": self.password or None}
        params.update(host=self.host or None, port=self.port or None)
        return psycopg2.connect(**{k: v for k, v in params.items() if v is not None})

    def exists(self) -> bool:
        connection = self.connect(database="postgres")
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.name])
                return cursor.fetchone() is not None
        finally:
            connection.close()

    def create(self) -> None:
        from psycopg2 import sql

        connection = self.connect(database="postgres")
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        finally:
            connection.close()

    def user_tables(self) -> list[str]:
        """Tables outside PostgreSQL's own schemas: an empty list means an empty database."""
        connection = self.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT table_schema || '.' || table_name FROM information_schema.tables "
                    "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
                )
                return [row[0] for row in cursor.fetchall()]
        finally:
            connection.close()

    def wipe(self) -> None:
        """Drop everything in the public schema (tables, extensions' objects, collations)."""
        connection = self.connect()
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA IF EXISTS public CASCADE")
                cursor.execute("CREATE SCHEMA public")
        finally:
            connection.close()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_checksums(root: Path) -> dict[str, str]:
    """SHA-256 of every file under ``root``, by path relative to it."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): sha256(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603 — fixed PostgreSQL programs
    if result.returncode != 0:
        raise BackupError(f"{what} failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")


def backup_create(*, output: Path | None = None, alias: str = "default", now: datetime.datetime | None = None) -> Path:
    """Dump the database and archive the media into a new dated folder; return the folder."""
    now = now or datetime.datetime.now(tz=datetime.UTC)
    root = Path(output) if output else default_backup_root()
    folder = root / now.strftime("%Y-%m-%dT%H%M%S")
    if folder.exists():
        raise BackupError(f"{folder} exists already.")
    folder.mkdir(parents=True)
    os.chmod(folder, 0o700)  # the dump holds staff accounts and unpublished records
    target = Target.for_alias(alias)
    _run(
        [pg_tool("pg_dump"), "--format=custom", "--file", str(folder / DUMP), *target.args(), target.name],
        target.env(),
        "pg_dump",
    )
    media = {}
    for key, source in media_roots().items():
        with tarfile.open(folder / MEDIA_ARCHIVES[key], "w:gz") as archive:
            if source.exists():
                archive.add(source, arcname=".")
        media[key] = {"root": str(source), "files": tree_checksums(source)}
    manifest = {
        "format": 1,
        "created": now.isoformat(),
        "database": {"name": target.name, "host": target.host, "alias": alias},
        "files": {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in sorted(folder.iterdir())},
        "media": media,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return folder


def backup_verify(folder: Path) -> dict:
    """Read the manifest and check every file's checksum; return the manifest."""
    manifest_path = Path(folder) / MANIFEST
    if not manifest_path.exists():
        raise BackupError(f"{folder} is not a backup folder (no {MANIFEST}).")
    manifest = json.loads(manifest_path.read_text())
    for name, expected in manifest["files"].items():
        path = Path(folder) / name
        if not path.exists():
            raise BackupError(f"{name} is missing from the backup.")
        if sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} does not match its checksum: the backup is damaged.")
    return manifest


def backup_restore(
    *,
    folder: Path,
    alias: str = "default",
    database_name: str | None = None,
    force: bool = False,
    media: bool = True,
) -> dict:
    """Restore a backup folder into the configured (or named) database, and the media into the
    configured media folders. Refuses a database that has tables, or non-empty media folders,
    unless ``force``. Returns the manifest."""
    manifest = backup_verify(folder)
    target = Target.for_alias(alias, name=database_name)
    if not target.exists():
        target.create()
    tables = target.user_tables()
    if tables and not force:
        raise BackupError(
            f"Database {target.name} is not empty ({len(tables)} tables). Restore into an empty database, "
            "or pass --force to replace everything in it."
        )
    roots = media_roots()
    if media and not force:
        busy = [str(root) for root in roots.values() if root.exists() and any(root.iterdir())]
        if busy:
            raise BackupError(f"Media folders are not empty: {', '.join(busy)}. Pass --force to replace them.")
    if tables:
        target.wipe()
    _run(
        [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         *target.args(), "--dbname", target.name, str(Path(folder) / DUMP)],
        target.env(),
        "pg_restore",
    )  # fmt: skip
    if media:
        for key, root in roots.items():
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            with tarfile.open(Path(folder) / MEDIA_ARCHIVES[key], "r:gz") as archive:
                archive.extractall(root, filter="data")
            restored = tree_checksums(root)
            if restored != manifest["media"][key]["files"]:
                raise BackupError(f"The restored {key} files do not match the manifest.")
    return manifest
