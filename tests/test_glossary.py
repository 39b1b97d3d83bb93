"""The glossary (docs/glossary.md) is the single source of the key terms: the catalogues use the words its
table chooses and none of the words it rules out; and a category said of one person is singular."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from tests.factories import VictimFactory
from victims.models import Category, Gender

GLOSSARY = Path(settings.BASE_DIR) / "docs" / "glossary.md"
LOCALE = Path(settings.BASE_DIR) / "locale"
TRANSLATED = ["az", "ru"]
# The contexts the person page asks for, by the person's gender.
ONE_PERSON = {
    Gender.FEMALE: "category of one woman",
    Gender.MALE: "category of one man",
    Gender.UNKNOWN: "category of one person",
}


def glossary_table(title: str) -> list[list[str]]:
    """The body rows of the Markdown table under the heading ``## title``, as lists of cells."""
    text = GLOSSARY.read_text(encoding="utf-8")
    assert f"\n## {title}\n" in text, f"docs/glossary.md has a section “{title}”"
    section = text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip() for line in section.splitlines() if line.strip().startswith("|")]
    assert re.fullmatch(r"\|( *-+ *\|)+", rows[1]), "the table's second line is its separator"
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


def code(cell: str) -> list[str]:
    """The backticked texts of a cell, in order."""
    return re.findall(r"`([^`]+)`", cell)


def key_terms() -> list[tuple[str, str | None, dict[str, str]]]:
    """(msgid, msgctxt, {language: translation}) for each row of the glossary's key terms."""
    terms = []
    for english, azerbaijani, russian, _why in glossary_table("Key terms"):
        ids = code(english)
        assert ids and len(ids) <= 2, f"a key term names its msgid (and maybe a context): {english!r}"
        chosen = {"az": code(azerbaijani), "ru": code(russian)}
        assert all(chosen.values()), f"a key term gives its Azerbaijani and Russian words: {english!r}"
        terms.append((ids[0], ids[1] if len(ids) > 1 else None, {lang: words[0] for lang, words in chosen.items()}))
    return terms


def compiled_messages(language: str) -> list[str]:
    """Every translation in the project's compiled catalogue of ``language`` (plural forms included)."""
    with (LOCALE / language / "LC_MESSAGES" / "django.mo").open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog
    return [text for key, text in catalogue.items() if key != ""]


def words_lower(text: str) -> str:
    """Lowercase as Azerbaijani writes it (İ → i, I → ı), so that matching ignores case in both alphabets."""
    return text.replace("İ", "i").replace("I", "ı").lower()


def test_the_glossary_reader_finds_the_tables():
    terms = key_terms()
    assert len(terms) >= 50
    assert ("Registry", None, {"az": "Xatirə kitabı", "ru": "Реестр"}) in terms
    assert ("Killed", "category of one woman", {"az": "Həlak olub", "ru": "Погибла"}) in terms
    assert len({(msgid, context) for msgid, context, _ in terms}) == len(terms), "each key term appears once"
    assert glossary_table("Words not used")[0][:2] == ["az", "`ölən`"]


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogues_use_the_glossarys_key_terms(language):
    """What a visitor is shown for each key msgid (the compiled catalogue) is the glossary's word."""
    differences = []
    with translation.override(language):
        for msgid, context, chosen in key_terms():
            shown = translation.pgettext(context, msgid) if context else translation.gettext(msgid)
            if shown != chosen[language]:
                differences.append(f"{msgid!r} ({context}): catalogue {shown!r}, glossary {chosen[language]!r}")
    assert differences == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogues_avoid_the_words_the_glossary_rules_out(language):
    ruled_out = [code(word)[0] for lang, word, _instead, _why in glossary_table("Words not used") if lang == language]
    assert ruled_out, f"the glossary rules out some {language} words"
    found = []
    for text in compiled_messages(language):
        for word in ruled_out:
            if re.search(r"(?<!\w)" + re.escape(words_lower(word)), words_lower(text)):
                found.append(f"{word!r} in {text!r}")
    assert found == []


# --- A category said of one person --------------------------------------------------------------


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_category_has_a_singular_form_for_one_person(language):
    """Each category's msgid has the three one-person contexts, translated apart from the group name."""
    missing = []
    with translation.override(language):
        for category in Category:
            with translation.override("en"):
                msgid = str(category.label)
            group = translation.gettext(msgid)
            for context in ONE_PERSON.values():
                one = translation.pgettext(context, msgid)
                if one in (msgid, group):
                    missing.append(f"{msgid!r} ({context}): {one!r}")
    assert missing == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
def test_the_person_page_says_the_category_of_one_person(client, language):
    """Every category label the person page shows is the one-person form for that person's gender."""
    people = {
        (gender, category): VictimFactory(gender=gender, category=category)
        for gender in ONE_PERSON
        for category in Category
    }
    wrong = []
    for (gender, category), person in people.items():
        with translation.override(language):
            url = person.get_absolute_url()
            label = translation.gettext("Category")
            with translation.override("en"):
                msgid = str(category.label)
            expected = translation.pgettext(ONE_PERSON[gender], msgid)
        html = client.get(url).content.decode()
        shown = re.search(rf"<dt>{re.escape(label)}</dt><dd>([^<]*)</dd>", html)
        if shown is None or shown.group(1) != expected:
            wrong.append(f"{gender} {category}: {shown and shown.group(1)!r}, expected {expected!r}")
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "gender", "expected"),
    [
        ("az", Gender.FEMALE, "Həlak olub"),
        ("az", Gender.UNKNOWN, "Həlak olub"),
        ("ru", Gender.FEMALE, "Погибла"),
        ("ru", Gender.MALE, "Погиб"),
        ("ru", Gender.UNKNOWN, "Погиб(ла)"),
        ("en", Gender.FEMALE, "Killed"),
    ],
)
def test_a_killed_person_is_killed_not_the_killed(client, language, gender, expected):
    person = VictimFactory(gender=gender, category=Category.KILLED)
    with translation.override(language):
        html = client.get(person.get_absolute_url()).content.decode()
    assert f"<dd>{expected}</dd>" in html
    assert "<dd>Həlak olanlar</dd>" not in html and "<dd>Погибшие</dd>" not in html


# --- Names as real records write them -----------------------------------------------------------


@pytest.mark.django_db
def test_generated_women_take_the_feminine_family_name():
    from tests.factories import NameVariantFactory

    woman, man = VictimFactory(gender=Gender.FEMALE), VictimFactory(gender=Gender.MALE)
    assert woman.family_name.startswith("Sınaqova") and not man.family_name.startswith("Sınaqova")
    assert NameVariantFactory(victim=woman).name.startswith("Синакова")
    assert NameVariantFactory(victim=man).name.startswith("Синаков")


def test_benchmark_women_take_the_feminine_family_name():
    from bench.generate import cyrillic, person

    women = [p for p in map(person, range(400)) if p.gender == "female"]
    assert len(women) > 20
    assert all(p.family_name.endswith(("ova", "li")) for p in women)
    assert all(cyrillic(p.family_name).endswith(("ова", "ли")) for p in women)
