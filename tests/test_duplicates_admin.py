"""The Editors' duplicates pages: pairs side by side with their reasons, "not the same person"
remembered, and a merge whose preview chooses conflicting fields."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import CitationFactory, NameVariantFactory, PlaceFactory, VictimFactory
from victims.models import DuplicatePair, DuplicateVerdict, Status, Victim

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed():
    place = PlaceFactory()
    one = VictimFactory(family_name="Məmmədov", given_name="Elçin", patronymic="Əli oğlu", place_of_death=place,
                        slug="elcin-memmedov", occupation_en="Synthetic driver")  # fmt: skip
    two = VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы", place_of_death=place,
                        slug="elchin-mamedov", occupation_en="Synthetic welder")  # fmt: skip
    NameVariantFactory(victim=two, name="Mamedov Elchin")
    CitationFactory(victim=two, locator="p. 12")
    call_command("find_duplicates", stdout=io.StringIO())
    return DuplicatePair.objects.get(), one, two


def test_editor_sees_the_pair_side_by_side_with_its_reasons(proposed, client, editor, django_assert_max_num_queries):
    pair, one, two = proposed
    client.force_login(editor)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("staff:duplicates"))
    text = response.content.decode()
    assert response.status_code == 200
    assert str(one) in text and str(two) in text and "Mamedov Elchin" in text
    assert "Names alike" in text and "Same patronymic" in text and "Same place of death" in text


def test_the_duplicates_page_runs_the_same_queries_for_many_pairs(client, editor, django_assert_num_queries):
    client.force_login(editor)
    for n in range(3):
        a, b = VictimFactory(given_name=f"Testəli{n}"), VictimFactory(given_name=f"Testəli{n}")
        DuplicatePair.objects.create(first=min(a, b, key=lambda v: v.pk), second=max(a, b, key=lambda v: v.pk),
                                     score=0.9, reasons=[{"code": "names", "similarity": 0.9}])  # fmt: skip
    with django_assert_num_queries(9) as few:
        client.get(reverse("staff:duplicates"))
    for n in range(3, 20):
        a, b = VictimFactory(given_name=f"Testəli{n}"), VictimFactory(given_name=f"Testəli{n}")
        DuplicatePair.objects.create(first=a, second=b, score=0.9, reasons=[{"code": "names", "similarity": 0.9}])
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("staff:duplicates"))


def test_curator_may_not_see_or_decide_duplicates(proposed, client, curator):
    pair, *_ = proposed
    client.force_login(curator)
    assert client.get(reverse("staff:duplicates")).status_code == 403
    assert client.post(reverse("staff:duplicate_different", args=[pair.pk])).status_code == 403
    assert client.post(reverse("staff:duplicate_merge", args=[pair.pk]), {"confirm": "1"}).status_code == 403
    assert Victim.objects.filter(status=Status.MERGED).count() == 0


def test_not_the_same_person_is_remembered_and_never_shown_again(proposed, client, editor):
    pair, one, _two = proposed
    client.force_login(editor)
    response = client.post(reverse("staff:duplicate_different", args=[pair.pk]))
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.verdict == DuplicateVerdict.DIFFERENT and pair.decided_by == editor
    call_command("find_duplicates", stdout=io.StringIO())
    assert str(one) not in client.get(reverse("staff:duplicates")).content.decode()


def test_merge_preview_lists_conflicts_and_the_choice_is_applied(proposed, client, editor):
    pair, one, two = proposed
    client.force_login(editor)
    preview = client.get(reverse("staff:duplicate_merge", args=[pair.pk]))
    text = preview.content.decode()
    assert "Synthetic driver" in text and "Synthetic welder" in text and "elchin-mamedov" in text
    assert Victim.objects.filter(status=Status.MERGED).count() == 0  # a preview writes nothing

    response = client.post(reverse("staff:duplicate_merge", args=[pair.pk]),
                           {"keep": one.pk, "confirm": "1", "field-occupation_en": "merged"})  # fmt: skip
    assert response.status_code == 302
    one.refresh_from_db()
    two.refresh_from_db()
    assert two.status == Status.MERGED and two.merged_into == one
    assert one.occupation_en == "Synthetic welder" and one.family_name == "Məmmədov"
    assert one.citations.filter(locator="p. 12").exists()
    assert client.get(two.get_absolute_url()).status_code == 301
    # The pair is gone from the list once the command runs again (a merged person is not scored).
    call_command("find_duplicates", stdout=io.StringIO())
    assert not DuplicatePair.objects.filter(verdict=DuplicateVerdict.OPEN).exists()
