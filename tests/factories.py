"""Factories for tests. Every generated person is obviously synthetic: the family name is
marked "Sınaq" (test) and the given names are built from syllables, never real names. A woman's
family name takes the feminine ending ("Sınaqova", "Синакова"), as real records write it."""

from __future__ import annotations

import datetime

import factory

from common.partialdates import Precision
from victims import services
from victims.models import Category, Citation, Event, Gender, NameVariant, Place, Source, Status, Victim


class PlaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Place
        django_get_or_create = ["slug"]

    name_en = factory.Sequence(lambda n: f"Test place {n}")
    slug = factory.Sequence(lambda n: f"test-place-{n}")
    kind = "street"


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    key = factory.Sequence(lambda n: f"test-source-{n}")
    kind = "book"
    title = factory.Sequence(lambda n: f"Synthetic test source {n}")
    year = 1991


def factory_source() -> Source:
    """The synthetic source that factory-made published people cite unless given their own."""
    source, _created = Source.objects.get_or_create(
        key="synthetic-factory-source", defaults={"kind": "book", "title": "Synthetic source of the test factories"}
    )
    return source


class VictimFactory(factory.django.DjangoModelFactory):
    """A person written through ``victims.services.record_save`` like any other: a published one
    cites the factory's synthetic source unless ``citations`` (unsaved Citation rows) are given."""

    class Meta:
        model = Victim

    gender = Gender.UNKNOWN
    family_name = factory.LazyAttributeSequence(
        lambda o, n: f"Sınaqova{n}" if o.gender == Gender.FEMALE else f"Sınaqov{n}"
    )
    given_name = factory.Sequence(lambda n: f"Testəli{n}")
    slug = factory.Sequence(lambda n: f"synthetic-person-{n}")
    category = Category.KILLED
    status = Status.PUBLISHED
    death_date = datetime.date(1990, 1, 20)
    death_precision = Precision.DAY

    @classmethod
    def _create(cls, model_class, *args, citations=None, variants=None, **kwargs):
        victim = model_class(*args, **kwargs)
        if citations is None:
            citations = [Citation(source=factory_source(), locator="p. 1")] if victim.status == Status.PUBLISHED else []
        victim.full_clean(validate_unique=False, validate_constraints=False)  # the service dates a publication
        return services.record_save(record=victim, citations=citations, variants=variants)

    class Params:
        draft = factory.Trait(status=Status.DRAFT)


class NameVariantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = NameVariant

    victim = factory.SubFactory(VictimFactory)
    name = factory.LazyAttributeSequence(
        lambda o, n: f"Синакова{n}" if o.victim.gender == Gender.FEMALE else f"Синаков{n}"
    )
    script = "cyrillic"
    kind = "russian"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    title_en = factory.Sequence(lambda n: f"Synthetic test event {n}")
    slug = factory.Sequence(lambda n: f"synthetic-event-{n}")
    start_date = datetime.date(1990, 1, 20)
    start_precision = Precision.DAY
    status = Status.PUBLISHED
    original_language = "en"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        victims = kwargs.pop("victims", None)
        event = services.record_save(record=model_class(*args, **kwargs))
        if victims:
            event.victims.set(victims)
        return event


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    victim = factory.SubFactory(VictimFactory)
    locator = "p. 12"


class ContributionFactory(factory.django.DjangoModelFactory):
    """A visitor's testimony about a synthetic person."""

    class Meta:
        model = "contributions.Contribution"

    kind = "testimony"
    family_name = "Testova"
    given_name = factory.Sequence(lambda n: f"Nigar{n}")
    message = "Synthetic testimony for tests."
    submitter_name = "Aysel Testova"
    submitter_email = factory.Sequence(lambda n: f"sender{n}@example.org")
    consent = True
    withdraw_token_hash = factory.Sequence(lambda n: f"{n:064x}")
