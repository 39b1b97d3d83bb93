"""The public pages: what a visitor sees, what they never see, and what each page costs."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from common.partialdates import Precision
from tests.factories import (
    CitationFactory,
    EventFactory,
    NameVariantFactory,
    PlaceFactory,
    SourceFactory,
    VictimFactory,
)
from victims.models import Category, Gender, Photo, Place, Status, Victim

pytestmark = pytest.mark.django_db

SYLLABLES = ["ba", "ce", "də", "fi", "gö", "ha", "xu", "ki", "lə", "mo", "nü", "pa", "ra", "sə", "şi", "tü", "va", "zə"]


def bulk_people(count: int, *, start: int = 0, photos: bool = True, events=(), sources=()) -> list[Victim]:
    """Many published synthetic people, fast: no search document (not needed outside search)."""
    places = [PlaceFactory(), PlaceFactory(), PlaceFactory()]
    now = timezone.now()
    people = []
    for i in range(start, start + count):
        given = SYLLABLES[i % len(SYLLABLES)].capitalize() + SYLLABLES[(i // 7) % len(SYLLABLES)]
        gender = [Gender.MALE, Gender.FEMALE, Gender.UNKNOWN][i % 3]
        family = "Sınaq" + SYLLABLES[(i // 3) % len(SYLLABLES)] + ("ova" if gender == Gender.FEMALE else "ov") + str(i)
        people.append(
            Victim(
                slug=f"bulk-person-{i}", family_name=family, given_name=given, display_name=f"{given} {family}",
                gender=gender,
                category=[Category.KILLED, Category.KILLED, Category.DIED_OF_WOUNDS, Category.WOUNDED][i % 4],
                death_date=datetime.date(1990, 1, 19 + i % 4), death_precision=Precision.DAY,
                age=15 + i % 60, age_recorded=15 + i % 60, place_of_death=places[i % 3],
                initial=family[0], status=Status.PUBLISHED, published_at=now,
            )
        )  # fmt: skip
    people = Victim.objects.bulk_create(people)
    if photos:
        Photo.objects.bulk_create(
            Photo(
                victim=person, original=f"originals/p{person.pk}.jpg", alt_text_en=f"Portrait of {person}",
                is_primary=True,
                renditions={size: {"webp": f"photos/{person.pk}/{size}.webp", "jpeg": f"photos/{person.pk}/{size}.jpg",
                                   "width": 160, "height": 200} for size in ("thumb", "card", "full")},
            )
            for person in people[::2]
        )  # fmt: skip
    for event in events:
        event.victims.add(*people)
    for source in sources:
        from victims.models import Citation

        Citation.objects.bulk_create(Citation(source=source, victim=person, locator="p. 1") for person in people)
    return people


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


# --- Visibility ------------------------------------------------------------------------------


def test_published_person_has_a_page_with_names_dates_and_sources(client):
    place = PlaceFactory(name_en="Synthetic Street", name_az="Sınaq küçəsi")
    victim = VictimFactory(
        family_name="Sınaqlı", given_name="Testər", patronymic="Əli oğlu", place_of_death=place,
        birth_date=datetime.date(1965, 3, 1), birth_precision=Precision.MONTH, age_recorded=24,
        biography_en="First paragraph <b>not bold</b>.\n\nSecond paragraph.", original_language="en",
    )  # fmt: skip
    NameVariantFactory(victim=victim, name="Синаглы Тестер")
    citation = CitationFactory(victim=victim, locator="p. 44", supports="date of death")
    html = client.get(f"/en/victims/{victim.slug}/").content.decode()
    assert "<h1" in html and "Testər Əli oğlu Sınaqlı" in html
    assert "Синаглы Тестер" in html
    assert '<time datetime="1990-01-20">20 January 1990</time>' in html
    assert '<time datetime="1965-03">March 1965</time>' in html
    assert "Synthetic Street" in html
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html and "<p>Second paragraph.</p>" in html
    assert f'href="/en/sources/#source-{citation.source.key}"' in html and "p. 44" in html
    assert f'<link rel="canonical" href="http://testserver/en/victims/{victim.slug}/">' in html


@pytest.mark.parametrize("status", [Status.DRAFT, Status.REVIEW, Status.WITHDRAWN])
def test_unpublished_person_answers_404_and_is_never_listed(client, status):
    victim = VictimFactory(family_name="Gizliyev", status=status, published_at=timezone.now())
    assert client.get(f"/en/victims/{victim.slug}/").status_code == 404
    assert "Gizliyev" not in client.get("/en/victims/").content.decode()
    assert "Gizliyev" not in client.get("/en/").content.decode()
    assert victim.slug not in client.get("/sitemap-victims.xml").content.decode()


def test_unknown_person_answers_404_with_the_site_layout(client):
    response = client.get("/en/victims/no-such-person/")
    assert response.status_code == 404
    assert 'class="site-header"' in response.content.decode()


def test_unpublished_event_answers_404_and_its_people_are_published_only(client):
    draft_event = EventFactory(status=Status.DRAFT, published_at=None)
    assert client.get(f"/en/events/{draft_event.slug}/").status_code == 404
    event = EventFactory(title_en="Synthetic gathering")
    shown, hidden = VictimFactory(family_name="Görünən"), VictimFactory(family_name="Görünməz", draft=True)
    event.victims.add(shown, hidden)
    html = client.get(f"/en/events/{event.slug}/").content.decode()
    assert "Görünən" in html and "Görünməz" not in html


def test_person_page_has_json_ld_and_open_graph_with_the_photo(client):
    victim = bulk_people(1)[0]
    html = client.get(f"/en/victims/{victim.slug}/").content.decode()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(block.group(1))
    assert data["@type"] == "Person" and data["deathDate"] == victim.death_date.isoformat()
    assert data["deathPlace"]["name"] == victim.place_of_death.name
    assert data["image"].endswith("/full.jpg")
    assert f'<meta property="og:image" content="http://testserver/media/photos/{victim.pk}/full.jpg">' in html
    assert '<source srcset="/media/photos/' in html and 'type="image/webp"' in html
    assert f'alt="Portrait of {victim}"' in html


def test_json_ld_cannot_close_its_script_element(client):
    victim = VictimFactory(family_name="</script><script>alert(1)</script>")
    html = client.get(f"/en/victims/{victim.slug}/").content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_templates_use_no_inline_style_or_script(client):
    victim = bulk_people(1)[0]
    event = EventFactory()
    for url in ["/en/", "/en/victims/", f"/en/victims/{victim.slug}/", "/en/events/", f"/en/events/{event.slug}/",
                "/en/sources/", "/en/statistics/", "/en/about/"]:  # fmt: skip
        html = client.get(url).content.decode()
        assert " style=" not in html, url
        # The only scripts are JSON-LD data blocks, which a browser never runs (CSP does not apply),
        # and files of the site's own (the candles' on a person page), never inline code; no page
        # carries a per-visitor nonce or token: every visitor gets the same bytes.
        scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
        tags = re.findall(r"<script[^>]*>", html)
        own_file = re.compile(r'<script src="/static/js/[a-z-]+(\.[0-9a-f]{12})?\.js" defer>')
        assert all(tag == '<script type="application/ld+json">' or own_file.fullmatch(tag) for tag in tags), url
        assert all(body.strip() for body, tag in zip(scripts, tags, strict=True) if "ld+json" in tag), url
        assert all(not body.strip() for body, tag in zip(scripts, tags, strict=True) if "src=" in tag), url
        assert "nonce" not in html and "csrfmiddlewaretoken" not in html, url


# --- Home ------------------------------------------------------------------------------------


def test_home_shows_registry_counts_beside_the_reported_figures_with_their_sources(client):
    from django.core.management import call_command

    call_command("load_initial_content", verbosity=0)
    html = client.get("/en/").content.decode()
    assert "0 people recorded in the registry so far." in html
    assert "more than 130" in html and "The commemorative statement (2005)" in html
    assert "131 to 147" in html and 'href="/en/sources/#source-wiki-bj"' in html
    assert "170" in html and 'href="/en/sources/#source-docs1990"' in html


def test_home_lists_the_most_recently_published_people(client):
    old = VictimFactory(family_name="Köhnəyev", published_at=timezone.now() - datetime.timedelta(days=30))
    new = VictimFactory(family_name="Yeniyev")
    html = client.get("/en/").content.decode()
    assert "2 people recorded in the registry so far." in html
    assert html.index(new.family_name) < html.index(old.family_name)


def test_home_statement_without_a_translation_is_english_with_a_note_in_other_languages(client):
    from memorial.models import Statement

    Statement.objects.update(title_az="", subtitle_az="", body_az="", title_ru="", subtitle_ru="", body_ru="")
    for language in ("az", "ru"):
        html = client.get(f"/{language}/").content.decode()
        assert 'class="translation-note"' in html
        assert '<div class="statement-body" lang="en">' in html
    html = client.get("/en/").content.decode()
    assert '<div class="statement-body" lang="en">' in html
    assert "Not yet translated" not in html


# --- Registry --------------------------------------------------------------------------------


def test_registry_filters_combine_and_links_keep_the_query(client):
    bulk_people(130, photos=False)
    response = client.get("/en/victims/?category=killed&gender=male&sort=age")
    victims = list(response.context["victims"])
    shown = Victim.objects.filter(pk__in=[v.pk for v in victims])  # the page's rows hold the card's columns only
    assert victims and all(v.category == Category.KILLED and v.gender == Gender.MALE for v in shown)
    assert [v.age for v in victims] == sorted(v.age for v in victims)
    html = client.get("/en/victims/?category=killed").content.decode()
    assert "people match." in html
    assert 'href="?category=killed&amp;page=2"' in html


def test_registry_age_group_place_and_day_filters(client):
    people = bulk_people(50, photos=False)  # aged 15 to 64
    kids = client.get("/en/victims/?age=0-17").context["paginator"].count
    assert kids == sum(1 for p in people if p.age <= 17)
    elders = client.get("/en/victims/?age=60%2B").context["paginator"].count  # the open-ended group
    assert elders == sum(1 for p in people if p.age >= 60) > 0
    day = client.get("/en/victims/?died=21-22").context["victims"]
    assert {v.death_date.day for v in day} == {21, 22}
    place = people[0].place_of_death
    at_place = client.get(f"/en/victims/?place={place.slug}").context["paginator"].count
    assert at_place == sum(1 for p in people if p.place_of_death_id == place.pk)


def test_registry_alphabet_index_filters_on_the_initial(client):
    VictimFactory(family_name="Şahbazov")
    VictimFactory(family_name="Sadıqov")
    names = [v.family_name for v in client.get("/en/victims/?letter=Ş").context["victims"]]
    assert names == ["Şahbazov"]


def test_registry_sorts_by_the_azerbaijani_alphabet(client):
    for family in ["Zeynalov", "Şirinov", "Sadıqov", "İsmayılov", "Ilıcov", "Əliyev", "Eldarov", "Çələbi", "Cəfərov",
                   "Abbasov"]:  # fmt: skip
        VictimFactory(family_name=family)
    names = [v.family_name for v in client.get("/en/victims/").context["victims"]]
    assert names == ["Abbasov", "Cəfərov", "Çələbi", "Eldarov", "Əliyev", "Ilıcov", "İsmayılov", "Sadıqov",
                     "Şirinov", "Zeynalov"]  # fmt: skip


def test_empty_registry_says_so_honestly(client):
    html = client.get("/en/victims/").content.decode()
    assert html.count("No records have been published yet.") == 1
    assert "0 people recorded so far." not in html  # said once, not twice


@pytest.mark.parametrize("language", ["en", "az", "ru"])
def test_a_search_that_finds_nobody_says_so_once(client, language):
    VictimFactory(family_name="Sınaqov", given_name="Testəli")
    with translation.override(language):
        path = reverse("victims:victim_list")
        nobody = translation.gettext("No published record matches “%(query)s”.") % {"query": "zzzqqq"}
        counted = translation.ngettext(
            "%(counter)s person found for “%(query)s”.", "%(counter)s people found for “%(query)s”.", 0
        ) % {"counter": 0, "query": "zzzqqq"}
    html = client.get(f"{path}?q=zzzqqq").content.decode()
    assert html.count(escape(nobody)) == 1
    assert escape(counted) not in html


def test_registry_sorting_by_date_of_death(client):
    late = VictimFactory(death_date=datetime.date(1990, 1, 25))
    early = VictimFactory(death_date=datetime.date(1990, 1, 19))
    victims = list(client.get("/en/victims/?sort=death").context["victims"])
    assert victims == [early, late]


# --- Timeline, sources, statistics -----------------------------------------------------------


def test_timeline_groups_by_year_and_the_night_by_day_and_time(client):
    from django.core.management import call_command

    call_command("load_initial_content", verbosity=0)
    html = client.get("/en/events/").content.decode()
    assert '<h2 id="year-1988">1988</h2>' in html and '<h2 id="year-1990">1990</h2>' in html
    assert '<h3 id="day-1990-01-19"><time datetime="1990-01-19">19 January 1990</time></h3>' in html
    assert '<h3 id="day-1990-01-20">' in html
    years = [int(y) for y in re.findall(r'<h2 id="year-(\d{4})">', html)]
    assert years == sorted(years)


def test_timeline_items_show_time_or_dates_place_title_and_summary_escaped(client):
    """The timeline's items are written in Python (victims.templatetags.public.timeline_items): a
    night event shows its time under its day's heading, another its dates; every text is escaped and
    keeps the language it is written in."""
    place = PlaceFactory(name_en="Testova <street> & square", slug="testova-street")
    EventFactory(
        slug="testova-night", title_en="Testova <night>", summary_en="Shots & smoke", place=place,
        start_date=datetime.date(1990, 1, 20), start_time=datetime.time(0, 5),
    )  # fmt: skip
    EventFactory(slug="testova-untimed", title_en="Testova untimed", start_date=datetime.date(1990, 1, 21))
    EventFactory(
        slug="testova-later", title_en="", title_az="Testova sonra", original_language="az", place=place,
        start_date=datetime.date(1991, 3, 1), start_precision=Precision.MONTH,
        end_date=datetime.date(1991, 4, 1), end_precision=Precision.MONTH,
    )  # fmt: skip
    html = client.get("/en/events/").content.decode()
    night = (
        '<li class="timeline-item">\n  <p class="timeline-when"><time datetime="1990-01-20T00:05">00:05</time>'
        " · Testova &lt;street&gt; &amp; square</p>\n"
        '  <h4 class="timeline-title"><a href="/en/events/testova-night/" lang="en">Testova &lt;night&gt;</a></h4>\n'
        '  <p class="timeline-summary" lang="en">Shots &amp; smoke</p>\n</li>'
    )
    untimed = (
        '<li class="timeline-item">\n  <p class="timeline-when"></p>\n  <h4 class="timeline-title">'
        '<a href="/en/events/testova-untimed/" lang="en">Testova untimed</a></h4>\n  \n</li>'
    )
    later = (
        '<li class="timeline-item">\n  <p class="timeline-when"><time datetime="1991-03">March 1991</time> – '
        '<time datetime="1991-04">April 1991</time> · Testova &lt;street&gt; &amp; square</p>\n'
        '  <h3 class="timeline-title"><a href="/en/events/testova-later/" lang="az">Testova sonra</a></h3>\n  \n</li>'
    )
    assert night in html and untimed in html and later in html


def test_event_page_shows_place_sources_and_keeps_disagreement_visible(client):
    from django.core.management import call_command

    from victims.models import Event

    call_command("load_initial_content", verbosity=0)
    event = Event.objects.get(title_en__startswith="Civilians killed")
    html = client.get(f"/en/events/{event.slug}/").content.decode()
    assert event.summary_en.split(";")[0].replace("'", "&#x27;") in html
    for citation in event.citations.select_related("source"):
        assert f"#source-{citation.source.key}" in html


def test_sources_page_groups_by_kind_with_anchors_and_citing_records(client):
    source = SourceFactory(key="synthetic-key", kind="report")
    cited = VictimFactory(family_name="Istinadov")
    CitationFactory(source=source, victim=cited)
    CitationFactory(source=source, victim=VictimFactory(family_name="Qaralamayev", draft=True))
    html = client.get("/en/sources/").content.decode()
    assert 'id="source-synthetic-key"' in html and '<h2 id="kind-report">Report</h2>' in html
    assert "Istinadov" in html and "Qaralamayev" not in html
    assert "Cited by 1 record</summary>" in html


def test_statistics_with_no_records_shows_zeros(client):
    html = client.get("/en/statistics/").content.decode()
    assert html.count('class="bar-chart"') == 5 and html.count('class="chart-table"') == 5
    assert '<td class="number">0</td>' in html


def test_statistics_counts_match_the_published_records(client):
    people = bulk_people(30, photos=False)
    VictimFactory(category=Category.WOUNDED, draft=True)
    response = client.get("/en/statistics/")
    charts = {chart.slug: chart for chart in response.context["charts"]}
    assert charts["category"].total == 30
    wounded = next(bar for bar in charts["category"].bars if bar.key == "wounded")
    assert wounded.count == sum(1 for p in people if p.category == Category.WOUNDED)
    assert sum(bar.count for bar in charts["death-date"].bars if bar.key == "20") == sum(
        1 for p in people if p.death_date.day == 20
    )
    html = response.content.decode()
    assert 'aria-hidden="true"' in html and "<caption" in html


def test_statistics_charts_escape_names_and_draw_each_bar_once_in_svg_and_table(client):
    """The charts are written in Python (victims.templatetags.public.bar_chart): a place's name is
    text, never markup, in the SVG label and in the table; every bar has its value in both."""
    name = '<b onmouseover="x()">Testova & küçəsi</b>'
    place = PlaceFactory(name_en=name, slug="testova-markup")
    for _ in range(3):
        VictimFactory(place_of_death=place)
    html = client.get("/en/statistics/").content.decode()
    assert "<b onmouseover" not in html
    assert f'<th scope="row">{escape(name)}</th><td class="number">3</td>' in html
    assert f'y="19">{escape(name[:25])}…</text>' in html  # the label, truncated to 26 characters
    assert html.count('class="bar-label"') == html.count('<tr><th scope="row">') - 5  # 5 totals in the tables
    assert '<tfoot><tr><th scope="row">Total</th><td class="number">3</td></tr></tfoot>' in html


# --- Sitemap, robots, caching ----------------------------------------------------------------


def test_sitemap_is_an_index_of_its_sections(client):
    VictimFactory()
    xml = client.get("/sitemap.xml").content.decode()
    assert "<sitemapindex" in xml
    for section in ("pages", "victims", "events"):
        assert f"<loc>http://testserver/sitemap-{section}.xml</loc>" in xml


def test_sitemap_sections_are_paged(client, monkeypatch):
    from victims.sitemaps import VictimSitemap

    monkeypatch.setattr(VictimSitemap, "limit", 4)
    people = [VictimFactory(family_name=f"Səhifəli{i}") for i in range(3)]  # 3 people × 3 languages
    index = client.get("/sitemap.xml").content.decode()
    assert "/sitemap-victims.xml?p=3</loc>" in index and "/sitemap-victims.xml?p=4" not in index
    pages = [client.get(f"/sitemap-victims.xml?p={n}").content.decode() for n in (1, 2, 3)]
    assert [page.count("<url>") for page in pages] == [4, 4, 1]
    for person in people:
        assert sum(page.count(f"/{person.slug}/</loc>") for page in pages) == 3


def test_sitemap_lists_pages_in_every_language_with_hreflang(client):
    victim = VictimFactory()
    xml = client.get("/sitemap-victims.xml").content.decode()
    for language in ("az", "en", "ru"):
        with translation.override(language):
            path = victim.get_absolute_url()
        assert f"http://testserver{path}" in xml
        assert f'hreflang="{language}"' in xml
    assert 'hreflang="x-default"' in xml


def test_every_x_default_alternate_in_the_sitemap_answers(client):
    """Every language has its prefix here, so x-default is the default language's page, not an
    unprefixed path (which Django's sitemap would write and which answers 404)."""
    VictimFactory()
    EventFactory()
    for section in ("pages", "victims", "events"):
        xml = client.get(f"/sitemap-{section}.xml").content.decode()
        defaults = re.findall(r'hreflang="x-default" href="([^"]+)"', xml)
        assert defaults, section
        for location in defaults:
            path = location.split("://", 1)[1].split("/", 1)[1]
            assert client.get("/" + path).status_code == 200, location


def test_robots_txt_points_to_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()
    assert "Disallow: /admin/" in text and "Sitemap: http://testserver/sitemap.xml" in text


def test_conditional_get_answers_304_until_something_changes(client):
    VictimFactory(family_name="Ardıcov")
    first = client.get("/en/victims/")
    etag = first["ETag"]
    assert "no-cache" in first["Cache-Control"]
    assert client.get("/en/victims/", HTTP_IF_NONE_MATCH=etag).status_code == 304
    with translation.override("az"):
        other_language = client.get(reverse("victims:victim_list"), HTTP_IF_NONE_MATCH=etag)
    assert other_language.status_code == 200


def test_withdrawn_record_disappears_immediately(client):
    victim = VictimFactory(family_name="Geriçəkilən")
    pages = ["/en/", "/en/victims/", f"/en/victims/{victim.slug}/", "/en/statistics/"]
    etags = {url: client.get(url)["ETag"] for url in pages}
    victim.status = Status.WITHDRAWN
    victim.save()
    for url in pages[:2]:
        response = client.get(url, HTTP_IF_NONE_MATCH=etags[url])
        assert response.status_code == 200 and "Geriçəkilən" not in response.content.decode()
    assert client.get(pages[2], HTTP_IF_NONE_MATCH=etags[pages[2]]).status_code == 404
    assert client.get(pages[3], HTTP_IF_NONE_MATCH=etags[pages[3]]).status_code == 200


def test_withdrawal_by_queryset_update_also_changes_the_etag(client):
    victim = VictimFactory(family_name="Yeniləmə")
    etag = client.get("/en/victims/")["ETag"]
    Victim.objects.filter(pk=victim.pk).update(status=Status.WITHDRAWN)
    response = client.get("/en/victims/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Yeniləmə" not in response.content.decode()


def test_editing_a_source_changes_the_etag(client):
    source = SourceFactory(title="Synthetic title one")
    etag = client.get("/en/sources/")["ETag"]
    source.title = "Synthetic title two"
    source.save()
    response = client.get("/en/sources/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Synthetic title two" in response.content.decode()


# --- Query counts ----------------------------------------------------------------------------


def test_every_public_page_runs_a_constant_number_of_queries(client):
    event = EventFactory()
    source = SourceFactory()
    small = bulk_people(5, events=[event], sources=[source])
    pages = lambda person: [  # noqa: E731
        "/en/", "/en/victims/", "/en/victims/?category=killed&age=18-29&sort=death", "/en/victims/?letter=S&page=1",
        f"/en/victims/{person.slug}/", "/en/events/", f"/en/events/{event.slug}/", "/en/sources/",
        "/en/statistics/", "/sitemap.xml", "/sitemap-victims.xml",
    ]  # fmt: skip
    few = {url: count_queries(client, url) for url in pages(small[0])}
    Place.objects.all()  # places of the bulk people differ per call; the count must not
    bulk_people(995, start=5, events=[event], sources=[source])
    many = {url: count_queries(client, url) for url in pages(small[0])}
    assert Victim.objects.published().count() == 1000
    for few_url, many_url in zip(few, many, strict=True):
        assert many[many_url] == few[few_url], (many_url, few[few_url], many[many_url])
        assert many[many_url] <= 10, (many_url, many[many_url])


def test_event_page_shows_its_first_people_and_links_to_all_of_them(client):
    event = EventFactory()
    bulk_people(70, photos=False, events=[event])
    html = client.get(f"/en/events/{event.slug}/").content.decode()
    assert html.count('<li class="name-card') == 60
    assert f'href="/en/victims/?event={event.slug}"' in html and "All 70 people connected with this event" in html
    assert client.get(f"/en/victims/?event={event.slug}").context["paginator"].count == 70


def test_an_invalid_filter_value_is_ignored_but_the_rest_of_the_query_is_kept(client):
    VictimFactory(family_name="Şahbazov")
    VictimFactory(family_name="Sadıqov")
    response = client.get("/en/victims/", {"letter": "Ş", "category": "no-such-category"})
    assert response.status_code == 200
    assert [v.family_name for v in response.context["victims"]] == ["Şahbazov"]


def test_linking_a_person_to_an_event_changes_the_etag(client):
    event = EventFactory()
    person = VictimFactory(family_name="Bağlanan")
    url = f"/en/events/{event.slug}/"
    etag = client.get(url)["ETag"]
    event.victims.add(person)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Bağlanan" in response.content.decode()


def test_unlinking_a_person_from_an_event_changes_the_etag(client):
    event = EventFactory()
    person = VictimFactory(family_name="Ayrılan")
    event.victims.add(person)
    url = f"/en/events/{event.slug}/"
    etag = client.get(url)["ETag"]
    event.victims.remove(person)
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "Ayrılan" not in response.content.decode()


def test_queryset_update_stamps_updated_at_for_the_etag():
    from victims.caching import registry_generation

    victim = VictimFactory()
    stamped, before = victim.updated_at, registry_generation()
    Victim.objects.filter(pk=victim.pk).update(status=Status.WITHDRAWN)
    victim.refresh_from_db()
    assert victim.updated_at > stamped
    assert registry_generation() != before


def test_the_generation_is_read_from_one_row_by_its_key():
    from victims.caching import _generation_sql

    sql = _generation_sql().lower()
    assert '"victims_registrygeneration" where id = 1' in sql
    assert "max(" not in sql and "count(" not in sql


def test_the_release_part_of_the_etag_is_shared_by_all_workers(monkeypatch):
    from victims import caching

    assert caching._release() == caching._release()  # no per-process value (time, pid)
    monkeypatch.setenv("MEMORIAL_RELEASE", "synthetic-release-7")
    assert caching._release() == "synthetic-release-7"


def test_place_filter_offers_each_place_of_a_published_death_once(client):
    shared, withdrawn_only, unused = PlaceFactory(), PlaceFactory(), PlaceFactory()
    VictimFactory(place_of_death=shared)
    VictimFactory(place_of_death=shared)
    VictimFactory(place_of_death=withdrawn_only, status=Status.WITHDRAWN)
    slugs = [slug for slug, _ in client.get("/en/victims/").context["form"].fields["place"].choices if slug]
    assert slugs == [shared.slug]
    assert unused.slug not in slugs


def test_sources_page_shows_the_first_people_per_source_and_links_to_all(client):
    source, other = SourceFactory(key="synthetic-many"), SourceFactory(key="synthetic-few")
    people = bulk_people(25, photos=False, sources=[source])
    CitationFactory(source=source, victim=people[0], locator="p. 2")  # cited twice: one person
    CitationFactory(source=other, victim=people[1])
    CitationFactory(source=source, victim=VictimFactory(family_name="Qaralamayev", draft=True))
    event = EventFactory()
    CitationFactory(source=source, victim=None, event=event)
    response = client.get("/en/sources/")
    html = response.content.decode()
    many = next(s for g in response.context["groups"] for s in g["sources"] if s.pk == source.pk)
    by_name = Victim.objects.filter(pk__in=[p.pk for p in people]).order_by("family_name", "given_name", "id")
    first = list(by_name[:20])  # the database's collation decides the order
    assert [p.pk for p in many.cited_victims] == [p.pk for p in first]
    assert many.people_count == 25 and many.events_count == 1 and [e.pk for e in many.cited_events] == [event.pk]
    assert "Cited by 26 records</summary>" in html and "Qaralamayev" not in html
    assert 'href="/en/victims/?source=synthetic-many"' in html and "All 25 people citing this source" in html
    assert 'href="/en/victims/?source=synthetic-few"' not in html and "Cited by 1 record</summary>" in html
    assert client.get("/en/victims/?source=synthetic-many").context["paginator"].count == 25
    assert client.get("/en/victims/?source=synthetic-few").context["paginator"].count == 1


def test_statistics_are_computed_once_per_registry_generation(client, settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_ENABLED = False  # the aggregates' own cache, not the rendered page's
    cache.clear()
    people = bulk_people(6, photos=False)
    first = count_queries(client, "/en/statistics/")
    again = count_queries(client, "/en/statistics/")
    assert again < first  # the aggregates come from the cache
    total = client.get("/en/statistics/").context["total"]
    assert total == 6
    Victim.objects.filter(pk=people[0].pk).update(status=Status.WITHDRAWN)  # no save(), no history
    assert client.get("/en/statistics/").context["total"] == 5
    assert client.get("/en/").context["recorded_total"] == 5
    VictimFactory()
    assert client.get("/en/statistics/").context["total"] == 6
    assert client.get("/en/").context["recorded_total"] == 6


def test_sources_page_is_computed_once_per_registry_generation(client, settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_ENABLED = False  # the page's own cache, not the rendered page's
    cache.clear()
    source = SourceFactory(key="synthetic-cached")
    person = VictimFactory(family_name="Önbellekov")
    CitationFactory(source=source, victim=person)
    first = count_queries(client, "/en/sources/")
    assert count_queries(client, "/en/sources/") < first
    person.status = Status.WITHDRAWN
    person.save()
    assert "Önbellekov" not in client.get("/en/sources/").content.decode()


def test_sitemap_pages_load_only_their_rows_and_match_the_full_expansion():
    from victims.sitemaps import VictimSitemap, _PagedI18nItems

    for i in range(5):
        VictimFactory(family_name=f"Dilimov{i}")
    sitemap = VictimSitemap()
    lazy = sitemap._items()
    assert isinstance(lazy, _PagedI18nItems)
    full = [(person.pk, language) for person in sitemap.items() for language in ("az", "en", "ru")]
    assert len(lazy) == len(full) == 15
    for start, stop in [(0, 4), (4, 8), (5, 7), (13, 20), (14, 15), (0, 15), (3, None)]:
        assert [(p.pk, lang) for p, lang in lazy[start:stop]] == full[start:stop], (start, stop)
    with CaptureQueriesContext(connection) as queries:
        lazy[4:8]
    assert len(queries) == 1 and "LIMIT 2 OFFSET 1" in queries[0]["sql"]


# --- Paging ----------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"sort": "age"}, {"sort": "death"}, {"q": "Sinaq"}, {"gender": "female"}])
def test_deep_pages_show_the_rows_an_offset_would(client, params):
    """Pages past the first read their ids first (a deferred join): the same people, same order."""
    from victims.filters import RegistryFilterForm

    bulk_people(190, photos=False)
    Victim.objects.update(search_document="sinaq")  # every person matches the search, equally
    form = RegistryFilterForm(params, places=[(place.slug, place.name) for place in Place.objects.all()])
    ordered = list(form.apply(Victim.objects.published()).values_list("pk", flat=True))
    assert len(ordered) > 60
    for page in range(2, (len(ordered) - 1) // 60 + 2):
        response = client.get("/en/victims/", {**params, "page": page})
        shown = [victim.pk for victim in response.context["victims"]]
        assert shown == ordered[(page - 1) * 60 : page * 60], (params, page)
        assert response.context["paginator"].count == len(ordered)


def test_the_count_is_kept_per_generation_and_follows_changes(client, settings):
    settings.PAGE_CACHE_ENABLED = False  # the count's own cache, not the rendered page's
    people = bulk_people(5, photos=False)
    assert client.get("/en/victims/").context["result_count"] == 5
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/en/victims/").context["result_count"] == 5
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]  # from the cache
    Victim.objects.filter(pk=people[0].pk).update(status=Status.WITHDRAWN)
    assert client.get("/en/victims/").context["result_count"] == 4


def test_a_search_counts_its_matches_in_the_query_of_its_first_page(client, settings):
    settings.PAGE_CACHE_ENABLED = False
    from victims.normalize import search_key

    bulk_people(70, photos=False)
    Victim.objects.update(search_document=search_key("Sinaqov"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/en/victims/", {"q": "Sinaqov"})
    assert response.context["result_count"] == 70
    assert len(response.context["victims"]) == 60
    assert not [q["sql"] for q in queries.captured_queries if "COUNT(*) AS" in q["sql"]]
    assert [q["sql"] for q in queries.captured_queries if "OVER ()" in q["sql"]]
    # The second page counts on its own (from the cache now) and shows the other ten.
    second = client.get("/en/victims/", {"q": "Sinaqov", "page": 2})
    assert second.context["result_count"] == 70 and len(second.context["victims"]) == 10
    first_ids = {victim.pk for victim in response.context["victims"]}
    assert first_ids.isdisjoint(victim.pk for victim in second.context["victims"])
    # A search that finds nobody counts zero.
    nobody = client.get("/en/victims/", {"q": "Qqqqqzzzz"})
    assert nobody.context["result_count"] == 0 and list(nobody.context["victims"]) == []
