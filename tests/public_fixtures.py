"""Synthetic records for the browser tests of the public site (obviously not real people)."""

from __future__ import annotations

import datetime
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from common.partialdates import Precision
from tests.factories import CitationFactory, NameVariantFactory, PlaceFactory, SourceFactory, VictimFactory
from victims import images, services
from victims.models import Category, Event, Gender, Photo

FAMILY_NAMES = ["Abbasov", "Cəfərli", "Çələbiyev", "Əsgərov", "Həsənli", "İsmayılzadə", "Qasımlı", "Şirinli",
                "Ümidli", "Zərbəliyev"]  # fmt: skip


def portrait_upload() -> SimpleUploadedFile:
    """A grey placeholder drawing (a head and shoulders), never a photo of a person."""
    image = Image.new("RGB", (300, 380), (200, 200, 198))
    draw = ImageDraw.Draw(image)
    draw.ellipse((100, 60, 200, 170), fill=(120, 120, 118))
    draw.rectangle((60, 200, 240, 380), fill=(120, 120, 118))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("placeholder.jpg", buffer.getvalue(), content_type="image/jpeg")


def add_photo(victim, **fields) -> Photo:
    photo = Photo(victim=victim, **{"is_primary": True, **fields})
    services.photo_attach_upload(photo=photo, checked=images.check_upload(portrait_upload()))
    photo.save()
    return photo


def public_records() -> dict:
    """A small registry: two Məmmədov spellings to search for, a photo, a citation, an event."""
    place = PlaceFactory(name_en="Synthetic Avenue", name_az="Sınaq prospekti", name_ru="Тестовый проспект")
    source = SourceFactory(key="synthetic-report", kind="report", title="Synthetic report on the test records",
                           author="Test Author", year=1991)  # fmt: skip
    person = VictimFactory(
        family_name="Məmmədov", given_name="Sınaqəli", patronymic="Testər oğlu", gender=Gender.MALE,
        birth_date=datetime.date(1965, 3, 1), birth_precision=Precision.MONTH, age_recorded=24,
        place_of_death=place, burial_place=place, occupation_en="Test engineer (synthetic record)",
        circumstances_en="A synthetic record for the tests.",
        biography_en="A synthetic biography used by the browser tests.\n\nIt is not about a real person.",
        original_language="en",
    )  # fmt: skip
    NameVariantFactory(victim=person, name="Мамедов Синагали")
    services.victim_refresh_search(victim=person)
    add_photo(person, alt_text_en="A grey placeholder drawing of a head and shoulders",
              caption_en="Placeholder image", credit="Test suite", licence="CC0")  # fmt: skip
    CitationFactory(victim=person, source=source, locator="p. 7", supports="date and place of death")
    woman = VictimFactory(family_name="Məmmədova", given_name="Testərə", gender=Gender.FEMALE,
                          category=Category.WOUNDED, age_recorded=31, death_date=datetime.date(1990, 1, 21))  # fmt: skip
    others = [
        VictimFactory(family_name=name, given_name=f"Sınaq{i}", age_recorded=18 + 4 * i, place_of_death=place,
                      death_date=datetime.date(1990, 1, 19 + i % 3))
        for i, name in enumerate(FAMILY_NAMES)
    ]  # fmt: skip
    event = Event.objects.filter(slug="1990-civilians-killed-and-wounded").first()
    if event:
        event.victims.add(person, *others[:3])
    return {"person": person, "woman": woman, "others": others, "source": source, "place": place, "event": event}
