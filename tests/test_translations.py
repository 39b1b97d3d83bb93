"""The interface catalogues: every message translated in az and ru, placeholders kept, plural forms
right, translated URL paths, and the translations actually shown on the site."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import resolve, reverse, translate_url
from django.utils import translation

LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = ["az", "ru"]
PLURAL_FORMS = {
    "az": "nplurals=2; plural=(n != 1);",
    "en": "nplurals=2; plural=(n != 1);",
    "ru": "nplurals=4; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : "
    "n%10==0 || (n%10>=5 && n%10<=9) || (n%100>=11 && n%100<=14)? 2 : 3);",
}


# --- The catalogues as polib reads them, in the shape the checks below compare ------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header's fields and the (non-obsolete) entries of a catalogue."""
    po = polib.pofile(str(path))
    header = {**po.metadata, "_fuzzy": "fuzzy" in (po.metadata_is_fuzzy or [])}
    entries = [
        Entry(
            msgid=entry.msgid,
            msgid_plural=entry.msgid_plural or None,
            msgctxt=entry.msgctxt,
            msgstr=dict(entry.msgstr_plural) if entry.msgid_plural else {0: entry.msgstr},
            flags=set(entry.flags),
            line=entry.linenum,
        )
        for entry in po
        if not entry.obsolete  # obsolete entries are not used at runtime
    ]
    return header, entries


def catalogue(language: str) -> tuple[dict[str, str], list[Entry]]:
    return parse_po(LOCALE / language / "LC_MESSAGES" / "django.po")


# Placeholders a translation must keep: %(name)s / %(n)d, bare %s / %d, {name}, URL converters, tags.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif]|\{[\w.]*\}|<\w+:\w+>|</?[a-zA-Z][^<>]*>")


def placeholders(text: str) -> Counter:
    return Counter(PLACEHOLDER.findall(text))


# --- The catalogues ---------------------------------------------------------------------------------


def test_the_reader_understands_plurals_contexts_flags_and_escapes(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        '#, fuzzy\nmsgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
        '#, fuzzy, python-format\nmsgctxt "filter"\nmsgid "Any"\nmsgstr "Hamısı"\n\n'
        'msgid "%(n)s year"\nmsgid_plural ""\n"%(n)s years"\nmsgstr[0] "%(n)s yaş"\nmsgstr[1] ""\n\n'
        '#~ msgid "old"\n#~ msgstr "köhnə"\n\n'
        'msgid "a \\"b\\" \\\\ c"\nmsgstr ""\n',
        encoding="utf-8",
    )
    header, entries = parse_po(po)
    assert header["Plural-Forms"] == "nplurals=2; plural=(n != 1);" and header["_fuzzy"]
    assert [(e.msgctxt, e.msgid) for e in entries] == [("filter", "Any"), (None, "%(n)s year"), (None, 'a "b" \\ c')]
    assert "fuzzy" in entries[0].flags
    assert entries[1].msgid_plural == "%(n)s years" and entries[1].msgstr == {0: "%(n)s yaş", 1: ""}
    assert placeholders('<a href="mailto:%(email)s">%(email)s</a> {x} %s') == Counter(
        {"%(email)s": 1, '<a href="mailto:%(email)s">': 1, "</a>": 1, "{x}": 1, "%s": 1}
    )


@pytest.mark.parametrize("language", ["az", "en", "ru"])
def test_catalogue_header_names_the_language_and_its_plural_forms(language):
    header, entries = catalogue(language)
    assert header["Language"] == language
    assert header["Plural-Forms"] == PLURAL_FORMS[language]
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert not header["_fuzzy"]
    assert len(entries) > 100


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_has_a_checked_translation(language):
    nplurals = int(re.search(r"nplurals=(\d)", PLURAL_FORMS[language]).group(1))
    problems = []
    for entry in catalogue(language)[1]:
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {entry.label}")
        expected = range(nplurals) if entry.msgid_plural is not None else range(1)
        if sorted(entry.msgstr) != list(expected) or not all(entry.msgstr[i].strip() for i in expected):
            problems.append(f"untranslated or missing a plural form: {entry.label}")
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder_and_tag(language):
    problems = []
    for entry in catalogue(language)[1]:
        sources = [entry.msgid] if entry.msgid_plural is None else [entry.msgid_plural]
        wanted = placeholders(sources[0])
        for index, text in entry.msgstr.items():
            if placeholders(text) != wanted:
                problems.append(f"{entry.label} [{index}]: {dict(placeholders(text))} != {dict(wanted)}")
    assert problems == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_memorial_tone_has_no_exclamation_marks(language):
    assert [e.label for e in catalogue(language)[1] if any("!" in text for text in e.msgstr.values())] == []


def test_english_is_the_source_language_and_needs_no_translations():
    """English msgstrs may stay empty (the msgid is shown), but nothing may be fuzzy or half-done."""
    for entry in catalogue("en")[1]:
        assert "fuzzy" not in entry.flags, entry.label
        if any(entry.msgstr.values()):
            assert all(entry.msgstr.values()), entry.label


# --- At runtime (the compiled catalogues) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", {1: "1 year", 2: "2 years", 5: "5 years", 21: "21 years"}),
        ("az", {1: "1 yaş", 2: "2 yaş", 5: "5 yaş", 21: "21 yaş"}),
        (
            "ru",
            {
                1: "1 год",
                2: "2 года",
                4: "4 года",
                5: "5 лет",
                11: "11 лет",
                12: "12 лет",
                14: "14 лет",
                21: "21 год",
                22: "22 года",
                25: "25 лет",
                101: "101 год",
                111: "111 лет",
            },
        ),  # fmt: skip
    ],
)
def test_plural_forms_follow_the_language(language, expected):
    with translation.override(language):
        got = {n: translation.ngettext("%(age)s year", "%(age)s years", n) % {"age": n} for n in expected}
    assert got == expected


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("az", ["Xatirə kitabı", "Xronologiya", "Mənbələr", "Statistika", "Haqqımızda", "20 Yanvar faciəsi"]),
        ("ru", ["Реестр", "Хронология", "Источники", "Статистика", "О мемориале", "Чёрный январь"]),
        ("en", ["Registry", "Timeline", "Sources", "Statistics", "About", "Black January"]),
    ],
)
def test_contextual_translation_is_compiled(language, words):
    with translation.override(language):
        assert translation.pgettext("filter", "Any") == {"az": "Hamısı", "ru": "Все", "en": "Any"}[language]
        assert [translation.gettext(w) for w in ["Registry", "Timeline", "Sources", "Statistics", "About",
                                                   "Black January"]] == words  # fmt: skip


def test_django_messages_django_leaves_untranslated_are_completed():
    """Django 6.1 has no az/ru text for the empty choice of a select; the admin shows ours."""
    from django.db.models.fields import BLANK_CHOICE_LABEL

    for language, expected in [
        ("az", "- Seçim edin -"),
        ("ru", "- Выберите вариант -"),
        ("en", "- Select an option -"),
    ]:
        with translation.override(language):
            assert str(BLANK_CHOICE_LABEL) == expected


# --- Translated URL paths ---------------------------------------------------------------------------

PATHS = {
    "az": {"victim_list": "/az/qurbanlar/", "event_list": "/az/hadiseler/", "source_list": "/az/menbeler/",
           "statistics": "/az/statistika/"},
    "en": {"victim_list": "/en/victims/", "event_list": "/en/events/", "source_list": "/en/sources/",
           "statistics": "/en/statistics/"},
    "ru": {"victim_list": "/ru/zhertvy/", "event_list": "/ru/sobytiya/", "source_list": "/ru/istochniki/",
           "statistics": "/ru/statistika/"},
}  # fmt: skip


@pytest.mark.parametrize("language", ["az", "en", "ru"])
def test_url_paths_are_translated_ascii_and_resolve(language):
    with translation.override(language):
        for name, path in PATHS[language].items():
            assert reverse(f"victims:{name}") == path
            assert path.isascii()
            assert resolve(path).url_name == name
        detail = reverse("victims:victim_detail", kwargs={"slug": "sinaq-slug"})
        assert detail == PATHS[language]["victim_list"] + "sinaq-slug/"
        assert resolve(detail).kwargs == {"slug": "sinaq-slug"}
        event = reverse("victims:event_detail", kwargs={"slug": "sinaq-hadise"})
        assert event == PATHS[language]["event_list"] + "sinaq-hadise/"


@pytest.mark.parametrize(
    ("language", "path"), [("az", "/az/haqqimizda/"), ("en", "/en/about/"), ("ru", "/ru/o-memoriale/")]
)
def test_the_about_page_address_is_translated(language, path):
    with translation.override(language):
        assert reverse("about") == path
        assert resolve(path).url_name == "about"
    assert path.isascii()


@pytest.mark.django_db
@pytest.mark.parametrize(("old", "new"), [("/az/about/", "/az/haqqimizda/"), ("/ru/about/", "/ru/o-memoriale/")])
def test_the_about_page_old_address_redirects(client, old, new):
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == new
    assert client.get("/en/about/").status_code == 200


@pytest.mark.parametrize(
    ("page_language", "path", "target", "expected"),
    [
        ("en", "/en/victims/sinaq-slug/", "ru", "/ru/zhertvy/sinaq-slug/"),
        ("ru", "/ru/zhertvy/sinaq-slug/", "az", "/az/qurbanlar/sinaq-slug/"),
        ("az", "/az/hadiseler/sinaq-hadise/", "en", "/en/events/sinaq-hadise/"),
        ("ru", "/ru/istochniki/", "az", "/az/menbeler/"),
    ],
)
def test_a_page_address_translates_between_languages(page_language, path, target, expected):
    """What the language switcher does: the page's address, resolved in its own language, in another."""
    with translation.override(page_language):
        assert translate_url(path, target) == expected


# --- On the site ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("az", ["Xatirə kitabı", "Xronologiya", "Mənbələr", "Statistika", "Haqqımızda"]),
        ("ru", ["Реестр", "Хронология", "Источники", "Статистика", "О мемориале"]),
    ],
)
def test_home_page_shows_the_translated_navigation(client, language, labels):
    html = client.get(f"/{language}/").content.decode()
    nav = re.search(r'<nav class="site-nav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, "the main navigation is on the page"
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(1))
    assert [text for _href, text in links] == labels
    hrefs = [href for href, _text in links]
    assert hrefs[:4] == [PATHS[language][name] for name in ("victim_list", "event_list", "source_list", "statistics")]
    assert hrefs[4] == {"az": "/az/haqqimizda/", "ru": "/ru/o-memoriale/"}[language]
    # Nothing of the English interface is left in the header or the page's own headings.
    assert ">Registry<" not in html and ">Timeline<" not in html and "Skip to content" not in html


@pytest.mark.django_db
def test_sitemap_lists_the_translated_addresses(client):
    from tests.factories import VictimFactory

    victim = VictimFactory()
    xml = client.get("/sitemap-victims.xml").content.decode() + client.get("/sitemap-pages.xml").content.decode()
    for paths in PATHS.values():
        assert f"http://testserver{paths['victim_list']}{victim.slug}/" in xml
        assert f"http://testserver{paths['statistics']}" in xml
