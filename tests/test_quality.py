"""The Editors' data quality page: each check counts exactly the records its admin list shows
(the link really filters), in a fixed number of queries, for Editors only, in three languages."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from common.partialdates import Precision
from tests.factories import CitationFactory, EventFactory, NameVariantFactory, SourceFactory, VictimFactory
from victims import quality
from victims.merging import victim_merge
from victims.models import Citation, Photo, Source, Status, Victim

pytestmark = pytest.mark.django_db

D, M, Y = Precision.DAY, Precision.MONTH, Precision.YEAR


def photo(owner, credit: str = "") -> Photo:
    """A photo row (no file is read by the checks)."""
    field = "victim" if isinstance(owner, Victim) else "event"
    return Photo.objects.create(**{field: owner}, original="originals/synthetic.jpg", alt_text="A synthetic drawing",
                                credit=credit)  # fmt: skip


def test_the_events_period_comes_from_the_shipped_timeline():
    first, last = quality.events_period()
    # The night's events of victims/content/events.csv: the barricades (18 January) to the
    # killings outside Baku (25–26 January 1990).
    assert (first, last) == (datetime.date(1990, 1, 18), datetime.date(1990, 1, 26))


@pytest.mark.parametrize(
    ("date", "precision", "outside"),
    [
        (datetime.date(1990, 1, 20), D, False),
        (datetime.date(1990, 1, 26), D, False),
        (datetime.date(1990, 1, 18), D, False),
        (datetime.date(1990, 1, 17), D, True),
        (datetime.date(1990, 1, 27), D, True),
        (datetime.date(1990, 3, 2), D, True),
        (datetime.date(1990, 1, 1), M, False),
        (datetime.date(1990, 2, 1), M, True),
        (datetime.date(1989, 12, 1), M, True),
        (datetime.date(1990, 1, 1), Y, False),
        (datetime.date(1991, 1, 1), Y, True),
    ],
)
def test_a_date_of_death_is_outside_the_period_at_its_precision(date, precision, outside):
    person = VictimFactory(death_date=date, death_precision=precision)
    found = quality.quality_filter(Victim.objects.all(), "death_outside_period")
    assert (person in found) is outside


@pytest.fixture
def registry(editor):
    """Records that each check finds, and records it must not find."""
    fine = VictimFactory(family_name="Testova", given_name="Nigar")
    NameVariantFactory(victim=fine, name="Тестова Нигяр")
    photo(fine, credit="Synthetic archive")
    expected = {code: set() for code in quality.CODES}

    uncited = VictimFactory(draft=True)  # a draft without a citation, one name form, new
    expected["no_citation"].add(uncited.pk)
    no_death = VictimFactory(death_date=None, death_precision="")
    expected["no_death_date"].add(no_death.pk)
    late = VictimFactory(death_date=datetime.date(1990, 2, 1), death_precision=M)
    expected["death_outside_period"].add(late.pk)
    old = VictimFactory(draft=True)
    CitationFactory(victim=old)
    Victim.objects.filter(pk=old.pk).update(created_at=timezone.now() - datetime.timedelta(days=91))
    expected["no_citation"] -= {old.pk}
    expected["old_draft"].add(old.pk)
    young = VictimFactory(draft=True)
    Victim.objects.filter(pk=young.pk).update(created_at=timezone.now() - datetime.timedelta(days=89))
    expected["no_citation"].add(young.pk)
    uncredited = VictimFactory()
    photo(uncredited)
    photo(uncredited, credit="Synthetic archive")
    expected["person_photo_no_credit"].add(uncredited.pk)
    # A duplicate merged away lacks everything, and is never counted.
    kept = VictimFactory()
    merged = VictimFactory(death_date=None, death_precision="", draft=True)
    photo(merged)
    Victim.objects.filter(pk=merged.pk).update(created_at=timezone.now() - datetime.timedelta(days=400))
    merged.refresh_from_db()
    victim_merge(keep=kept, merged=merged, user=editor)
    Photo.objects.filter(victim=kept).update(credit="Synthetic archive")
    NameVariantFactory(victim=kept)

    for person in Victim.objects.exclude(status=Status.MERGED):
        if not person.variants.exists():
            expected["one_name_form"].add(person.pk)

    event = EventFactory()
    photo(event)
    photo(EventFactory(), credit="Synthetic archive")
    expected["event_photo_no_credit"].add(event.pk)
    nobody = SourceFactory(key="synthetic-uncited")
    expected["uncited_source"].add(nobody.pk)
    cited_by_event = SourceFactory(key="synthetic-event-source")
    Citation.objects.create(event=event, source=cited_by_event)
    expected["uncited_source"] |= set(
        Source.objects.exclude(pk__in=Citation.objects.values("source")).values_list("pk", flat=True)
    )
    return expected


def test_each_line_counts_and_links_to_exactly_its_records(registry, client, editor):
    client.force_login(editor)
    response = client.get(reverse("staff:quality"))
    assert response.status_code == 200
    lines = {line.check.code: line for line in response.context["lines"]}
    assert set(lines) == set(quality.CODES)
    page = response.content.decode()
    for code, expected in registry.items():
        line = lines[code]
        assert line.count == len(expected), code
        assert f'href="{line.url.replace("&", "&amp;")}"' in page
        listed = client.get(line.url)
        assert listed.status_code == 200, (code, listed.status_code)
        shown = {row.pk for row in listed.context["cl"].queryset}
        assert shown == expected, code
    assert registry["no_citation"] and registry["uncited_source"] and registry["event_photo_no_credit"]


def test_the_page_runs_the_same_queries_for_many_records(client, editor, django_assert_num_queries):
    client.force_login(editor)
    client.get(reverse("staff:quality"))  # sessions and permissions cached as in any later request
    # Session, user, the two permission queries, then one count query each for people, events and sources.
    with django_assert_num_queries(7):
        client.get(reverse("staff:quality"))
    for _ in range(3):
        person = VictimFactory(death_date=None, death_precision="")
        photo(person)
        photo(EventFactory())
        SourceFactory()
    with django_assert_num_queries(7):
        response = client.get(reverse("staff:quality"))
    assert {line.check.code: line.count for line in response.context["lines"]}["no_death_date"] == 3


def test_only_editors_see_the_page_and_its_links(client, curator, editor):
    client.force_login(curator)
    assert client.get(reverse("staff:quality")).status_code == 403
    assert reverse("staff:quality") not in client.get(reverse("admin:index")).content.decode()
    client.force_login(editor)
    home = client.get(reverse("admin:index")).content.decode()
    assert reverse("staff:quality") in home and reverse("staff:duplicates") in home


@pytest.mark.parametrize(
    ("language", "title", "check"),
    [("az", "Məlumatların keyfiyyəti", "Mənbəyə istinadı olmayan insanlar"),
     ("ru", "Качество данных", "Люди без ссылки на источник")],
)  # fmt: skip
def test_the_page_is_translated(client, editor, language, title, check):
    client.force_login(editor)
    page = client.get(reverse("staff:quality"), headers={"Accept-Language": language}).content.decode()
    assert title in page and check in page


def test_an_unknown_quality_value_filters_nothing(client, editor):
    people = {VictimFactory().pk, VictimFactory(death_date=None, death_precision="").pk}
    client.force_login(editor)
    response = client.get(reverse("admin:victims_victim_changelist") + "?quality=nonsense")
    assert response.status_code == 200
    assert {row.pk for row in response.context["cl"].queryset} == people
