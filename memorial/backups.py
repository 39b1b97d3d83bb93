"""Backups of the memorial: a PostgreSQL dump (custom format) plus the public and private media,
in one dated folder with a manifest of SHA-256 checksums. Used by the ``backup`` and ``restore``
management commands.

Folder layout::

    var/backups/2026-11-27T153000/
        database.dump      pg_dump --format=custom (one consistent snapshot)
        media.tar.gz       MEDIA_ROOT (public photo renditions)
        private.tar.gz     PRIVATE_MEDIA_ROOT (photo originals)
        manifest.json      what was backed up, from where, and a checksum of every file

A backup is secret: the dump holds staff accounts (password hashes, two-factor keys), unpublished
records and the private originals. The folder is 0700 and every file 0600. With
``MEMORIAL_BACKUP_KEY`` set (32 random bytes, URL-safe base64; ``manage.py backup --new-key``
makes one), the three archives are written encrypted, as ``*.enc``, and never exist in plain
text on disk: AES-256-GCM in 1 MiB chunks, each chunk's nonce carrying its number and whether it is
the last, and the file's header and name bound to every chunk, so that a reordered, truncated,
extended or swapped file is refused. The manifest stays readable (checksums of the encrypted
files, so a backup can be checked without the key).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime
import hashlib
import json
import os
import secrets
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connections

DUMP = "database.dump"
MANIFEST = "manifest.json"
MEDIA_ARCHIVES = {"media": "media.tar.gz", "private": "private.tar.gz"}


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why."""


# --- Encryption (AES-256-GCM in chunks, with the key from MEMORIAL_BACKUP_KEY) -----------------

ENCRYPTED_SUFFIX = ".enc"
_MAGIC = b"BJMBAK1\n"
_PREFIX_BYTES = 7  # + a 4-byte chunk number + a 1-byte "last chunk" flag = GCM's 12-byte nonce
_CHUNK = 1024 * 1024


def new_backup_key() -> str:
    """A new random key for ``MEMORIAL_BACKUP_KEY``."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def backup_key() -> bytes | None:
    """The key from ``MEMORIAL_BACKUP_KEY`` (settings.BACKUP_KEY), or None when backups are not encrypted."""
    text = (getattr(settings, "BACKUP_KEY", "") or "").strip()
    if not text:
        return None
    try:
        key = base64.urlsafe_b64decode(text.encode())
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise BackupError(
            "MEMORIAL_BACKUP_KEY must be 32 random bytes in URL-safe base64 (python manage.py backup --new-key makes one)."
        )
    return key


def key_id(key: bytes) -> str:
    """Names the key in the manifest (without revealing it), so that a restore with another key says so."""
    return hashlib.sha256(b"memorial-backup-key|" + key).hexdigest()[:16]


class EncryptedWriter:
    """A binary file-like object that encrypts what is written to ``raw`` (see the module's docstring)."""

    def __init__(self, raw, key: bytes, name: str, chunk: int = _CHUNK):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self.raw, self.chunk, self.counter = raw, chunk, 0
        self.aead = AESGCM(key)
        self.prefix = os.urandom(_PREFIX_BYTES)
        header = _MAGIC + self.prefix
        self.aad = header + name.encode()
        self.pending = bytearray()
        raw.write(header)

    def write(self, data) -> int:
        self.pending += data
        while len(self.pending) > self.chunk:  # the last chunk is sealed on close, even when empty
            self._seal(bytes(self.pending[: self.chunk]), last=False)
            del self.pending[: self.chunk]
        return len(data)

    def _seal(self, plain: bytes, *, last: bool) -> None:
        nonce = self.prefix + self.counter.to_bytes(4, "big") + (b"\x01" if last else b"\x00")
        sealed = self.aead.encrypt(nonce, plain, self.aad)
        self.raw.write(len(sealed).to_bytes(4, "big") + sealed)
        self.counter += 1

    def flush(self) -> None:
        self.raw.flush()

    def close(self) -> None:
        if self.raw.closed:
            return
        self._seal(bytes(self.pending), last=True)
        self.pending.clear()
        self.raw.close()


def decrypt_file(source: Path, target, key: bytes, name: str) -> None:
    """Decrypt ``source`` (written by :class:`EncryptedWriter` under ``name``) into the open binary file ``target``."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    damaged = BackupError(
        f"{source.name} cannot be decrypted with MEMORIAL_BACKUP_KEY: another key, or a damaged file."
    )
    aead = AESGCM(key)
    with Path(source).open("rb") as handle:
        header = handle.read(len(_MAGIC) + _PREFIX_BYTES)
        if len(header) != len(_MAGIC) + _PREFIX_BYTES or not header.startswith(_MAGIC):
            raise BackupError(f"{source.name} is not an encrypted backup file.")
        prefix, aad, counter = header[len(_MAGIC) :], header + name.encode(), 0
        length = handle.read(4)
        if not length:
            raise damaged
        while length:
            sealed = handle.read(int.from_bytes(length, "big")) if len(length) == 4 else b""
            if len(length) != 4 or len(sealed) != int.from_bytes(length, "big"):
                raise damaged
            following = handle.read(4)
            nonce = prefix + counter.to_bytes(4, "big") + (b"\x00" if following else b"\x01")
            try:
                target.write(aead.decrypt(nonce, sealed, aad))
            except InvalidTag:
                raise damaged from None
            counter, length = counter + 1, following


@contextlib.contextmanager
def _private_files():
    """Files created meanwhile are readable by their owner only (pg_dump, tarfile, the manifest)."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def _open_private(path: Path):
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")


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

    def analyze(self) -> None:
        """Planner statistics for every table: pg_restore writes none, and until autovacuum gets to
        a restored database PostgreSQL plans blind (the person page's statement took 6 ms instead of
        1.2 ms at 100,000 people; bench/README.md)."""
        connection = self.connect()
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
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
    """Dump the database and archive the media into a new dated folder; return the folder.

    The folder is 0700 and its files 0600; with ``MEMORIAL_BACKUP_KEY`` set the dump and the
    archives are encrypted as they are written."""
    now = now or datetime.datetime.now(tz=datetime.UTC)
    key = backup_key()
    root = Path(output) if output else default_backup_root()
    folder = root / now.strftime("%Y-%m-%dT%H%M%S")
    if folder.exists():
        raise BackupError(f"{folder} exists already.")
    target = Target.for_alias(alias)
    suffix = ENCRYPTED_SUFFIX if key else ""
    with _private_files():
        root.mkdir(parents=True, exist_ok=True)
        folder.mkdir(mode=0o700)
        os.chmod(folder, 0o700)  # the dump holds staff accounts and unpublished records
        dump_args = [pg_tool("pg_dump"), "--format=custom", *target.args(), target.name]
        if key:
            _run_into(
                dump_args, target.env(), "pg_dump", EncryptedWriter(_open_private(folder / (DUMP + suffix)), key, DUMP)
            )
        else:
            _run([*dump_args[:2], "--file", str(folder / DUMP), *dump_args[2:]], target.env(), "pg_dump")
        media = {}
        for name, source in media_roots().items():
            archive_name = MEDIA_ARCHIVES[name]
            output_file = _open_private(folder / (archive_name + suffix))
            if key:
                output_file = EncryptedWriter(output_file, key, archive_name)
            try:
                with tarfile.open(fileobj=output_file, mode="w|gz") as archive:
                    if source.exists():
                        archive.add(source, arcname=".")
            finally:
                output_file.close()
            media[name] = {"root": str(source), "files": tree_checksums(source)}
        manifest = {
            "format": 1,
            "created": now.isoformat(),
            "database": {"name": target.name, "host": target.host, "alias": alias},
            "files": {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in sorted(folder.iterdir())},
            "media": media,
        }
        if key:
            manifest["encryption"] = {"cipher": "AES-256-GCM", "chunk_bytes": _CHUNK, "key_id": key_id(key)}
        with _open_private(folder / MANIFEST) as handle:
            handle.write((json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    for path in folder.iterdir():
        os.chmod(path, 0o600)
    return folder


def _run_into(args: list[str], env: dict[str, str], what: str, output) -> None:
    """Run a program and copy its standard output into ``output`` (which is closed afterwards)."""
    with tempfile.TemporaryFile() as errors:
        try:
            with subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=errors) as process:  # noqa: S603
                for block in iter(lambda: process.stdout.read(_CHUNK), b""):
                    output.write(block)
                code = process.wait()
        finally:
            output.close()
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if code != 0:
        raise BackupError(f"{what} failed ({code}): {stderr.strip()}")


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
    key = _restore_key(manifest)
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
    with tempfile.TemporaryDirectory(prefix="memorial-restore-") as scratch:
        # An encrypted backup is decrypted (and checked, chunk by chunk) before anything is replaced.
        plain = {name: _plain_file(Path(folder), name, key, Path(scratch)) for name in (DUMP, *MEDIA_ARCHIVES.values())}
        if tables:
            target.wipe()
        _run(
            [pg_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
             *target.args(), "--dbname", target.name, str(plain[DUMP])],
            target.env(),
            "pg_restore",
        )  # fmt: skip
        target.analyze()
        if media:
            for name, root in roots.items():
                if root.exists():
                    shutil.rmtree(root)
                root.mkdir(parents=True)
                with tarfile.open(plain[MEDIA_ARCHIVES[name]], "r:gz") as archive:
                    archive.extractall(root, filter="data")
                restored = tree_checksums(root)
                if restored != manifest["media"][name]["files"]:
                    raise BackupError(f"The restored {name} files do not match the manifest.")
    return manifest


def _restore_key(manifest: dict) -> bytes | None:
    encryption = manifest.get("encryption")
    if not encryption:
        return None
    key = backup_key()
    if key is None:
        raise BackupError("This backup is encrypted: set MEMORIAL_BACKUP_KEY to the key it was made with.")
    if key_id(key) != encryption.get("key_id"):
        raise BackupError("This backup was encrypted with another key than MEMORIAL_BACKUP_KEY.")
    return key


def _plain_file(folder: Path, name: str, key: bytes | None, scratch: Path) -> Path:
    """The backup's file ``name`` readable as plain data: itself, or decrypted into ``scratch`` (0700)."""
    if key is None:
        return folder / name
    plain = scratch / name
    with _open_private(plain) as handle:
        decrypt_file(folder / (name + ENCRYPTED_SUFFIX), handle, key, name)
    return plain
