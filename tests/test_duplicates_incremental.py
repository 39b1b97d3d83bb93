"""Duplicates follow changes: when a person's names, dates, places, patronymic, name variants or
photos change, that person's pairs are rescored once the change commits; "not the same person"
stays remembered; a merged or withdrawn person's open pairs disappear; and scoring one person at a
time finds exactly what scoring the whole registry finds."""

from __future__ import annotations

import datetime
import random

import pytest
from django.db import transaction

from common.partialdates import Precision
from tests.factories import CitationFactory, NameVariantFactory, PlaceFactory, VictimFactory
from tests.test_duplicates import drawing, stored_photo
from victims import services
from victims.duplicates import duplicate_mark_different, duplicates_refresh, duplicates_rescore_person
from victims.merging import victim_merge
from victims.models import DuplicatePair, DuplicateVerdict, NameVariant, Status

# Real commits: the rescoring runs when each write's own transaction commits.
pytestmark = pytest.mark.usefixtures("transactional_db")


def open_pairs() -> set[tuple[int, int]]:
    return set(DuplicatePair.objects.filter(verdict=DuplicateVerdict.OPEN).values_list("first_id", "second_id"))


def pair_of(a, b) -> tuple[int, int]:
    return (min(a.pk, b.pk), max(a.pk, b.pk))


@pytest.fixture
def elchin():
    return VictimFactory(family_name="Məmmədov", given_name="Elçin", patronymic="Əli oğlu")


def test_renaming_a_person_into_a_spelling_of_another_proposes_the_pair_on_commit(elchin):
    other = VictimFactory(family_name="Testov", given_name="Sınaq")
    other.family_name, other.given_name, other.patronymic = "Мамедов", "Эльчин", "Али оглы"
    with transaction.atomic():
        services.record_save(record=other)
        assert open_pairs() == set()  # nothing before the commit
    assert open_pairs() == {pair_of(elchin, other)}


def test_dates_that_no_longer_agree_remove_the_pair(elchin):
    born = datetime.date(1965, 3, 4)
    elchin.birth_date, elchin.birth_precision = born, Precision.DAY
    services.record_save(record=elchin)
    other = VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы",
                          birth_date=born, birth_precision=Precision.DAY)  # fmt: skip
    assert open_pairs() == {pair_of(elchin, other)}
    other.birth_date = datetime.date(1971, 8, 9)
    other.death_date, other.death_precision = datetime.date(1990, 1, 26), Precision.DAY
    services.record_save(record=other)
    assert open_pairs() == set()


def test_a_new_name_variant_is_rescored(elchin):
    other = VictimFactory(family_name="Testov", given_name="Sınaq", patronymic="Əli oğlu")
    assert open_pairs() == set()
    NameVariant.objects.create(victim=other, name="Mamedov Elchin")
    services.victim_refresh_search(victim=other)  # what the admin calls after its inlines
    assert open_pairs() == {pair_of(elchin, other)}


def test_not_the_same_person_stays_remembered(elchin, editor):
    other = VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы")
    duplicate_mark_different(pair=DuplicatePair.objects.get(), user=editor)
    other.given_name = "Elçin"
    services.record_save(record=other)
    assert open_pairs() == set()
    assert DuplicatePair.objects.get().verdict == DuplicateVerdict.DIFFERENT


def test_a_withdrawn_or_merged_persons_pairs_disappear(elchin, editor):
    twin = VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы")
    third = VictimFactory(family_name="Mamedov", given_name="Elchin", patronymic="Ali oglu")
    assert open_pairs() == {pair_of(elchin, twin), pair_of(elchin, third), pair_of(twin, third)}
    with transaction.atomic():
        services.victim_withdraw(victim=third, user=editor, reason="Synthetic test")
        assert open_pairs() == {pair_of(elchin, twin)}  # at once, in the withdrawal's transaction
    victim_merge(keep=elchin, merged=twin, user=editor)
    assert open_pairs() == set()
    # A withdrawn person comes back: proposed again.
    services.record_transition(record=third, to_status=Status.PUBLISHED, user=editor)
    assert open_pairs() == {pair_of(elchin, third)}


def test_a_new_photo_flags_the_same_portrait_under_another_name():
    first = VictimFactory(family_name="Testova", given_name="Nigar")
    second = VictimFactory(family_name="Sınaqova", given_name="Leyla")
    image = drawing(5)
    with transaction.atomic():  # as the admin saves a photo: the upload and the row in one transaction
        stored_photo(first, image, quality=90)
    assert open_pairs() == set()
    with transaction.atomic():
        photo = stored_photo(second, image.resize((200, 250)), quality=60)
    photo.refresh_from_db()
    assert photo.phash  # hashed once saved
    assert open_pairs() == {pair_of(first, second)}
    assert DuplicatePair.objects.get().reasons[-1]["code"] == "similar_photo"


def test_an_unrelated_change_does_not_rescore(elchin):
    twin = VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы")
    DuplicatePair.objects.update(score=0.5)
    elchin.occupation_en = "Synthetic occupation"
    services.record_save(record=elchin)
    assert DuplicatePair.objects.get().score == 0.5  # not scored again
    twin.given_name = "Elçin"
    services.record_save(record=twin)
    assert DuplicatePair.objects.get().score > 0.5


def test_one_person_at_a_time_finds_what_the_whole_registry_finds():
    """Synthetic spellings (Latin, Cyrillic, swapped, typed without letters), dates and places
    mixed at random: the pairs of every person rescored one by one equal the whole scoring's."""
    rng = random.Random(17)
    families = [("Məmmədov", "Мамедов", "Mamedov"), ("Hüseynova", "Гусейнова", "Huseynova"),
                ("Xəlilov", "Халилов", "Khalilov"), ("Testov", "Тестов", "Testov")]  # fmt: skip
    givens = [("Elçin", "Эльчин", "Elchin"), ("Gülnarə", "Гюльнара", "Gulnara"), ("Kərim", "Керим", "Kerim")]
    places = [PlaceFactory(), PlaceFactory()]
    people = []
    for _ in range(40):
        family, given = rng.choice(families), rng.choice(givens)
        script = rng.randrange(3)
        born = datetime.date(rng.choice([1960, 1961, 1970]), 1, 1) if rng.random() < 0.6 else None
        person = VictimFactory(
            family_name=family[script], given_name=given[script], patronymic=rng.choice(["", "Əli oğlu", "Rəşid oğlu"]),
            birth_date=born, birth_precision=Precision.YEAR if born else "",
            place_of_death=rng.choice([None, *places]),
        )  # fmt: skip
        if rng.random() < 0.3:
            NameVariantFactory(victim=person, name=f"{given[(script + 1) % 3]} {family[(script + 1) % 3]}")
        people.append(person)
    CitationFactory(victim=people[0])
    duplicates_refresh()
    whole = {(p.first_id, p.second_id): p.score for p in DuplicatePair.objects.all()}
    assert len(whole) > 20  # the data makes many pairs
    DuplicatePair.objects.all().delete()
    for person in people:
        duplicates_rescore_person(victim_id=person.pk)
    one_by_one = {(p.first_id, p.second_id): p.score for p in DuplicatePair.objects.all()}
    assert one_by_one == whole


def test_each_person_is_rescored_once_per_transaction(elchin, monkeypatch):
    from victims import duplicates

    calls = []
    real = duplicates.duplicates_rescore_person
    monkeypatch.setattr(duplicates, "duplicates_rescore_person", lambda **kw: calls.append(kw) or real(**kw))
    twin = VictimFactory(family_name="Testov", given_name="Sınaq")
    calls.clear()
    with transaction.atomic():
        twin.family_name = "Мамедов"
        services.record_save(record=twin)
        NameVariant.objects.create(victim=twin, name="Mamedov Elchin")
        services.victim_refresh_search(victim=twin)
        assert calls == []
    assert calls == [{"victim_id": twin.pk}]
    assert open_pairs() == {pair_of(elchin, twin)}


def test_a_large_batch_is_left_to_find_duplicates(elchin, monkeypatch, caplog):
    from victims import duplicates

    monkeypatch.setattr(duplicates, "RESCORE_AT_MOST", 1)
    with transaction.atomic():
        VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы")
        VictimFactory(family_name="Mamedov", given_name="Elchin", patronymic="Ali oglu")
    assert open_pairs() == set()
    assert "run manage.py find_duplicates" in caplog.text
