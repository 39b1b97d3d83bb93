"""Finding people entered twice: scores on made-up pairs, photo hashes, the command, the verdicts."""

from __future__ import annotations

import datetime
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from PIL import Image, ImageDraw

from common.partialdates import Precision
from tests.factories import NameVariantFactory, PlaceFactory, VictimFactory
from victims import images, services
from victims.duplicates import (
    THRESHOLD,
    Person,
    dates_agree,
    duplicate_mark_different,
    hamming,
    name_keys,
    photo_hash,
    score_pair,
)
from victims.models import DuplicatePair, DuplicateVerdict, Photo
from victims.normalize import search_key

D = Precision.DAY


def person(pk: int, *names: str, patronymic: str = "", birth=(None, ""), death=(None, ""), **facts) -> Person:
    return Person(pk=pk, name_keys={key for name in names for key in name_keys(name)}, patronymic_key=search_key(patronymic),
                  birth=birth, death=death, **facts)  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # One person in an Azerbaijani record and in a Russian document.
        (person(1, "Məmmədov Elçin", patronymic="Əli oğlu", birth=(datetime.date(1965, 3, 4), D)),
         person(2, "Мамедов Эльчин", patronymic="Али оглы", birth=(datetime.date(1965, 1, 1), Precision.YEAR))),
        # Latin transliterations, order of the names swapped, only the death date known.
        (person(3, "Xəlilova Gülnarə", death=(datetime.date(1990, 1, 20), D)),
         person(4, "Gulnara Khalilova", death=(datetime.date(1990, 1, 20), D))),
        (person(5, "Hüseynov Kərim", patronymic="Rəşid oğlu"),
         person(6, "Гусейнов Керим", patronymic="Рашид оглы")),
    ],
)  # fmt: skip
def test_spellings_of_one_person_score_above_the_threshold(a, b):
    score, reasons = score_pair(a, b)
    assert score >= THRESHOLD, reasons


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Two people with a common family name: different given names.
        (person(1, "Məmmədov Elçin", death=(datetime.date(1990, 1, 20), D)),
         person(2, "Məmmədov Rauf", death=(datetime.date(1990, 1, 20), D))),
        # Brothers: the same father, different given names.
        (person(3, "Quliyev Anar", patronymic="Vaqif oğlu"), person(4, "Quliyev Aqil", patronymic="Vaqif oğlu")),
        # The same names, different fathers and years of birth: two people.
        (person(5, "Əliyev Elçin", patronymic="Kamal oğlu", birth=(datetime.date(1960, 1, 1), Precision.YEAR)),
         person(6, "Əliyev Elçin", patronymic="Tofiq oğlu", birth=(datetime.date(1971, 1, 1), Precision.YEAR))),
    ],
)  # fmt: skip
def test_different_people_with_a_common_surname_score_below_the_threshold(a, b):
    score, reasons = score_pair(a, b)
    assert score < THRESHOLD, reasons


def test_dates_agree_at_the_coarser_precision():
    day = (datetime.date(1965, 3, 4), D)
    assert dates_agree(day, (datetime.date(1965, 1, 1), Precision.YEAR)) is True
    assert dates_agree(day, (datetime.date(1965, 3, 1), Precision.MONTH)) is True
    assert dates_agree(day, (datetime.date(1965, 4, 1), Precision.MONTH)) is False
    assert dates_agree(day, (datetime.date(1965, 3, 5), D)) is False
    assert dates_agree(day, (None, "")) is None


def test_a_near_identical_photo_flags_a_pair_whose_names_differ():
    a = person(1, "Testova Nigar", photo_hashes=[0x8F3C_0F0F_F0F0_1234])
    b = person(2, "Sınaqova Leyla", photo_hashes=[0x8F3C_0F0F_F0F0_1237])
    score, reasons = score_pair(a, b)
    assert score >= THRESHOLD and reasons[-1]["code"] == "similar_photo"
    assert score_pair(person(1, "Testova Nigar"), person(2, "Sınaqova Leyla"))[0] < THRESHOLD


def drawing(seed: int) -> Image.Image:
    """A synthetic drawing of random shapes (never a photo of a person)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (400, 500), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(400), rng.randrange(500)
        draw.ellipse((x, y, x + rng.randrange(40, 200), y + rng.randrange(40, 200)),
                     fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))  # fmt: skip
    return image


def upload(image: Image.Image, fmt: str = "JPEG", **options) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return SimpleUploadedFile(f"drawing.{fmt.lower()}", buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def stored_photo(victim, image, **options) -> Photo:
    photo = Photo(victim=victim, alt_text_en="A synthetic drawing")
    services.photo_attach_upload(photo=photo, checked=images.check_upload(upload(image, **options)))
    photo.save()
    return photo


@pytest.mark.django_db
def test_photo_hash_finds_a_re_encoded_resized_copy():
    original = drawing(1)
    copy = original.resize((240, 300)).convert("RGB")
    first, second, other = VictimFactory(), VictimFactory(), VictimFactory()
    hashes = [
        int(photo_hash(stored_photo(first, original, quality=92)), 16),
        int(photo_hash(stored_photo(second, copy, fmt="PNG")), 16),
        int(photo_hash(stored_photo(other, drawing(2), quality=92)), 16),
    ]
    assert hamming(hashes[0], hashes[1]) <= 8
    assert hamming(hashes[0], hashes[2]) > 8


@pytest.mark.django_db
def test_command_proposes_the_spellings_and_remembers_not_the_same_person(editor):
    place = PlaceFactory()
    one = VictimFactory(family_name="Məmmədov", given_name="Elçin", patronymic="Əli oğlu", place_of_death=place)
    two = VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы", place_of_death=place)
    NameVariantFactory(victim=two, name="Mamedov Elchin")
    VictimFactory(family_name="Məmmədov", given_name="Rauf", patronymic="Kamil oğlu", place_of_death=place)
    out = io.StringIO()
    call_command("find_duplicates", "--dry-run", stdout=out)
    assert "1 proposed" in out.getvalue() and not DuplicatePair.objects.exists()

    call_command("find_duplicates", stdout=io.StringIO())
    pair = DuplicatePair.objects.get()
    assert (pair.first_id, pair.second_id) == (one.pk, two.pk)
    assert pair.score >= THRESHOLD and pair.reasons[0]["code"] == "names"

    duplicate_mark_different(pair=pair, user=editor)
    call_command("find_duplicates", stdout=io.StringIO())
    assert list(DuplicatePair.objects.values_list("verdict", flat=True)) == [DuplicateVerdict.DIFFERENT]


@pytest.mark.django_db
def test_command_hashes_photos_and_flags_the_same_portrait_under_other_names():
    original = drawing(3)
    first = VictimFactory(family_name="Testova", given_name="Nigar")
    second = VictimFactory(family_name="Sınaqova", given_name="Leyla")
    stored_photo(first, original, quality=90)
    stored_photo(second, original.resize((200, 250)), quality=60)
    call_command("find_duplicates", "--photos", stdout=io.StringIO())
    assert not Photo.objects.filter(phash="").exists()
    pair = DuplicatePair.objects.get()
    assert {pair.first_id, pair.second_id} == {first.pk, second.pk}
    assert pair.reasons[-1]["code"] == "similar_photo"
