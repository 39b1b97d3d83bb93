"""Load the sourced initial content shipped in victims/content/: sources, places, the timeline's
events with their citations, and the figures the statement and the sources give.

Idempotent: what exists (matched by source key, place slug, event slug) is left as curators
made it; only what is missing is created. No person is ever created here.

The content is written in English; its Azerbaijani and Russian translations ship beside it (the
``_az`` and ``_ru`` columns, dated by ``translated_on``). They are filled in on records loaded
before they existed too, but only where that language is still empty and the English text is
still the one translated: a curator's text is never overwritten, and an English text a curator
has changed does not get the translation of the old one.
"""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from common.partialdates import truncate
from victims import services
from victims.models import Citation, Event, Place, ReportedFigure, Source, Status

CONTENT = Path(__file__).resolve().parents[2] / "content"
SOURCE_KINDS = {"archival document": "archival"}
TRANSLATIONS = ("az", "ru")


class DryRun(Exception):
    pass


def _rows(name: str) -> list[dict[str, str]]:
    with (CONTENT / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Command(BaseCommand):
    help = "Load the initial sources, places, timeline events and reported figures (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report what would be created; write nothing.")

    def handle(self, *args, dry_run: bool = False, verbosity: int = 1, **options):
        self.verbosity = verbosity
        self.created: dict[str, int] = {
            "sources": 0, "places": 0, "events": 0, "citations": 0, "figures": 0, "translations": 0,
        }  # fmt: skip
        try:
            with transaction.atomic():
                self.load()
                if dry_run:
                    raise DryRun
        except DryRun:
            self.stdout.write("Dry run: nothing written.")
        summary = ", ".join(f"{count} {name}" for name, count in self.created.items())
        if verbosity >= 1:
            self.stdout.write(f"Initial content: created {summary}.")

    def note(self, message: str) -> None:
        if self.verbosity >= 2:
            self.stdout.write(message)

    def translate(self, record, row: dict[str, str], fields: tuple[str, ...]) -> None:
        """Fill ``record``'s Azerbaijani and Russian ``fields`` from ``row`` (columns of the same
        names) where they are still empty and its English texts are those of ``row``."""
        if any((getattr(record, f"{field}_en") or "") != row[field] for field in fields):
            return
        filled = []
        for language in TRANSLATIONS:
            texts = {f"{field}_{language}": row[f"{field}_{language}"] for field in fields}
            if not any(texts.values()) or any(getattr(record, name) for name in texts):
                continue
            for name, text in texts.items():
                setattr(record, name, text)
            translated_on = row["translated_on"]
            setattr(
                record,
                f"translated_on_{language}",
                datetime.date.fromisoformat(translated_on) if translated_on else None,
            )
            filled.append(language)
        if filled:
            if hasattr(record, "version"):
                record.version += 1
            record._change_reason = "Initial content: translations shipped with the project"
            record.full_clean()
            record.save()
            self.created["translations"] += len(filled)
            self.note(f"{record._meta.model_name} {record.pk}: {', '.join(filled)}")

    def load(self) -> None:
        sources = {}
        for row in _rows("sources.csv"):
            source, created = Source.objects.get_or_create(
                key=row["key"],
                defaults={
                    "kind": SOURCE_KINDS.get(row["kind"], row["kind"]),
                    "title": row["title"],
                    "author": row["author"],
                    "publisher": row["publisher"],
                    "year": int(row["year"]) if row["year"] else None,
                    "url": row["url"],
                    "reliability": row["reliability"],
                    "notes_en": row["notes"],
                    "original_language": "en",
                },
            )
            sources[source.key] = source
            self.created["sources"] += created
            if created:
                self.note(f"source {source.key}")
            self.translate(source, row, ("notes",))

        places: dict[str, Place] = {}
        for row in _rows("places.csv"):
            place, created = Place.objects.get_or_create(
                slug=row["slug"],
                defaults={
                    "name_en": row["place"], "name_az": row["name_az"],
                    "name_ru": row["name_ru"], "kind": row["kind"],
                    "parent": places.get(row["parent"]) if row["parent"] else None,
                },
            )  # fmt: skip
            places[row["place"]] = place
            self.created["places"] += created

        now = timezone.now()
        for row in _rows("events.csv"):
            slug = slugify(f"{row['start'][:4]} {row['title']}")[:200]
            place_name = row["place"].split(",")[0].strip()
            event = Event.objects.filter(slug=slug).first()
            if event is None:
                end = datetime.date.fromisoformat(row["end"]) if row["end"] else None
                event = Event(
                    slug=slug, title_en=row["title"], summary_en=row["summary"], kind=row["kind"],
                    start_date=datetime.date.fromisoformat(row["start"]), start_precision=row["start_precision"],
                    start_time=datetime.time.fromisoformat(row["time"]) if row["time"] else None,
                    end_date=truncate(end, row["end_precision"]) if end else None,
                    end_precision=row["end_precision"] if end else "",
                    place=places.get(place_name), original_language="en", status=Status.PUBLISHED, published_at=now,
                )  # fmt: skip
                event.full_clean()
                services.record_save(record=event, reason="Initial content")
                self.created["events"] += 1
                self.note(f"event {slug}")
            self.translate(event, row, ("title", "summary"))
            for key in filter(None, (k.strip() for k in row["sources"].split(";"))):
                _, cited = Citation.objects.get_or_create(event=event, source=sources[key])
                self.created["citations"] += cited

        figure_rows = _rows("figures.csv")
        if not ReportedFigure.objects.exists():
            for row in figure_rows:
                ReportedFigure.objects.create(
                    measure=row["measure"],
                    value_text_en=row["value_text"],
                    value_low=int(row["value_low"]) if row["value_low"] else None,
                    value_high=int(row["value_high"]) if row["value_high"] else None,
                    source=sources.get(row["source"]) if row["source"] else None,
                    attribution_en=row["attribution"],
                    note_en=row["note"],
                    order=int(row["order"]),
                    original_language="en",
                )  # fmt: skip
                self.created["figures"] += 1
        for row in figure_rows:
            # Figures have no key: a shipped figure is known by what it counts, its value and who gives it.
            for figure in ReportedFigure.objects.filter(
                measure=row["measure"], value_text_en=row["value_text"], attribution_en=row["attribution"]
            ):
                self.translate(figure, row, ("value_text", "attribution"))
