"""Merging duplicates: everything moves to the kept record, one public record is left, and every
address the merged record (or a renamed one) ever had answers a permanent redirect."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from common.partialdates import Precision
from tests.factories import (
    CitationFactory,
    EventFactory,
    NameVariantFactory,
    PlaceFactory,
    SourceFactory,
    VictimFactory,
)
from tests.public_fixtures import add_photo
from victims.merging import victim_merge, victim_merge_plan
from victims.models import Citation, NameVariant, Photo, Status, Victim, VictimSlug

pytestmark = pytest.mark.django_db

LANGUAGES = ("az", "en", "ru")


def url_in(language: str, victim_or_slug) -> str:
    slug = getattr(victim_or_slug, "slug", victim_or_slug)
    with translation.override(language):
        return reverse("victims:victim_detail", kwargs={"slug": slug})


@pytest.fixture
def pair():
    """One synthetic person entered twice: the kept record and a duplicate with more attached."""
    keep = VictimFactory(family_name="Testova", given_name="Nigar", slug="nigar-testova", patronymic="",
                         occupation_en="Synthetic teacher")  # fmt: skip
    place = PlaceFactory(name_en="Synthetic Street")
    duplicate = VictimFactory(
        family_name="Тестова", given_name="Нигяр", slug="nigar-testova-2", patronymic="Testəli qızı",
        occupation_en="Synthetic engineer", place_of_death=place,
        birth_date=datetime.date(1960, 1, 1), birth_precision=Precision.YEAR,
    )  # fmt: skip
    CitationFactory(victim=keep, source=SourceFactory(key="synthetic-a"))
    NameVariantFactory(victim=keep, name="Testova Nigar")
    NameVariantFactory(victim=duplicate, name="Testova Nigar")  # the same spelling on both: kept once
    NameVariantFactory(victim=duplicate, name="Nigyar Testova")
    cited = CitationFactory(victim=duplicate, source=SourceFactory(key="synthetic-b"), locator="p. 9")
    photo = add_photo(duplicate, alt_text_en="A grey placeholder drawing")
    event = EventFactory(slug="synthetic-event")
    event.victims.add(duplicate)
    return keep, duplicate, cited, photo, event


def test_merge_moves_everything_and_leaves_one_public_record(pair, editor):
    keep, duplicate, cited, photo, event = pair
    victim_merge(keep=keep, merged=duplicate, user=editor)

    keep.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.merged_into == keep
    assert list(Victim.objects.published()) == [keep]
    assert Citation.objects.get(pk=cited.pk).victim == keep
    assert Photo.objects.get(pk=photo.pk).victim == keep
    assert list(event.victims.all()) == [keep]
    assert set(keep.variants.values_list("name", flat=True)) == {"Testova Nigar", "Nigyar Testova", "Нигяр Testəli qızı Тестова"}
    # The kept record's values win; what it left empty comes from the duplicate.
    assert keep.occupation_en == "Synthetic teacher"
    assert keep.patronymic == "Testəli qızı"
    assert keep.place_of_death.name_en == "Synthetic Street"
    assert keep.birth_date == datetime.date(1960, 1, 1) and keep.birth_precision == Precision.YEAR
    # Found under the duplicate's spellings.
    assert list(Victim.objects.published().search("Нигяр Тестова")) == [keep]
    # History on both, naming the other.
    assert "nigar-testova-2" in keep.history.first().history_change_reason
    assert "nigar-testova" in duplicate.history.first().history_change_reason
    assert duplicate.history.first().history_user == editor


def test_merge_choices_take_the_duplicates_value_field_by_field(pair, editor):
    keep, duplicate, *_ = pair
    plan = victim_merge_plan(keep=keep, merged=duplicate)
    assert {"family_name", "given_name", "occupation_en"} <= set(plan.conflicts)
    victim_merge(keep=keep, merged=duplicate, user=editor, choices={"occupation_en": "merged"})
    keep.refresh_from_db()
    assert keep.occupation_en == "Synthetic engineer"
    assert keep.family_name == "Testova"


def test_merged_record_is_never_deleted_and_the_database_holds_the_rule(pair, editor):
    keep, duplicate, *_ = pair
    victim_merge(keep=keep, merged=duplicate, user=editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Victim.objects.filter(pk=duplicate.pk).update(merged_into=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        Victim.objects.filter(pk=keep.pk).delete()  # the kept record is protected while a duplicate names it
    with pytest.raises(IntegrityError), transaction.atomic():
        Victim.objects.filter(pk=keep.pk).update(status=Status.MERGED, merged_into=keep.pk)


def test_merge_refuses_a_curator_itself_and_an_already_merged_record(pair, curator, editor):
    keep, duplicate, *_ = pair
    with pytest.raises(PermissionDenied):
        victim_merge(keep=keep, merged=duplicate, user=curator)
    with pytest.raises(ValidationError):
        victim_merge(keep=keep, merged=keep, user=editor)
    victim_merge(keep=keep, merged=duplicate, user=editor)
    with pytest.raises(ValidationError):
        victim_merge(keep=keep, merged=Victim.objects.get(pk=duplicate.pk), user=editor)


def test_merged_page_redirects_permanently_in_every_language(pair, client, editor):
    keep, duplicate, *_ = pair
    old_urls = {language: url_in(language, duplicate) for language in LANGUAGES}
    victim_merge(keep=keep, merged=duplicate, user=editor)
    for language, url in old_urls.items():
        response = client.get(url)
        assert response.status_code == 301, url
        assert response["Location"] == url_in(language, keep)


def test_a_former_slug_redirects_after_a_rename_and_after_a_merge(pair, client, editor):
    keep, duplicate, *_ = pair
    Victim.objects.filter(pk=duplicate.pk).update(slug="nigar-testova-renamed")
    Victim.objects.filter(pk=duplicate.pk).update(slug="nigar-testova-3")
    assert set(VictimSlug.objects.filter(victim=duplicate).values_list("slug", flat=True)) == {
        "nigar-testova-2", "nigar-testova-renamed",
    }  # fmt: skip
    for language in LANGUAGES:
        response = client.get(url_in(language, "nigar-testova-2"))
        assert response.status_code == 301 and response["Location"] == url_in(language, "nigar-testova-3")

    victim_merge(keep=keep, merged=Victim.objects.get(pk=duplicate.pk), user=editor)
    for slug in ("nigar-testova-2", "nigar-testova-renamed", "nigar-testova-3"):
        for language in LANGUAGES:
            response = client.get(url_in(language, slug))
            assert response.status_code == 301 and response["Location"] == url_in(language, keep), slug


def test_a_merge_of_a_merge_redirects_to_the_last_kept_record(pair, client, editor):
    keep, duplicate, *_ = pair
    third = VictimFactory(family_name="Testova", given_name="Nigar", slug="nigar-testova-third")
    CitationFactory(victim=third)
    victim_merge(keep=keep, merged=duplicate, user=editor)
    victim_merge(keep=third, merged=Victim.objects.get(pk=keep.pk), user=editor)
    assert Victim.objects.get(pk=duplicate.pk).merged_into_id == third.pk
    response = client.get(url_in("en", duplicate))
    assert response.status_code == 301 and response["Location"] == url_in("en", third)


def test_old_addresses_of_an_unpublished_record_answer_404(pair, client, editor):
    """A redirect would tell the public the slug of a record it may not see."""
    keep, duplicate, *_ = pair
    Victim.objects.filter(pk=keep.pk).update(status=Status.WITHDRAWN)
    victim_merge(keep=Victim.objects.get(pk=keep.pk), merged=duplicate, user=editor)
    assert client.get(url_in("en", duplicate)).status_code == 404
    assert client.get(url_in("en", "no-such-person")).status_code == 404


def test_command_dry_run_prints_what_would_move_and_writes_nothing(pair, django_assert_num_queries):
    keep, duplicate, *_ = pair
    before = {
        "victims": list(Victim.objects.order_by("pk").values()),
        "variants": list(NameVariant.objects.order_by("pk").values()),
        "citations": list(Citation.objects.order_by("pk").values()),
        "photos": list(Photo.objects.order_by("pk").values()),
        "history": [v.history.count() for v in Victim.objects.order_by("pk")],
    }
    out = io.StringIO()
    call_command("merge_people", keep.slug, str(duplicate.uuid), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Nigyar Testova" in text and f"Citations: {duplicate.citations.count()}" in text and "Photos: 1" in text
    assert "nigar-testova-2" in text and "Dry run" in text
    assert before == {
        "victims": list(Victim.objects.order_by("pk").values()),
        "variants": list(NameVariant.objects.order_by("pk").values()),
        "citations": list(Citation.objects.order_by("pk").values()),
        "photos": list(Photo.objects.order_by("pk").values()),
        "history": [v.history.count() for v in Victim.objects.order_by("pk")],
    }


def test_command_merges_by_slug_and_uuid(pair):
    keep, duplicate, cited, *_ = pair
    call_command("merge_people", str(keep.uuid), duplicate.slug, stdout=io.StringIO())
    assert Victim.objects.get(pk=duplicate.pk).status == Status.MERGED
    assert Citation.objects.get(pk=cited.pk).victim_id == keep.pk


def test_command_rejects_unknown_people_and_self_merge(pair):
    keep, *_ = pair
    with pytest.raises(CommandError, match="No person"):
        call_command("merge_people", keep.slug, "nobody-at-all", stdout=io.StringIO())
    with pytest.raises(CommandError, match="itself"):
        call_command("merge_people", keep.slug, str(keep.uuid), stdout=io.StringIO())
