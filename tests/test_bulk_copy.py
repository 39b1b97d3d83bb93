"""The bulk write path through COPY (victims.copying) writes exactly the rows and history rows that
django-simple-history's ``bulk_create_with_history`` wrote before it, in a fixed number of queries.

Every person here is synthetic test data ("Sınaqova", "Testər qızı")."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from tests.factories import PlaceFactory, SourceFactory
from victims import services
from victims.models import Citation, NameVariant, Victim

pytestmark = pytest.mark.django_db

WHEN = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
STAMPS = {"id", "history_id", "created_at", "updated_at", "published_at", "victim", "victim_id"}  # keys, clocks


def people(count: int, *, source, place) -> tuple[list[Victim], list[list[NameVariant]], list[list[Citation]]]:
    """The same synthetic input every time it is called (fresh unsaved objects, fixed UUIDs)."""
    victims, variants, citations = [], [], []
    for n in range(count):
        victims.append(Victim(
            uuid=uuid.UUID(int=n + 1), slug=f"sinaqova-testera-{n}", family_name="Sınaqova", given_name=f"Testərə{n}",
            patronymic="Testər qızı", gender="female", category="killed", status="published" if n % 2 else "draft",
            death_date=datetime.date(1990, 1, 20), death_precision="day", birth_date=datetime.date(1930 + n, 5, 1),
            birth_precision="month", place_of_death=place, occupation_en="Synthetic\ttab\\slash\nline",
            biography_ru="Тестовая запись.", nationality="synthetic",
        ))  # fmt: skip
        variants.append([NameVariant(name=f"Синагова Тестера{n}", script="cyrillic", kind="russian")] * (n % 3 > 0))
        citations.append([Citation(source=source, locator=f"p. {n}", supports="date of death")])
    return victims, variants, citations


def old_path(victims, variants, citations, *, user, reason, when) -> None:
    """victims_bulk_create as it was: derivation by the service, rows by bulk_create_with_history."""
    for victim, names, cited in zip(victims, variants, citations, strict=True):
        victim.version = 1
        services.victim_derive(victim=victim, stored_parts=None, variant_names=[v.name for v in names])
        services.record_check_publication(victim, was_published=False, citation_count=len(cited))
        services._sign(victim, user=user, reason=reason)
    bulk_create_with_history(victims, Victim, default_user=user, default_change_reason=reason, default_date=when)
    for model, groups in ((NameVariant, variants), (Citation, citations)):
        rows = [row for victim, group in zip(victims, groups, strict=True) for row in group]
        for victim, group in zip(victims, groups, strict=True):
            for row in group:
                row.victim = victim
        bulk_create_with_history(rows, model, default_user=user, default_change_reason=reason, default_date=when)


def snapshot() -> dict:
    """Every row the write touched, keyed by the person's UUID, without keys and clock stamps."""

    def clean(row: dict) -> dict:
        return {k: v for k, v in row.items() if k not in STAMPS}

    uuids = {v.pk: v.uuid for v in Victim.objects.all()}
    return {
        "victims": sorted((clean(r) for r in Victim.objects.values()), key=lambda r: r["uuid"]),
        "victim history": sorted((clean(r) for r in Victim.history.values()), key=lambda r: r["uuid"]),
        **{
            name: sorted(
                ((uuids[r["victim_id"]], clean(r)) for r in manager.values()), key=lambda x: (x[0], x[1]["name"]
                if "name" in x[1] else x[1]["locator"])
            )
            for name, manager in (
                ("variants", NameVariant.objects), ("variant history", NameVariant.history),
                ("citations", Citation.objects), ("citation history", Citation.history),
            )
        },
    }  # fmt: skip


def test_the_copy_path_writes_the_same_rows_and_history_as_bulk_create_with_history():
    source = SourceFactory()
    place = PlaceFactory()
    user = get_user_model().objects.create(username="curator-testova")
    with transaction.atomic():
        old_path(*people(7, source=source, place=place), user=user, reason="Import of x.csv", when=WHEN)
        before = snapshot()
        transaction.set_rollback(True)
    assert not Victim.objects.exists()
    victims, variants, citations = people(7, source=source, place=place)
    created = services.victims_bulk_create(
        victims=victims, variants=variants, citations=citations, user=user, reason="Import of x.csv", when=WHEN
    )
    after = snapshot()
    assert after == before
    assert len(after["victims"]) == 7 and len(after["variant history"]) == 4 and len(after["citation history"]) == 7
    # Keys, clock stamps and the objects handed back are as bulk_create leaves them.
    stored = {v.pk: v for v in Victim.objects.all()}
    assert [v.pk for v in created] == sorted(stored) and all(not v._state.adding for v in created)
    for victim in created:
        assert stored[victim.pk].created_at == victim.created_at and victim.created_at <= timezone.now()
        assert (stored[victim.pk].published_at is not None) == (victim.status == "published")
        history = victim.history.get()
        assert (history.history_type, history.history_user, history.history_date) == ("+", user, WHEN)
    assert all(v.pk and v.victim_id for group in variants for v in group)
    assert sorted(NameVariant.history.values_list("id", flat=True)) == sorted(
        NameVariant.objects.values_list("id", flat=True)
    )


def test_copy_keeps_tabs_backslashes_and_newlines():
    source = SourceFactory()
    victims, variants, citations = people(1, source=source, place=None)
    services.victims_bulk_create(victims=victims, variants=variants, citations=citations)
    stored = Victim.objects.get()
    assert stored.occupation_en == "Synthetic\ttab\\slash\nline" and stored.place_of_death is None
    assert stored.history.get().occupation_en == "Synthetic\ttab\\slash\nline"


@pytest.mark.parametrize("count", [2, 40])
def test_the_bulk_path_runs_the_same_queries_for_few_and_many(django_assert_num_queries, count):
    source = SourceFactory()
    victims, variants, citations = people(count, source=source, place=None)
    # A savepoint and its release; per model (people, variants, citations): the keys, the COPY, the history rows.
    with django_assert_num_queries(11):
        services.victims_bulk_create(victims=victims, variants=variants, citations=citations, reason="bulk")
    assert Victim.objects.count() == count
