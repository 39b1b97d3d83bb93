"""The downloadable dataset: the published registry as a Frictionless data package (ZIP) and a JSON
dump, written as files with their date and checksum, the last ``DATASET_KEEP`` kept.

:func:`dataset_publish` writes a new release when the registry's generation has changed since the
last one and that one is at least ``DATASET_MIN_INTERVAL_MINUTES`` old (``force`` skips both
checks). It reuses the staff exports (victims.exchange) with the public filters: published people
and events, the places they refer to, the sources. The files are written beside their final
names and renamed into place, and ``releases.json`` lists them, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from victims.caching import forget_generation, registry_generation
from victims.exchange.datapackage import PACKAGE_NAME, export_package
from victims.exchange.exports import ExportFilters, _plain, iter_json
from victims.models import Place, Status

MANIFEST = "releases.json"
NAME = PACKAGE_NAME  # black-january-registry


class PublicFilters(ExportFilters):
    """Published people and events; of the places, only those a published record refers to (and the
    places they are part of), so a place named only by a draft stays unseen."""

    def __init__(self):
        super().__init__(statuses=[Status.PUBLISHED])

    def places(self):
        places = {place.pk: place.parent_id for place in Place.objects.only("id", "parent_id")}
        keep = set(Place.objects.public().values_list("pk", flat=True))
        pending = list(keep)
        while pending:
            parent = places.get(pending.pop())
            if parent and parent not in keep:
                keep.add(parent)
                pending.append(parent)
        return _plain(Place).filter(pk__in=keep)


@dataclass(frozen=True)
class DatasetFile:
    name: str
    format: str
    size: int
    sha256: str


def root() -> Path:
    return Path(settings.DATASET_ROOT)


def releases() -> list[dict]:
    """The releases kept, newest first: ``{"created", "generation", "people", "files": [...]}``."""
    try:
        return json.loads((root() / MANIFEST).read_text(encoding="utf-8"))["releases"]
    except (FileNotFoundError, ValueError, KeyError):
        return []


def latest_release() -> dict | None:
    found = releases()
    return found[0] if found else None


@contextlib.contextmanager
def _lock() -> Iterator[None]:
    root().mkdir(parents=True, exist_ok=True)
    with open(root() / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write(path: Path, write) -> DatasetFile:
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as handle:
        write(handle)
    os.replace(partial, path)
    return DatasetFile(name=path.name, format=path.suffix.lstrip("."), size=path.stat().st_size, sha256=_digest(path))


def _write_json(handle) -> int:
    counter: list[int] = []
    for chunk in iter_json(PublicFilters(), counter=counter):
        handle.write(chunk.encode("utf-8"))
    return counter[0]


def dataset_due(*, now: datetime.datetime | None = None) -> str:
    """Why a new release is (not) due: "" when it is, else the reason."""
    now = now or timezone.now()
    latest = latest_release()
    if latest is None:
        return ""
    forget_generation()
    if latest["generation"] == registry_generation():
        return "unchanged"
    created = datetime.datetime.fromisoformat(latest["created"])
    if now - created < datetime.timedelta(minutes=settings.DATASET_MIN_INTERVAL_MINUTES):
        return "too soon"
    return ""


def dataset_publish(*, force: bool = False, now: datetime.datetime | None = None) -> dict | None:
    """Write a new release of the dataset if one is due (or ``force``); return it, else None."""
    with _lock():
        if not force and dataset_due(now=now):
            return None
        forget_generation()
        generation = registry_generation()
        created = (now or timezone.now()).replace(microsecond=0)
        stem = f"{NAME}-{created.astimezone(datetime.UTC):%Y-%m-%dT%H%M%SZ}"
        folder = root()
        people = PublicFilters().victims().count()
        files = [
            _write(folder / f"{stem}.zip", lambda handle: export_package(handle, PublicFilters())),
            _write(folder / f"{stem}.json", _write_json),
        ]
        release = {
            "created": created.isoformat(),
            "generation": generation,
            "people": people,
            "licence": settings.DATA_LICENCE_NAME,
            "files": [file.__dict__ for file in files],
        }
        kept = [release, *[old for old in releases() if old["files"][0]["name"] != files[0].name]]
        for old in kept[settings.DATASET_KEEP :]:
            for file in old["files"]:
                (folder / file["name"]).unlink(missing_ok=True)
        kept = kept[: settings.DATASET_KEEP]
        manifest = folder / MANIFEST
        partial = manifest.with_name(MANIFEST + ".part")
        partial.write_text(json.dumps({"releases": kept}, indent=2), encoding="utf-8")
        os.replace(partial, manifest)
        return release


def dataset_path(name: str) -> Path | None:
    """The file ``name`` of a kept release, or None (never anything else under the folder)."""
    for release in releases():
        for file in release["files"]:
            if file["name"] == name:
                path = root() / name
                return path if path.is_file() else None
    return None
