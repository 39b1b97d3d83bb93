"""Records as the API gives them: plain dicts in the shapes of :mod:`victims.api.schemas`.

Texts are in the active language (the request's), with the record's own fallback
(common.translation_fallback); every URL is absolute, on the canonical origin.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.files.storage import default_storage
from django.urls import reverse

from common.partialdates import format_partial_date, iso_partial_date
from common.siteurl import absolute_url
from common.translation_fallback import translated
from victims.models import Citation, Event, Photo, Place, Source, Victim


def partial_date(value: datetime.date | None, precision: str) -> dict | None:
    if value is None:
        return None
    return {
        "date": iso_partial_date(value, precision),
        "precision": precision,
        "display": format_partial_date(value, precision),
    }


def text(record, field: str) -> dict | None:
    value = translated(record, field)
    return {"text": value.text, "language": value.language} if value else None


def api_url(name: str, **kwargs) -> str:
    return absolute_url(reverse(f"api:{name}", kwargs=kwargs))


def place_ref(place: Place | None) -> dict | None:
    return {"slug": place.slug, "name": place.name} if place else None


def place_detail(place: Place | None) -> dict | None:
    return {"slug": place.slug, "name": place.name, "kind": place.kind} if place else None


def photo(photo: Photo) -> dict[str, Any]:
    renditions = {}
    for size, files in sorted((photo.renditions or {}).items()):
        renditions[size] = {
            "webp": absolute_url(default_storage.url(files["webp"])) if files.get("webp") else None,
            "jpeg": absolute_url(default_storage.url(files["jpeg"])) if files.get("jpeg") else None,
            "width": files.get("width"),
            "height": files.get("height"),
        }
    return {
        "alt_text": photo.alt_text or "",
        "caption": photo.caption or "",
        "credit": photo.credit,
        "licence": photo.licence,
        "renditions": renditions,
    }


def person_summary(victim: Victim, page_url) -> dict[str, Any]:
    photos = getattr(victim, "primary_photos", [])
    return {
        "uuid": str(victim.uuid),
        "slug": victim.slug,
        "name": str(victim),
        "given_name": victim.given_name,
        "patronymic": victim.patronymic,
        "family_name": victim.family_name,
        "gender": victim.gender,
        "category": victim.category,
        "birth": partial_date(victim.birth_date, victim.birth_precision),
        "death": partial_date(victim.death_date, victim.death_precision),
        "age": victim.age,
        "place_of_death": place_ref(victim.place_of_death),
        "photo": photo(photos[0]) if photos else None,
        "url": absolute_url(page_url(victim.slug)),
        "api_url": api_url("person", key=victim.slug),
    }


def source_ref(source: Source) -> dict[str, Any]:
    return {
        "key": source.key,
        "kind": source.kind,
        "title": source.title,
        "author": source.author,
        "publisher": source.publisher,
        "year": source.year,
        "url": source.url,
        "archive_reference": source.archive_reference,
        "reliability": source.reliability,
    }


def citation(citation: Citation) -> dict[str, Any]:
    return {"source": source_ref(citation.source), "locator": citation.locator, "supports": citation.supports}


def event_ref(event: Event) -> dict[str, Any]:
    return {
        "slug": event.slug,
        "title": str(translated(event, "title")),
        "start": partial_date(event.start_date, event.start_precision),
        "url": absolute_url(event.get_absolute_url()),
        "api_url": api_url("event", slug=event.slug),
    }


def person_detail(victim: Victim) -> dict[str, Any]:
    """``victim`` comes with ``public_merged_from`` prefetched: the records merged into it that were
    once published (victims.api.endpoints); a draft merged away is never named."""
    return {
        "uuid": str(victim.uuid),
        "slug": victim.slug,
        "name": str(victim),
        "given_name": victim.given_name,
        "patronymic": victim.patronymic,
        "family_name": victim.family_name,
        "variants": [{"name": v.name, "script": v.script, "kind": v.kind} for v in victim.variants.all()],
        "gender": victim.gender,
        "category": victim.category,
        "category_label": victim.category_label,
        "birth": partial_date(victim.birth_date, victim.birth_precision),
        "death": partial_date(victim.death_date, victim.death_precision),
        "death_time": victim.death_time.isoformat(timespec="minutes") if victim.death_time else None,
        "age": victim.age,
        "place_of_birth": place_detail(victim.place_of_birth),
        "place_of_death": place_detail(victim.place_of_death),
        "burial_place": place_detail(victim.burial_place),
        "nationality": victim.nationality,
        "occupation": text(victim, "occupation"),
        "circumstances": text(victim, "circumstances"),
        "biography": text(victim, "biography"),
        "citations": [citation(c) for c in victim.citations.all()],
        "events": [event_ref(e) for e in victim.events.all()],
        "photos": [photo(p) for p in victim.photos.all()],
        "published_at": victim.published_at,
        "updated_at": victim.updated_at,
        "url": absolute_url(victim.get_absolute_url()),
        "api_url": api_url("person", key=victim.slug),
        "merged_from": [str(merged.uuid) for merged in victim.public_merged_from],
    }


def event_summary(event: Event) -> dict[str, Any]:
    return {
        "uuid": str(event.uuid),
        "slug": event.slug,
        "title": str(translated(event, "title")),
        "summary": text(event, "summary"),
        "kind": event.kind,
        "start": partial_date(event.start_date, event.start_precision),
        "start_time": event.start_time.isoformat(timespec="minutes") if event.start_time else None,
        "end": partial_date(event.end_date, event.end_precision),
        "place": place_ref(event.place),
        "url": absolute_url(event.get_absolute_url()),
        "api_url": api_url("event", slug=event.slug),
    }


def place_row(place: Place) -> dict[str, Any]:
    return {
        "slug": place.slug,
        "name": place.name,
        "kind": place.kind,
        "parent": place.parent.slug if place.parent_id else None,
        "latitude": float(place.latitude) if place.latitude is not None else None,
        "longitude": float(place.longitude) if place.longitude is not None else None,
    }
