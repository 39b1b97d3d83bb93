"""A merge moves what other apps hold about the person (contributions and candles) through the
mover contributions registers with victims.merging: the registry never imports contributions."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from contributions.models import Candle, Contribution
from tests.factories import CitationFactory, ContributionFactory, VictimFactory
from victims.merging import registered_movers, victim_merge, victim_merge_plan

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 1, 20)


@pytest.fixture
def pair():
    keep = VictimFactory(family_name="Testova", given_name="Nigar", slug="nigar-testova")
    merged = VictimFactory(family_name="Testova", given_name="Nigyar", slug="nigyar-testova")
    CitationFactory(victim=keep)
    return keep, merged


def test_contributions_registers_its_mover():
    assert "contributions" in [mover.name for mover in registered_movers()]


def test_merge_moves_contributions_with_history(pair, editor):
    keep, merged = pair
    about = ContributionFactory(kind="correction", victim=merged)
    other = ContributionFactory(kind="correction", victim=VictimFactory())
    victim_merge(keep=keep, merged=merged, user=editor)
    about.refresh_from_db()
    assert about.victim == keep
    assert Contribution.objects.get(pk=other.pk).victim != keep
    latest = about.history.order_by("-history_id").first()
    assert latest.victim_id == keep.pk and latest.history_user == editor
    assert "nigyar-testova" in latest.history_change_reason and "merged into nigar-testova" in latest.history_change_reason


def test_merge_moves_candles_and_counts_one_browser_once_a_day(pair, editor):
    keep, merged = pair
    same_browser, other_browser = uuid.uuid4(), uuid.uuid4()
    Candle.objects.create(victim=keep, browser=same_browser, day=DAY)
    Candle.objects.create(victim=merged, browser=same_browser, day=DAY)  # the same visitor, twice: one candle
    Candle.objects.create(victim=merged, browser=same_browser, day=DAY + datetime.timedelta(days=1))
    Candle.objects.create(victim=merged, browser=other_browser, day=DAY)
    plan = victim_merge_plan(keep=keep, merged=merged)
    assert "Candles: 2 (1 lit the same day by the same browser for both records is counted once)" in plan.lines()
    victim_merge(keep=keep, merged=merged, user=editor)
    assert Candle.objects.filter(victim=merged).count() == 0
    assert sorted(Candle.objects.filter(victim=keep).values_list("browser", "day")) == sorted(
        [(same_browser, DAY), (same_browser, DAY + datetime.timedelta(days=1)), (other_browser, DAY)]
    )


def test_dry_run_names_contributions_and_candles_and_moves_nothing(pair):
    keep, merged = pair
    contribution = ContributionFactory(kind="correction", victim=merged)
    Candle.objects.create(victim=merged, browser=uuid.uuid4(), day=DAY)
    out = io.StringIO()
    call_command("merge_people", keep.slug, merged.slug, "--dry-run", stdout=out)
    assert "Contributions: 1" in out.getvalue() and "Candles: 1" in out.getvalue()
    contribution.refresh_from_db()
    assert contribution.victim == merged and Candle.objects.get().victim == merged


def test_admin_merge_preview_lists_contributions(pair, editor, client):
    from victims.models import DuplicatePair

    keep, merged = pair
    ContributionFactory(kind="correction", victim=merged)
    duplicate = DuplicatePair.objects.create(first=keep, second=merged, score=0.9, reasons=[])
    client.force_login(editor)
    response = client.get(reverse("staff:duplicate_merge", args=[duplicate.pk]))
    assert response.status_code == 200
    assert "Contributions: 1" in response.content.decode()
