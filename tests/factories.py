"""Factories for tests. Every generated person is obviously synthetic: the family name is
marked "Sınaq" (test) and the given names are built from syllables, never real names. A woman's
family name takes the feminine ending ("Sınaqova", "Синакова"), as real records write it."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone

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


class VictimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Victim
        skip_postgeneration_save = True

    gender = Gender.UNKNOWN
    family_name = factory.LazyAttributeSequence(
        lambda o, n: f"Sınaqova{n}" if o.gender == Gender.FEMALE else f"Sınaqov{n}"
    )
    given_name = factory.Sequence(lambda n: f"Testəli{n}")
    slug = factory.Sequence(lambda n: f"synthetic-person-{n}")
    category = Category.KILLED
    status = Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    death_date = datetime.date(1990, 1, 20)
    death_precision = Precision.DAY

    @factory.post_generation
    def refresh(obj, create, extracted, **kwargs):
        if create:
            obj.full_clean()
            Victim.objects.filter(pk=obj.pk).update(age=obj.age, display_name=obj.display_name)
            services.victim_refresh_search(victim=obj)

    class Params:
        draft = factory.Trait(status=Status.DRAFT, published_at=None)


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
    published_at = factory.LazyFunction(timezone.now)
    original_language = "en"


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    source = factory.SubFactory(SourceFactory)
    victim = factory.SubFactory(VictimFactory)
    locator = "p. 12"
