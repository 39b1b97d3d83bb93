"""The registry's data rules: enforced by the database itself, mirrored in clean() for forms."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from common.partialdates import Precision, format_partial_date
from tests.factories import CitationFactory, EventFactory, PlaceFactory, SourceFactory, VictimFactory
from victims.models import Citation, Event, Photo, Place, Status, Victim

pytestmark = pytest.mark.django_db

D = datetime.date


def refused_by_database(queryset, **values) -> bool:
    """True when PostgreSQL refuses the update (clean() is bypassed entirely)."""
    try:
        with transaction.atomic():
            queryset.update(**values)
    except IntegrityError:
        return True
    return False


@pytest.fixture
def victim():
    return VictimFactory()


def victims(victim):
    return Victim.objects.filter(pk=victim.pk)


@pytest.mark.parametrize(
    "values",
    [
        {"birth_date": D(1972, 3, 12), "birth_precision": Precision.YEAR},  # "1972" must be stored as 1 January
        {"birth_date": D(1972, 3, 12), "birth_precision": Precision.MONTH},  # "March 1972" as the 1st
        {"birth_date": D(1972, 3, 1), "birth_precision": ""},  # a date needs a precision
        {"birth_date": None, "birth_precision": Precision.DAY},  # a precision needs a date
        {"death_date": D(1990, 1, 20), "death_precision": "week"},  # not a precision
        {"birth_date": D(1991, 1, 1), "birth_precision": Precision.DAY},  # born after death
        {"age_recorded": 121},
        {"age": 130},
        {"death_date": None, "death_precision": "", "death_time": datetime.time(23, 30)},  # a time needs a date
        {"family_name": "", "given_name": ""},
        {"status": Status.PUBLISHED, "published_at": None},
    ],
)
def test_the_database_refuses_impossible_victims(victim, values):
    assert refused_by_database(victims(victim), **values)


def test_the_database_accepts_partial_dates_in_the_same_year(victim):
    # Died in "1990" (stored as 1 January) and born on 15 January 1990 is possible.
    assert not refused_by_database(
        victims(victim), death_date=D(1990, 1, 1), death_precision=Precision.YEAR,
        birth_date=D(1990, 1, 15), birth_precision=Precision.DAY,
    )  # fmt: skip
    assert not refused_by_database(
        victims(victim), birth_date=D(1972, 3, 1), birth_precision=Precision.MONTH, age_recorded=17
    )


def test_bulk_create_cannot_bypass_the_constraints():
    impossible = Victim(
        family_name="Sınaqov", given_name="Test", slug="impossible", birth_date=D(1972, 3, 12), birth_precision="year"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Victim.objects.bulk_create([impossible])


def test_the_database_refuses_impossible_events_places_and_links():
    event = EventFactory()
    assert refused_by_database(Event.objects.filter(pk=event.pk), end_date=D(1990, 1, 1), end_precision="day")
    assert refused_by_database(Event.objects.filter(pk=event.pk), start_date=D(1990, 1, 20), start_precision="year")
    assert refused_by_database(Event.objects.filter(pk=event.pk), end_time=datetime.time(1, 0))
    place = PlaceFactory()
    assert refused_by_database(Place.objects.filter(pk=place.pk), latitude=91, longitude=49)
    assert refused_by_database(Place.objects.filter(pk=place.pk), latitude=40)  # both or neither
    citation = CitationFactory()
    assert refused_by_database(Citation.objects.filter(pk=citation.pk), victim=None)  # cites nothing
    assert refused_by_database(Citation.objects.filter(pk=citation.pk), event=event)  # cites two things


def test_one_primary_photo_per_person_and_a_photo_belongs_to_one_record(victim):
    Photo.objects.create(victim=victim, original="originals/a.jpg", alt_text="Sınaq", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Photo.objects.create(victim=victim, original="originals/b.jpg", alt_text="Sınaq", is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Photo.objects.create(victim=victim, event=EventFactory(), original="originals/c.jpg", alt_text="Sınaq")


def test_slugs_are_unique(victim):
    with pytest.raises(IntegrityError), transaction.atomic():
        Victim.objects.create(family_name="Sınaqov", given_name="Test", slug=victim.slug)


# --- the same rules, readable, in clean() -----------------------------------------------------------


def test_clean_explains_impossible_dates():
    person = Victim(family_name="Sınaqov", given_name="Test", slug="x", birth_date=D(1972, 3, 12),
                    birth_precision=Precision.YEAR, death_date=D(1960, 1, 1), death_precision=Precision.DAY)  # fmt: skip
    with pytest.raises(ValidationError) as error:
        person.clean()
    messages = error.value.message_dict
    assert "enter 1 January" in " ".join(messages["birth_date"])


def test_clean_refuses_death_before_birth():
    person = Victim(family_name="Sınaqov", given_name="Test", slug="x", birth_date=D(1972, 3, 12),
                    birth_precision=Precision.DAY, death_date=D(1960, 1, 1), death_precision=Precision.DAY)  # fmt: skip
    with pytest.raises(ValidationError) as error:
        person.clean()
    assert "cannot be before" in " ".join(error.value.message_dict["death_date"])


# --- display -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "stored", "en", "az", "ru"),
    [
        (Precision.YEAR, D(1972, 1, 1), "1972", "1972", "1972"),
        (Precision.MONTH, D(1972, 3, 1), "March 1972", "mart 1972", "март 1972"),
        (Precision.DAY, D(1972, 3, 12), "12 March 1972", "12 mart 1972", "12 марта 1972"),
    ],
)
def test_partial_dates_display_to_their_precision(precision, stored, en, az, ru):
    assert format_partial_date(stored, precision, "en") == en
    assert format_partial_date(stored, precision, "az") == az
    assert format_partial_date(stored, precision, "ru") == ru
    person = VictimFactory(birth_date=stored, birth_precision=precision)
    with translation.override("en"):
        assert person.birth_display == en
    with translation.override("ru"):
        assert person.birth_display == ru


def test_a_year_is_never_shown_as_1_january():
    person = VictimFactory(birth_date=D(1972, 1, 1), birth_precision=Precision.YEAR)
    with translation.override("en"):
        assert "January" not in person.birth_display


# --- age ---------------------------------------------------------------------------------------------


def test_age_is_derived_from_full_dates():
    person = VictimFactory(birth_date=D(1972, 3, 12), birth_precision=Precision.DAY, age_recorded=40)
    person.refresh_from_db()
    assert person.age == 17  # the recorded 40 is ignored when both dates are known to the day


def test_age_is_derived_across_a_birthday():
    person = VictimFactory(birth_date=D(1972, 1, 20), birth_precision=Precision.DAY)
    person.refresh_from_db()
    assert person.age == 18


def test_age_is_as_recorded_when_a_date_is_partial():
    person = VictimFactory(birth_date=D(1972, 1, 1), birth_precision=Precision.YEAR, age_recorded=17)
    person.refresh_from_db()
    assert person.age == 17
    unknown = VictimFactory()
    unknown.refresh_from_db()
    assert unknown.age is None


def test_display_name_is_composed_when_empty():
    person = VictimFactory(family_name="Məmmədov", given_name="Sınaq", patronymic="Testəli oğlu")
    assert str(person) == "Sınaq Testəli oğlu Məmmədov"


def test_sources_and_citations_read_plainly():
    source = SourceFactory(title="Synthetic test report", year=1991)
    assert str(source) == "Synthetic test report (1991)"
    assert str(CitationFactory(source=source, locator="p. 3")) == "Synthetic test report (1991), p. 3"
