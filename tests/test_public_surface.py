"""Nothing unpublished ever reaches the public: the whole public surface, crawled.

Beside a small published registry, each test creates records in one non-public status (people with
name variants, a photo made by the image pipeline, citations and a place of death of their own;
events with a photo and citations) whose every text is an unmistakable synthetic marker. The
crawler (``tests/crawler.py``) then walks everything a visitor or a robot can reach, from the home
page and ``robots.txt``, with the page cache on as deployed, and no marker, slug, UUID or photo
path of a hidden record may appear in any body or header.

A second set of records is first published and crawled (so the crawler is seen to reach each of
them, and the page cache holds pages that show them), then moved through the workflow into the
status under test and crawled again: no page may still show them, every URL that showed them
answers 404 (in every language, as the crawl found them), and every page is the same as before
they existed, counts included.
"""

from __future__ import annotations

import difflib
import random
import re
import string
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.test import Client

from contributions.models import ContributionStatus, Kind
from tests.crawler import Crawler, Fetched
from tests.factories import (
    CitationFactory,
    ContributionFactory,
    EventFactory,
    NameVariantFactory,
    PlaceFactory,
    SourceFactory,
    VictimFactory,
)
from tests.public_fixtures import add_photo, portrait_upload
from victims import images, merging, services
from victims.models import Citation, Event, Photo, Source, Status, Victim

pytestmark = pytest.mark.django_db

HIDDEN_STATUSES = [status for status in Status.values if status != Status.PUBLISHED]
assert Status.MERGED in HIDDEN_STATUSES
# Events are never merged: beside a merged person, the set's event is withdrawn.
EVENT_STATUS = {Status.MERGED: Status.WITHDRAWN}
# Models with the publication workflow that this test knows how to make hidden records of; a new
# one (public contributions, say) must be added here, or the guard below fails.
COVERED_MODELS = {Victim, Event}
STARTS = ["/", "/robots.txt"]


# --- Markers ---------------------------------------------------------------------------------


class Markers:
    """Unmistakable synthetic strings, each remembered with what it names."""

    LATIN = string.ascii_lowercase
    CYRILLIC = "бвгджзклмнпрстфхцчшщ"

    def __init__(self, seed: str) -> None:
        self.random = random.Random(seed)
        self.names: dict[str, str] = {}

    def latin(self, what: str) -> str:
        token = "Gizlisinaq" + "".join(self.random.choice(self.LATIN) for _ in range(10))
        self.names[token] = what
        return token

    def cyrillic(self, what: str) -> str:
        token = "Скрытотест" + "".join(self.random.choice(self.CYRILLIC) for _ in range(10))
        self.names[token] = what
        return token

    def slug(self, what: str) -> str:
        token = "gizli-sinaq-" + "".join(self.random.choice(self.LATIN) for _ in range(12))
        self.names[token] = what
        return token


@dataclass
class RecordSet:
    """One person and one event (with their photos, citations and place) and what betrays them."""

    label: str
    markers: Markers
    person: Victim | None = None
    event: Event | None = None
    photos: list[Photo] = field(default_factory=list)
    searched: list[str] = field(default_factory=list)  # the names a visitor would search for
    # A visitor's photo not approved for publication (contributions): hidden even while the person is public.
    unapproved: list[Photo] = field(default_factory=list)

    def identifiers(self) -> dict[str, str]:
        """Every string that must not appear anywhere public while the set is hidden (lower case)."""
        found = {text.lower(): f"{self.label}: {what}" for text, what in self.markers.names.items()}
        for record, what in [(self.person, "person"), (self.event, "event"), *[(p, "photo") for p in self.photos]]:
            found[str(record.uuid)] = f"{self.label}: {what} UUID"
            found[record.uuid.hex] = f"{self.label}: {what} UUID"
        found.update(self.unapproved_identifiers())
        for photo in self.photos:
            for size, entry in photo.renditions.items():
                for fmt in ("webp", "jpeg"):
                    found[entry[fmt].lower()] = f"{self.label}: photo rendition {size}.{fmt}"
            found[photo.original.name.lower()] = f"{self.label}: photo original"
        return found

    def unapproved_identifiers(self) -> dict[str, str]:
        """What betrays the unapproved photos: their UUIDs, renditions, original, texts (lower case)."""
        found = {}
        for photo in self.unapproved:
            found[str(photo.uuid)] = found[photo.uuid.hex] = f"{self.label}: unapproved photo UUID"
            found[photo.original.name.lower()] = f"{self.label}: unapproved photo original"
            found[photo.alt_text_en.lower()] = found[photo.credit.lower()] = f"{self.label}: unapproved photo text"
            for size, entry in photo.renditions.items():
                for fmt in ("webp", "jpeg"):
                    found[entry[fmt].lower()] = f"{self.label}: unapproved photo rendition {size}.{fmt}"
        return found

    def url_keys(self) -> dict[str, str]:
        """What identifies each record in a URL: slugs and UUIDs, by kind."""
        keys = {self.person.slug: "person slug", str(self.person.uuid): "person uuid",
                self.event.slug: "event slug", str(self.event.uuid): "event uuid"}  # fmt: skip
        keys.update({str(photo.uuid): "photo uuid" for photo in self.photos})
        return keys

    def photo_urls(self) -> list[str]:
        return [photo.rendition_url(size, fmt) for photo in self.photos for size in photo.renditions
                for fmt in ("webp", "jpeg")]  # fmt: skip


@dataclass
class UnapprovedPhotos:
    """Only the unapproved photos of a set, for a crawl while the set's records are public."""

    record_set: RecordSet

    def identifiers(self) -> dict[str, str]:
        return self.record_set.unapproved_identifiers()


def searched_names(markers: Markers) -> dict[str, str]:
    """The names a visitor would search for, made before the records (a crawl searches for them
    before the records exist too)."""
    return {"family": markers.latin("family name"), "given": markers.latin("given name"),
            "variant": markers.latin("name variant"), "variant_cyrillic": markers.cyrillic("name variant in Cyrillic"),
            "title": markers.latin("event title")}  # fmt: skip


def make_record_set(label: str, markers: Markers, *, status: str, public: dict) -> RecordSet:
    """Create the set's records in ``status``, every text a marker, linked to the public records
    the way real ones are (a published event lists the person, the person cites a public source)."""
    m = markers
    names = searched_names(m)
    published = status == Status.PUBLISHED
    dates = {"published_at": None} if not published else {}
    if status == Status.MERGED:  # merged into a record nobody public sees (its addresses answer 404)
        dates["merged_into"] = keeper(m)
    place = PlaceFactory(
        slug=m.slug("place slug"), name_en=m.latin("place of death (only hidden people died there)"),
        name_az=m.latin("place name az"), name_ru=m.cyrillic("place name ru"),
    )  # fmt: skip
    person = VictimFactory(
        family_name=names["family"], given_name=names["given"], patronymic=m.latin("patronymic"), slug=m.slug("person slug"),
        status=status, place_of_death=place, burial_place=place, nationality=m.latin("nationality"),
        occupation_en=m.latin("occupation"), occupation_az=m.latin("occupation az"),
        occupation_ru=m.cyrillic("occupation ru"), circumstances_en=m.latin("circumstances"),
        biography_en=m.latin("biography"), biography_ru=m.cyrillic("biography ru"), original_language="en",
        **dates,
    )  # fmt: skip
    NameVariantFactory(victim=person, name=names["variant"], script="latin", kind="transliteration")
    NameVariantFactory(victim=person, name=names["variant_cyrillic"])
    services.victim_refresh_search(victim=person)
    CitationFactory(victim=person, source=public["source"], locator=m.latin("citation locator"),
                    supports=m.latin("what the citation supports"))  # fmt: skip
    # A source cited by nobody public: it stays in the bibliography, but never with this person.
    CitationFactory(victim=person, source=public["uncited_source"], locator=m.latin("second citation locator"))
    photo = add_photo(person, alt_text_en=m.latin("photo alternative text"), caption_en=m.latin("photo caption"),
                      credit=m.latin("photo credit"), licence=m.latin("photo licence"))  # fmt: skip
    unapproved = add_photo(person, is_primary=False, is_published=False, credit=m.latin("unapproved photo credit"),
                           alt_text_en=m.latin("unapproved photo alternative text"))  # fmt: skip
    public["event"].victims.add(person)

    event = EventFactory(
        slug=m.slug("event slug"), title_en=names["title"], title_az=m.latin("event title az"),
        title_ru=m.cyrillic("event title ru"), summary_en=m.latin("event summary"),
        description_en=m.latin("event description"), status=EVENT_STATUS.get(status, status), place=place,
        **({"published_at": None} if not published else {}),
    )  # fmt: skip
    event.victims.add(person, public["person"])
    Citation.objects.create(event=event, source=public["source"], locator=m.latin("event citation locator"))
    event_photo = Photo(event=event, alt_text_en=m.latin("event photo alternative text"))
    services.photo_attach_upload(photo=event_photo, checked=images.check_upload(portrait_upload()))
    event_photo.save()

    add_contributions(m, about=[person, public["person"]], stays_public=public["person"])
    photo.refresh_from_db()
    return RecordSet(label, markers, person, event, [photo, event_photo], searched=list(names.values()),
                     unapproved=[unapproved])  # fmt: skip


def keeper(markers: Markers) -> Victim:
    """A draft a hidden set's person is merged into: the merged person's addresses must not reveal it."""
    return VictimFactory(family_name=markers.latin("kept family name"), given_name=markers.latin("kept given name"),
                         slug=markers.slug("kept person slug"), draft=True)  # fmt: skip


def add_contributions(m: Markers, *, about: list[Victim], stays_public: Victim) -> None:
    """What visitors sent, in every moderation status, with a file of its own in the private
    storage. None of it is ever public, accepted included (what a curator accepts reaches the site
    through the registry's own records), except an accepted candle message: it is shown on its
    person's candle page while the person is published, so the set's own person has one (seen while
    published, gone once hidden) and the person who ``stays_public`` has none."""
    for status in ContributionStatus.values:
        for kind in Kind.values:
            for person in about:
                if (kind, status) == (Kind.CANDLE_MESSAGE, ContributionStatus.ACCEPTED) and person == stays_public:
                    continue  # shown on the public person's candle page by design
                contribution = ContributionFactory(
                    kind=kind, status=status, victim=person if kind != Kind.TESTIMONY else None,
                    family_name=m.latin(f"{status} {kind} family name"), given_name=m.latin("contribution given name"),
                    place_of_death=m.latin("contribution place"), relation=m.latin("contribution relation"),
                    message=m.latin(f"{status} {kind} message"), evidence=m.cyrillic("contribution evidence"),
                    credit=m.latin("contribution credit"), submitter_name=m.latin("sender's name"),
                    submitter_email=f"{m.latin('sender email').lower()}@example.org",
                    rejection_reason=m.latin("rejection reason") if status == ContributionStatus.REJECTED else "",
                )  # fmt: skip
                contribution.file.save(f"{m.latin('contribution file').lower()}.pdf", ContentFile(b"%PDF-1.4"))


def public_registry() -> dict:
    """A small published registry: three people (one with a photo and a name variant), an event,
    two sources, a place."""
    place = PlaceFactory(slug="sinaq-prospekti", name_en="Synthetic Avenue", name_az="Sınaq prospekti")
    source = SourceFactory(key="sinaq-hesabat", title="Synthetic public report", kind="report")
    uncited_source = SourceFactory(key="sinaq-kitab", title="Synthetic book nobody public cites")
    person = VictimFactory(family_name="Sınaqova", given_name="Nigar", slug="nigar-sinaqova", place_of_death=place)
    NameVariantFactory(victim=person, name="Синагова Нигяр")
    services.victim_refresh_search(victim=person)
    add_photo(person, alt_text_en="A grey placeholder drawing")
    CitationFactory(victim=person, source=source, locator="p. 3")
    others = [VictimFactory(family_name=f"Sınaqlı{n}", given_name="Testəli", category=category)
              for n, category in enumerate(["wounded", "missing"])]  # fmt: skip
    event = EventFactory(slug="sinaq-hadisesi", title_en="Synthetic public event")
    event.victims.add(person, *others)
    Citation.objects.create(event=event, source=source, locator="p. 1")
    return {"person": person, "event": event, "source": source, "uncited_source": uncited_source}


# --- Checks ----------------------------------------------------------------------------------


def leaks(pages: dict[str, Fetched], sets: list[RecordSet]) -> list[str]:
    """Every place where an identifier of a hidden record shows. What a page was asked for is not
    counted on that page: a search for a name repeats the name (the search box, the "no match"
    sentence), a 404 page for a slug may link to the same address in other languages. Whatever
    linked to that address is caught on its own page."""
    identifiers: dict[str, str] = {}
    for record_set in sets:
        identifiers.update(record_set.identifiers())
    found = []
    for url, page in pages.items():
        asked = [value.lower() for _name, value in parse_qsl(urlsplit(url).query)]
        for readable in page.readable_forms():
            text = readable.lower()
            for value in asked:
                text = text.replace(value, "")
            found.extend(
                f"{url} (status {page.status}, linked from {page.referrer or 'a start'}) shows the {what}"
                for identifier, what in identifiers.items()
                if identifier in text and identifier not in unquote(url).lower()
            )
    return sorted(set(found))


def first_lines(items: list[str], n: int = 25) -> str:
    return "\n".join(items[:n]) + (f"\n... and {len(items) - n} more" if len(items) > n else "")


# Timestamps, fingerprints, and the per-visitor CSRF token of the contribution forms' pages.
_VOLATILE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?|\b[0-9a-f]{32,64}\b"
    r'|name="csrfmiddlewaretoken" value="[^"]*"'
)


def comparable(page: Fetched) -> tuple[int, str]:
    """A page's status and body, timestamps and fingerprints taken out."""
    return page.status, _VOLATILE.sub("…", page.text) if page.is_text else ""


def differences(before: dict[str, Fetched], after: dict[str, Fetched]) -> list[str]:
    problems = [
        f"{url} was not reachable before the hidden records existed" for url in sorted(set(after) - set(before))
    ]
    problems += [f"{url} is no longer reachable" for url in sorted(set(before) - set(after))]
    for url in sorted(set(before) & set(after)):
        old, new = comparable(before[url]), comparable(after[url])
        if old != new:
            diff = difflib.unified_diff(old[1].splitlines(), new[1].splitlines(), lineterm="", n=1)
            problems.append(f"{url} changed (status {old[0]} -> {new[0]}):\n" + "\n".join(list(diff)[2:14]))
    return problems


def move_to(record, status: str, user) -> None:
    """Take ``record`` to ``status`` through the workflow's own steps (the shortest way)."""
    paths = {record.status: []}
    queue = [record.status]
    while queue and status not in paths:
        current = queue.pop(0)
        for (frm, to), _permission in services.TRANSITIONS.items():
            if frm == current and to not in paths:
                paths[to] = [*paths[current], to]
                queue.append(to)
    if status == Status.MERGED and isinstance(record, Victim):
        merging.victim_merge(keep=keeper(Markers(f"{record.slug}-keeper")), merged=record, user=user)
        return
    status = EVENT_STATUS.get(status, status) if isinstance(record, Event) else status
    assert status in paths, f"The workflow has no way from {record.status} to {status}"
    for step in paths[status]:
        services.record_transition(record=record, to_status=step, user=user)


def crawl(client, sets: list[RecordSet], more_terms: list[str] = ()) -> tuple[Crawler, dict[str, Fetched]]:
    terms = [term for record_set in sets for term in record_set.searched] + list(more_terms)
    crawler = Crawler(client, search_terms=terms)
    return crawler, crawler.crawl(STARTS)


# --- The tests -------------------------------------------------------------------------------


def test_every_model_with_the_publication_workflow_is_covered():
    """A new kind of record with a status (contributions, say) must get hidden records here."""
    with_workflow = {
        model for model in apps.get_models()
        if any(f.name == "status" and Status.PUBLISHED in dict(f.choices or ()) for f in model._meta.fields)
        and not model.__name__.startswith("Historical")
    }  # fmt: skip
    assert with_workflow - COVERED_MODELS == set(), "add these models to make_record_set and COVERED_MODELS"
    assert not any(f.name == "status" for f in Source._meta.fields), "sources have a status now: hide some too"


@pytest.fixture
def public_site(settings):
    """The page cache on and the generation read as deployed (at once in the writing process)."""
    settings.PAGE_CACHE_ENABLED = True
    settings.REGISTRY_GENERATION_TTL = 1.0
    # A robot: no language preference, no cookie (a cookie would bypass the page cache).
    return Client()


@pytest.mark.parametrize("status", HIDDEN_STATUSES)
def test_nothing_unpublished_reaches_the_public(status, public_site, superuser):
    client = public_site
    public = public_registry()
    hidden = make_record_set(f"{status} record", Markers(f"{status}-born"), status=status, public=public)
    later_terms = list(searched_names(Markers(f"{status}-later")).values())  # the same names, made again

    _crawler, before = crawl(client, [hidden], later_terms)
    assert (leaked := leaks(before, [hidden])) == [], first_lines(leaked)

    later = make_record_set(f"published, then {status}", Markers(f"{status}-later"), status=Status.PUBLISHED,
                            public=public)  # fmt: skip
    assert later.searched == later_terms
    _crawler, shown = crawl(client, [hidden, later])
    assert (leaked := leaks(shown, [hidden, UnapprovedPhotos(later)])) == [], first_lines(leaked)

    # The crawler does see a record while it is public: on pages in every language, its photo,
    # its citation and its event, in the registry, the sitemap and a search for its name.
    everything = "\n".join(page.text.lower() for page in shown.values())
    for text, what in [(later.person.family_name, "name"), (later.person.slug, "slug"),
                       (later.event.slug, "event slug"), (later.photos[0].renditions["card"]["webp"], "photo"),
                       (later.person.citations.first().locator, "citation")]:  # fmt: skip
        seen = text.lower() in everything
        assert seen, f"the crawler never saw the published person's {what} ({text})"
    record_urls = {url for url in shown if any(key in url for key in later.url_keys())}
    languages = {urlsplit(url).path.split("/")[1] for url in record_urls if later.person.slug in url}
    assert languages >= {code for code, _name in django_settings.LANGUAGES}, record_urls
    assert any(url.startswith("/sitemap") and later.person.slug in shown[url].text for url in shown)
    # Its candles' count (fetched by the page's script) and its accepted candle message too.
    assert any(url.startswith(f"/candles/{later.person.uuid}/") for url in shown), "the crawler never asked for candles"
    accepted_message = next(text for text, what in later.markers.names.items() if what == "accepted candle message")
    assert accepted_message.lower() in everything, "the crawler never saw the accepted candle message"
    assert any("q=" in url and later.person.slug in shown[url].text for url in shown)

    move_to(Victim.objects.get(pk=later.person.pk), status, superuser)
    move_to(Event.objects.get(pk=later.event.pk), status, superuser)

    _crawler, after = crawl(client, [hidden, later])
    assert (leaked := leaks(after, [hidden, later])) == [], first_lines(leaked)
    assert (changed := differences(before, after)) == [], first_lines(changed, 5)

    # Every URL that showed the records, and the same URLs for the records hidden from the start:
    # an address with the record in its path answers 404 (in every language, with or without the
    # language prefix), one with it in the query (a filter) shows nothing of it.
    direct = set(record_urls)
    for url in record_urls:
        for (key, kind), (hidden_key, hidden_kind) in zip(later.url_keys().items(), hidden.url_keys().items(),
                                                          strict=True):  # fmt: skip
            assert kind == hidden_kind
            if key in url:
                direct.add(url.replace(key, hidden_key))
    keys = [*later.url_keys(), *hidden.url_keys()]
    asked = Crawler(client)
    answers = {url: asked.fetch(url) for url in direct if not url.startswith(django_settings.MEDIA_URL)}
    assert len(answers) >= 2 * 2 * len(django_settings.LANGUAGES)  # two sets, a person and an event each
    for url, page in list(answers.items()):
        if page.status in (301, 302):  # a path without its language prefix redirects to the prefixed one
            answers[url] = asked.fetch(asked.canonical(page.headers["Location"], url))
    assert {url: page.status for url, page in answers.items()
            if page.status != 404 and any(key in urlsplit(url).path for key in keys)} == {}  # fmt: skip
    assert (leaked := leaks(answers, [hidden, later])) == [], first_lines(leaked)


@pytest.mark.parametrize("status", HIDDEN_STATUSES)
def test_photos_of_unpublished_records_answer_404(status, public_site, superuser):
    """The renditions of a hidden record's photos, at the addresses its pages used while it was
    public (and the same addresses for a record never published), answer 404 like its pages."""
    client = public_site
    public = public_registry()
    hidden = make_record_set(f"{status} record", Markers(f"{status}-born"), status=status, public=public)
    later = make_record_set(f"published, then {status}", Markers(f"{status}-later"), status=Status.PUBLISHED,
                            public=public)  # fmt: skip
    shown = client.get(later.person.get_absolute_url())
    assert later.photos[0].rendition_url("card", "webp") in shown.content.decode()
    assert all(client.get(url).status_code == 200 for url in later.photo_urls())
    # A visitor's photo not yet approved answers 404 even while its person is published.
    unapproved = [photo.rendition_url(size, fmt) for photo in later.unapproved for size in photo.renditions
                  for fmt in ("webp", "jpeg")]  # fmt: skip
    assert len(unapproved) == 6 and {client.get(url).status_code for url in unapproved} == {404}

    move_to(Victim.objects.get(pk=later.person.pk), status, superuser)
    move_to(Event.objects.get(pk=later.event.pk), status, superuser)

    urls = later.photo_urls() + hidden.photo_urls()
    assert len(urls) == 2 * 2 * 3 * 2  # two sets, two photos, three sizes, two formats
    answers = {url: client.get(url).status_code for url in urls}
    assert {url: status for url, status in answers.items() if status != 404} == {}
