"""Synthetic registry records for the export and import tests: Azerbaijani letters, Cyrillic
variants, partial dates, several citations each. Every name is marked "Sınaq" (test data)."""

from __future__ import annotations

import datetime

from django.utils import timezone

from common.partialdates import Precision
from tests.factories import EventFactory, PlaceFactory, SourceFactory, VictimFactory
from victims import services
from victims.models import Category, Citation, Gender, NameVariant, Status


def rich_registry() -> dict:
    """Three people, two places, three sources, one event; returns them by name."""
    street = PlaceFactory(slug="sinaq-kuchesi", name_az="Sınaq küçəsi", name_en="Test street", name_ru="Тестовая улица")
    cemetery = PlaceFactory(slug="sinaq-xiyabani", name_az="Sınaq xiyabanı", kind="cemetery", parent=street)
    sources = [SourceFactory(key=f"sinaq-menbe-{n}", title=f"Sınaq mənbəyi {n}; “quoted” | piped") for n in (1, 2, 3)]
    first = VictimFactory(
        family_name="Sınaqlı Məmmədova", given_name="Şəhla", patronymic="Əli qızı", gender=Gender.FEMALE,
        slug="sinaq-shehla", birth_date=datetime.date(1972, 3, 1), birth_precision=Precision.MONTH,
        death_date=datetime.date(1990, 1, 20), death_precision=Precision.DAY, death_time=datetime.time(0, 40),
        place_of_death=street, burial_place=cemetery, nationality="azərbaycanlı",
        occupation_az="müəllim", occupation_en="teacher", occupation_ru="учитель",
        circumstances_az="Sınaq: şərh, vergül; nöqtəli vergül | xətt", circumstances_ru="Тест: «кавычки», запятая",
        biography_az="Birinci abzas.\n\nİkinci abzas: ı, ş, ğ, ç, ö, ü, ə.", biography_en='He said "test", then left.',
        original_language="az",
        citations=[
            Citation(source=sources[0], locator="s. 12; 14", supports="ölüm tarixi | yeri"),
            Citation(source=sources[1], locator="", supports=""),
            Citation(source=sources[2], locator="арх. 5", supports="дата смерти"),
        ],
    )  # fmt: skip
    second = VictimFactory(
        family_name="Sınaqova", given_name="Gülnarə", gender=Gender.FEMALE, slug="sinaq-gulnare",
        birth_date=datetime.date(1965, 1, 1), birth_precision=Precision.YEAR,
        death_date=datetime.date(1990, 1, 1), death_precision=Precision.MONTH, age_recorded=24,
        category=Category.DIED_OF_WOUNDS, place_of_death=street, original_language="ru",
        citations=[Citation(source=sources[0], locator="p. 3", supports="")],
    )  # fmt: skip
    third = VictimFactory(
        family_name="Sınaqzadə", given_name="İlqar", slug="sinaq-ilqar", category=Category.MISSING,
        death_date=None, death_precision="", status=Status.DRAFT, published_at=None,
    )  # fmt: skip
    NameVariant.objects.create(victim=first, name="Синаглы Мамедова Шахла", script="cyrillic", kind="russian")
    NameVariant.objects.create(victim=first, name="Sinagli Mammadova Shahla", script="latin", kind="transliteration")
    NameVariant.objects.create(victim=first, name="Şəhla; \\ xanım | ana", script="latin", kind="nickname")
    NameVariant.objects.create(victim=second, name="Синагова Гюльнара", script="cyrillic", kind="russian")
    for victim in (first, second, third):
        services.victim_refresh_search(victim=victim)
    event = EventFactory(slug="sinaq-hadise", title_az="Sınaq hadisəsi", title_ru="Тестовое событие", place=street)
    event.victims.add(first, second)
    Citation.objects.create(event=event, source=sources[2], locator="p. 1", supports="the date")
    return {"first": first, "second": second, "third": third, "event": event, "street": street,
            "cemetery": cemetery, "sources": sources, "now": timezone.now()}  # fmt: skip
