"""The person page read as plain data in one statement (victims.pagedata) shows exactly what the
ORM's reading of the same records showed: same status, same redirect, same bytes, in every
language, for people with and without photos, variants, citations, events and full dates."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import translation
from django.views.generic import DetailView

from common.partialdates import Precision
from memorial import views as memorial_views
from memorial.homedata import HomeData
from memorial.models import Statement
from tests.factories import EventFactory, NameVariantFactory, PlaceFactory, SourceFactory, VictimFactory
from victims.merging import victim_merge
from victims.models import Citation, Event, Gender, NameVariant, Photo, ReportedFigure, Status, Victim
from victims.views import EventListView, VictimDetailView

pytestmark = pytest.mark.django_db

LANGUAGES = ("az", "en", "ru")


def orm_get_object(self, queryset=None):
    """The person page's reading before victims.pagedata: the ORM, with prefetching (the reference)."""
    self.get_queryset = lambda: Victim.objects.published().for_detail()
    return DetailView.get_object(self, queryset)


def photo(person, n: int, *, primary=False, published=True, renditions=True, **texts) -> Photo:
    sizes = ("thumb", "card", "full")
    return Photo.objects.create(
        victim=person, original=f"originals/s{person.pk}-{n}.jpg", is_primary=primary, is_published=published,
        alt_text_en=f"Synthetic portrait {n}", width=600, height=800,
        renditions={s: {"webp": f"photos/s{person.pk}-{n}/{s}.webp", "jpeg": f"photos/s{person.pk}-{n}/{s}.jpg",
                        "width": 300, "height": 400} for s in sizes} if renditions else {},
        **texts,
    )  # fmt: skip


@pytest.fixture
def people():
    """Synthetic people covering what a person page can show (and not show)."""
    birth = PlaceFactory(name_az="Sınaq kəndi", name_en="", slug="synthetic-birth-place")
    death = PlaceFactory(name_en="Synthetic street", slug="synthetic-death-place")
    burial = PlaceFactory(name_az="Sınaq xiyabanı", name_ru="Синак аллея", slug="synthetic-burial-place")
    rated = SourceFactory(title="Synthetic report", year=1991, reliability="official")
    unrated = SourceFactory(title="Synthetic testimony", year=None)
    full = VictimFactory(
        given_name="Nigar", patronymic="Testəli qızı", family_name="Testova", display_name="Nigar Testova",
        gender=Gender.FEMALE, birth_date=datetime.date(1960, 3, 4), birth_precision=Precision.DAY,
        death_date=datetime.date(1990, 1, 20), death_time=datetime.time(1, 30), age_recorded=29,
        place_of_birth=birth, place_of_death=death, burial_place=burial, nationality="synthetic",
        occupation_az="Sınaq müəllimi", circumstances_en="Synthetic circumstances.\n\nSecond paragraph.",
        biography_ru="Синтетическая биография.", original_language="az",
        citations=[Citation(source=rated, locator="p. 3", supports="the date"), Citation(source=unrated)],
        variants=[NameVariant(name="Нигяр Тестова", script="cyrillic", kind="russian"),
                  NameVariant(name="Nigyar Testova", script="latin", kind="transliteration")],
    )  # fmt: skip
    photo(full, 1, caption_en="Synthetic caption", credit="Synthetic archive", licence="CC BY 4.0")
    photo(full, 2, primary=True, alt_text_ru="Синтетический портрет", caption_az="Sınaq")
    photo(full, 3, published=False)  # a visitor's photo waiting for approval: never shown
    photo(full, 4, renditions=False)
    for n, (day, precision) in enumerate([(datetime.date(1990, 1, 19), Precision.DAY),
                                           (datetime.date(1990, 1, 1), Precision.MONTH),
                                           (datetime.date(1991, 1, 1), Precision.YEAR)]):  # fmt: skip
        EventFactory(victims=[full], start_date=day, start_precision=precision, title_en=f"Synthetic event {n}")
    EventFactory(
        victims=[full], start_date=datetime.date(1990, 1, 21), status=Status.DRAFT, title_en="Synthetic draft event"
    )  # never shown
    partial = VictimFactory(
        gender=Gender.MALE, birth_date=datetime.date(1950, 1, 1), birth_precision=Precision.YEAR,
        death_date=datetime.date(1990, 1, 1), death_precision=Precision.MONTH, age_recorded=40,
        occupation_en="Synthetic driver", occupation_ru="Синтетический водитель", original_language="en",
    )  # fmt: skip
    photo(partial, 1, primary=True)
    bare = VictimFactory(death_date=None, death_precision="", place_of_birth=birth)
    NameVariantFactory(victim=bare)
    withdrawn = VictimFactory(status=Status.WITHDRAWN)
    draft = VictimFactory(draft=True)
    kept, merged = VictimFactory(), VictimFactory()
    victim_merge(keep=kept, merged=merged)
    renamed = VictimFactory(slug="synthetic-old-slug")
    renamed.slug = "synthetic-new-slug"
    renamed.save()
    return {
        "full": full.slug, "partial": partial.slug, "bare": bare.slug, "withdrawn": withdrawn.slug, "draft": draft.slug,
        "kept": kept.slug, "merged": merged.slug, "old slug": "synthetic-old-slug", "unknown": "no-such-person",
    }  # fmt: skip


def answers(client, slugs: dict[str, str]) -> dict:
    found = {}
    for language in LANGUAGES:
        for name, slug in slugs.items():
            with translation.override(language):
                url = reverse("victims:victim_detail", kwargs={"slug": slug})
            response = client.get(url)
            found[(language, name)] = (response.status_code, response.get("Location"), response.content)
    return found


def test_the_person_page_shows_the_same_bytes_as_the_orm_reading(client, people, settings, monkeypatch):
    settings.PAGE_CACHE_ENABLED = False
    new = answers(client, people)
    monkeypatch.setattr(VictimDetailView, "get_object", orm_get_object)
    old = answers(client, people)
    assert [key for key in old if old[key] != new[key]] == []
    statuses = {name: new[("en", name)][0] for name in people}
    assert statuses == {"full": 200, "partial": 200, "bare": 200, "withdrawn": 404, "draft": 404, "kept": 200,
                        "merged": 301, "old slug": 301, "unknown": 404}  # fmt: skip
    page = new[("ru", "full")][2].decode()
    # What the comparison covers is really on the page: variants, photos, citations, events, fallbacks.
    for shown in ("Нигяр Тестова", "Синтетический портрет", "Synthetic archive", "Synthetic report (1991)",
                  "Synthetic testimony", "Synthetic event 2", "Sınaq müəllimi", "Sınaq kəndi", "Синак аллея",
                  "Synthetic street", '"alternateName"', "og:image"):  # fmt: skip
        assert shown in page, shown
    assert "s{}-3".format(Victim.objects.get(slug=people["full"]).pk) not in page  # the unapproved photo
    assert "Synthetic draft event" not in page


def test_the_person_page_reads_one_statement(client, people, settings, django_assert_num_queries):
    settings.PAGE_CACHE_ENABLED = False
    url = f"/en/victims/{people['full']}/"
    with django_assert_num_queries(2):  # the registry generation (for the ETag), the person with everything
        assert client.get(url).status_code == 200


def orm_home_data(newest: int) -> HomeData:
    """The home page's reading before memorial.homedata: the ORM (the reference)."""
    return HomeData(
        statement=Statement.objects.current(),
        figures=list(ReportedFigure.objects.select_related("source").order_by("measure", "order", "id")),
        newest_people=list(Victim.objects.published().for_list().order_by("-published_at", "-id")[:newest]),
    )


@pytest.fixture
def home_content(people):
    """Figures with and without a source, partly translated; newest people with and without a photo."""
    source = SourceFactory(title="Synthetic figures report", year=1990)
    ReportedFigure.objects.create(measure="killed", value_text_en="more than 100 (synthetic)", source=source,
                                  attribution_en="A synthetic report", note_ru="Синтетическое примечание",
                                  original_language="en", translated_on_ru=datetime.date(2020, 5, 6), order=9)  # fmt: skip
    ReportedFigure.objects.create(measure="wounded", value_text_az="700-dən çox (sınaq)", attribution_az="Sınaq",
                                  original_language="az")  # fmt: skip
    statement = Statement.objects.current()
    statement.translated_on_ru = datetime.date(2021, 2, 3)
    statement.save()
    VictimFactory(draft=True)  # the newest record, but not public
    return people


def home_answers(client) -> dict:
    return {language: client.get(f"/{language}/").content for language in LANGUAGES}


def test_the_home_page_shows_the_same_bytes_as_the_orm_reading(client, home_content, settings, monkeypatch):
    settings.PAGE_CACHE_ENABLED = False
    new = home_answers(client)
    monkeypatch.setattr(memorial_views, "home_data", orm_home_data)
    old = home_answers(client)
    assert [language for language in LANGUAGES if old[language] != new[language]] == []
    page = new["ru"].decode()
    for shown in ("more than 100 (synthetic)", "Синтетическое примечание", "700-dən çox (sınaq)", "Nigar Testova",
                  'class="name-card has-photo"', "translation-label"):  # fmt: skip
        assert shown in page, shown


def test_the_home_page_reads_one_statement(client, home_content, settings, django_assert_num_queries):
    settings.PAGE_CACHE_ENABLED = False
    client.get("/en/")  # the category counts are kept per registry generation
    # The registry generation (read for the ETag and for the counts kept per generation: twice with
    # the tests' TTL of 0, once a second as deployed), then the home page's data.
    with django_assert_num_queries(3):
        assert client.get("/en/").status_code == 200


# --- The timeline ---------------------------------------------------------------------------------


@pytest.fixture
def timeline_content():
    """Synthetic events covering what the timeline shows: every precision, ranges, times (and ties),
    places named in one language, texts in one language only, translations with a date, linked
    people, markup to escape, and events that must never be shown."""
    square = PlaceFactory(name_az="Sınaq meydanı", name_en="", name_ru="", slug="synthetic-square")
    street = PlaceFactory(name_en="Synthetic <street> & co", name_ru="Синтетическая улица", slug="synthetic-street")
    person = VictimFactory(given_name="Nigar", family_name="Testova")
    night, day_after = datetime.date(1990, 1, 19), datetime.date(1990, 1, 20)
    events = [
        dict(title_en="Synthetic year event", start_date=datetime.date(1988, 1, 1), start_precision=Precision.YEAR,
             end_date=datetime.date(1989, 1, 1), end_precision=Precision.YEAR, summary_en="Synthetic <b>summary</b>"),
        dict(title_az="Sınaq ay hadisəsi", title_en="", summary_az="Yalnız Azərbaycan dilində.", original_language="az",
             start_date=datetime.date(1989, 12, 1), start_precision=Precision.MONTH, place=square,
             end_date=datetime.date(1990, 1, 15), end_precision=Precision.DAY),
        dict(title_ru="Синтетическое событие", title_en="Synthetic translated event", original_language="ru",
             translated_on_en=datetime.date(2020, 5, 6), summary_ru="Только по-русски.", start_date=night,
             start_time=datetime.time(22, 15), place=street),
        dict(title_en="Synthetic untimed night event", start_date=night, place=square),
        dict(title_en="Synthetic tie B", start_date=day_after, start_time=datetime.time(0, 30), victims=[person]),
        dict(title_en="Synthetic tie A", start_date=day_after, start_time=datetime.time(0, 30), place=street),
        dict(title_en="Synthetic last night event", start_date=datetime.date(1990, 1, 22), summary_en='"Quoted"'),
        dict(title_en="Synthetic later event", start_date=datetime.date(1990, 1, 25), place=street,
             end_date=datetime.date(1990, 1, 27), end_precision=Precision.DAY, end_time=datetime.time(9, 0)),
        dict(title_en="Synthetic month in 1991", start_date=datetime.date(1991, 2, 1), start_precision=Precision.MONTH),
        dict(title_en="Synthetic earlier evening event", start_date=night, start_time=datetime.time(20, 0)),
    ]  # fmt: skip
    for n, values in enumerate(events):
        EventFactory(slug=f"synthetic-timeline-{n}", **values)
    for n, status in enumerate((Status.DRAFT, Status.REVIEW, Status.WITHDRAWN)):
        EventFactory(slug=f"synthetic-hidden-{n}", title_en=f"Synthetic draft event {n}", status=status,
                     start_date=night)  # fmt: skip


def timeline_answers(client) -> dict:
    return {language: client.get(f"/{language}/events/").content for language in LANGUAGES}


def test_the_timeline_shows_the_same_bytes_as_the_orm_reading(client, timeline_content, settings, monkeypatch):
    settings.PAGE_CACHE_ENABLED = False
    new = timeline_answers(client)
    monkeypatch.setattr(EventListView, "get_queryset", lambda self: Event.objects.published().for_timeline())
    old = timeline_answers(client)
    assert [language for language in LANGUAGES if old[language] != new[language]] == []
    page = new["en"].decode()
    # What the comparison covers is really on the page: sections, times, ranges, fallbacks, labels.
    for shown in ("Synthetic year event", "Synthetic &lt;b&gt;summary&lt;/b&gt;", "Sınaq ay hadisəsi",
                  "Sınaq meydanı", "Synthetic translated event", "Synthetic &lt;street&gt; &amp; co",
                  '<time datetime="1990-01-19T22:15">22:15</time>', 'id="day-1990-01-20"', "Synthetic later event",
                  'datetime="1989-12"', "Read the original in Russian", "1991"):  # fmt: skip
        assert shown in page, shown
    assert page.index("Synthetic tie B") < page.index("Synthetic tie A")  # the same time: by id
    assert page.index("Synthetic earlier evening event") < page.index("Synthetic translated event")  # by time
    assert "Только по-русски." in page  # the summary shown in its only language
    for language in LANGUAGES:
        assert b"Synthetic draft event" not in new[language]


def test_the_timeline_reads_one_statement(client, timeline_content, settings, django_assert_num_queries):
    settings.PAGE_CACHE_ENABLED = False
    with django_assert_num_queries(2):  # the registry generation (for the ETag), the events with their places
        assert client.get("/en/events/").status_code == 200
