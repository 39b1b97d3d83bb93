"""The Azerbaijani and Russian sites read in their language: the statement and the initial content
ship translated, each translation labelled on the page with its original and date, the original
one click away; the English pages carry no label."""

from __future__ import annotations

import csv
import datetime
import importlib
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from common.translation_label import TranslationLabel, translation_label
from memorial.models import Statement
from memorial.statement import TRANSLATED_ON, add_shipped_translations, paragraphs, shipped_statement
from victims.models import Event, Place, ReportedFigure, Source

CONTENT = Path(__file__).resolve().parent.parent / "victims" / "content"
TRANSLATIONS = ("az", "ru")
LABEL = re.compile(r'<p class="translation-label">([^<]*) <a href="([^"]+)" hreflang="en">([^<]*)</a></p>')


def rows(name: str) -> list[dict[str, str]]:
    with (CONTENT / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def numbers(text: str, original: str = "") -> list[int]:
    """The numbers written in digits, thousands separators (",", ".", a space) taken out. Where the
    original says "Black January", the Azerbaijani name of the events, "20 Yanvar", is a name, not a figure."""
    if "Black January" in original:
        text = text.replace("20 Yanvar", "")
    return sorted(int(re.sub(r"\D", "", n)) for n in re.findall(r"\d+(?:[.,\u00a0 ]\d{3})*(?!\d)", text))


# --- What ships ---------------------------------------------------------------------------------


def test_every_shipped_content_row_has_azerbaijani_and_russian_text():
    for language in TRANSLATIONS:
        for row in rows("events.csv"):
            assert row[f"title_{language}"] and row[f"summary_{language}"], row["title"]
            assert row["translated_on"], row["title"]
        for row in rows("sources.csv"):
            assert bool(row[f"notes_{language}"]) == bool(row["notes"]), row["key"]
        for row in rows("figures.csv"):
            assert row[f"value_text_{language}"] and row[f"attribution_{language}"], row["attribution"]
            assert not row["note"] or row[f"note_{language}"]
        for row in rows("places.csv"):
            assert row[f"name_{language}"], row["place"]
        statement = shipped_statement(language)
        assert statement["title"] and statement["subtitle"] and statement["body"]
        # The same paragraphs as the original, one for one.
        assert len(paragraphs(statement["body"])) == len(paragraphs(shipped_statement()["body"]))


def test_translations_keep_every_number_of_the_original():
    original = shipped_statement()
    for language in TRANSLATIONS:
        statement = shipped_statement(language)
        for part in ("title", "body"):
            assert numbers(statement[part], original[part]) == numbers(original[part]), (language, part)
        for name, fields in [("events.csv", ["title", "summary"]), ("sources.csv", ["notes"]),
                             ("figures.csv", ["value_text", "attribution"])]:  # fmt: skip
            for row in rows(name):
                for field in fields:
                    translated = numbers(row[f"{field}_{language}"], row[field])
                    assert translated == numbers(row[field]), (name, field, language)


# The glossary's words not used (docs/glossary.md), matched at the start of a word, ignoring case.
AVOIDED = {"az": ["ölən", "ölüb", "ölüm", "qara yanvar"], "ru": ["цитиру", "умерш"]}


def test_translations_use_the_glossarys_words():
    for language, words in AVOIDED.items():
        texts = [*shipped_statement(language).values()]
        for name in ("events.csv", "sources.csv", "figures.csv", "places.csv"):
            texts += [text for row in rows(name) for column, text in row.items() if column.endswith(f"_{language}")]
        for word in words:
            found = [text for text in texts if re.search(rf"(?<!\w){word}", text, re.IGNORECASE)]
            assert found == [], (language, word)


def test_loaded_content_has_azerbaijani_and_russian_text_in_every_record(db):
    call_command("load_initial_content", verbosity=0)
    statement = Statement.objects.current()
    for language in TRANSLATIONS:
        assert getattr(statement, f"title_{language}") and getattr(statement, f"body_{language}")
        assert getattr(statement, f"translated_on_{language}") == TRANSLATED_ON
        for event in Event.objects.all():
            assert getattr(event, f"title_{language}") and getattr(event, f"summary_{language}"), event.slug
            assert getattr(event, f"translated_on_{language}") == datetime.date(2026, 11, 30)
        for source in Source.objects.exclude(notes_en=""):
            assert getattr(source, f"notes_{language}"), source.key
        for figure in ReportedFigure.objects.all():
            assert getattr(figure, f"value_text_{language}") and getattr(figure, f"attribution_{language}")
        for place in Place.objects.all():
            assert getattr(place, f"name_{language}"), place.slug
    assert Event.objects.count() == 15 and ReportedFigure.objects.count() == 6
    assert not Source.objects.filter(original_language="az").exists()
    assert not Event.objects.filter(citations__isnull=True).exists()  # every initial event keeps its source


# --- Installs loaded before the translations ------------------------------------------------------


def _forget_translations():
    """The state of an install loaded before the translations shipped."""
    blank = {f"{field}_{language}": "" for field in ("title", "summary") for language in TRANSLATIONS}
    Event.objects.update(**blank, translated_on_az=None, translated_on_ru=None)
    Source.objects.update(notes_az="", notes_ru="", translated_on_az=None, translated_on_ru=None)
    ReportedFigure.objects.update(value_text_az="", value_text_ru="", attribution_az="", attribution_ru="")


def test_loading_again_translates_content_loaded_before_and_changes_nothing_else(db):
    call_command("load_initial_content", verbosity=0)
    _forget_translations()
    event = Event.objects.get(title_en="Soviet troops enter Baku")
    event.title_ru = "Testova: a curator's own Russian title"
    event.save()
    changed = Event.objects.get(title_en="Television silenced")
    changed.summary_en = "A curator's rewritten summary (Testova)."
    changed.save()
    version = Event.objects.get(title_en="Barricades at the entrances to Baku").version

    call_command("load_initial_content", verbosity=0)

    event.refresh_from_db()
    assert event.title_ru == "Testova: a curator's own Russian title" and event.summary_ru == ""
    assert event.title_az == "Sovet qoşunları Bakıya daxil olur" and event.translated_on_az is not None
    changed.refresh_from_db()
    assert changed.title_az == "" and changed.title_ru == ""  # its English is no longer the one translated
    barricades = Event.objects.get(title_en="Barricades at the entrances to Baku")
    assert barricades.title_ru == "Баррикады на въездах в Баку" and barricades.version == version + 1
    assert Source.objects.get(key="hrw1991").notes_az.startswith("1991-ci ilin mayında")
    assert ReportedFigure.objects.get(value_text_en="more than 130").value_text_ru == "более 130"
    assert Event.objects.count() == 15 and ReportedFigure.objects.count() == 6


def test_loading_twice_translates_nothing_the_second_time(db, capsys):
    call_command("load_initial_content", verbosity=1)
    call_command("load_initial_content", verbosity=1)
    assert capsys.readouterr().out.strip().endswith("0 figures, 0 translations.")


def test_statement_translations_reach_an_install_with_the_shipped_english_statement(db):
    statement = Statement.objects.current()
    Statement.objects.update(title_az="", subtitle_az="", body_az="", title_ru="Testova: a curator's title",
                             translated_on_az=None)  # fmt: skip
    assert add_shipped_translations(Statement) == 1
    statement.refresh_from_db()
    assert statement.title_az == shipped_statement("az")["title"] and statement.translated_on_az == TRANSLATED_ON
    assert statement.title_ru == "Testova: a curator's title"  # never replaced
    assert add_shipped_translations(Statement) == 0


def test_statement_whose_english_a_curator_changed_gets_no_shipped_translation(db):
    Statement.objects.update(body_en="A curator's own statement (Testova).", title_az="", body_az="")
    assert add_shipped_translations(Statement) == 0
    assert Statement.objects.current().body_az == ""


def test_source_notes_move_to_the_field_of_their_language(db):
    from django.db import connection, models
    from django.db.migrations.loader import MigrationLoader

    migration = importlib.import_module("victims.migrations.0009_content_translations")
    apps = MigrationLoader(connection).project_state(("victims", "0009_content_translations")).apps
    plain = models.QuerySet(model=Source)  # the notes column as it was, without modeltranslation's rewriting
    other = Source.objects.create(key="testova-notes", kind="report", title="Testova's notebook")
    plain.filter(key="hrw1991").update(notes="English note", notes_en=None, original_language="az")
    plain.filter(pk=other.pk).update(notes="Sınaq qeydi", original_language="az")
    ReportedFigure.objects.create(measure="killed", value_text_en="1", attribution_en="Testova")
    migration.move_to_language_fields(apps, None)
    initial = Source.objects.get(key="hrw1991")  # made by a data migration
    other.refresh_from_db()
    assert (initial.original_language, initial.notes_en, initial.notes_az) == ("en", "English note", None)
    assert (other.original_language, other.notes_az) == ("az", "Sınaq qeydi")
    assert ReportedFigure.objects.get().original_language == "en"


# --- The label ------------------------------------------------------------------------------------


def test_label_names_the_original_and_both_dates_in_the_page_language():
    label = TranslationLabel("en", datetime.date(2026, 11, 30), "2005")
    with translation.override("en"):
        assert label.sentence == "Translated from the English original (2005) on 30 November 2026."
        assert label.link_text == "Read the original in English"
    with translation.override("az"):
        assert label.sentence == "İngilis dilindəki orijinaldan (2005) tərcümə; tərcümə tarixi: 30 noyabr 2026."
    with translation.override("ru"):
        assert label.sentence == "Перевод с английского оригинала (2005); дата перевода: 30 ноября 2026."
        assert TranslationLabel("az").sentence == "Перевод с азербайджанского оригинала."


def test_no_label_for_the_original_or_for_a_language_without_text():
    event = Event(title_en="Testova event", title_az="Testova hadisəsi", original_language="en")
    assert translation_label(event, "title", language="en") is None
    assert translation_label(event, "title", language="ru") is None  # the fallback note says it
    assert translation_label(event, "title", language="az") == TranslationLabel("en")


# --- The pages ------------------------------------------------------------------------------------


def page_urls(language: str) -> dict[str, str]:
    event = Event.objects.get(title_en="Civilians killed and wounded")
    with translation.override(language):
        return {
            "home": reverse("home"),
            "timeline": reverse("victims:event_list"),
            "event": reverse("victims:event_detail", args=[event.slug]),
            "sources": reverse("victims:source_list"),
        }


EXPECTED = {
    "az": {
        "home": ["20 Yanvar faciəsi: sovet qoşunlarının Bakıya soxulmasının 15-ci ildönümü", "Anma bəyanatı (2005)",
                 "130-dan çox", "Azərbaycan azadlığı şəhidlərinin ruhu şad olsun!"],
        "timeline": ["Azərbaycan Ali Sovetinin fövqəladə sessiyası", "Həlak olanların dəfni"],
        "event": ["Həlak olan və yaralanan dinc sakinlər", "Xatirə kitabı hər rəqəmi öz mənbəyi ilə birlikdə göstərir."],
        "sources": ["Sənədlər toplusu; Səhiyyə Nazirliyinin"],
    },
    "ru": {
        "home": ["Чёрный январь: 15-я годовщина вторжения советских войск в Баку", "Памятное заявление (2005)",
                 "более 130", "Пусть души погибших за свободу Азербайджана покоятся с миром!"],
        "timeline": ["Чрезвычайная сессия Верховного Совета Азербайджана", "Похороны погибших"],
        "event": ["Погибшие и раненые среди мирных жителей", "Реестр хранит каждую цифру вместе с её источником."],
        "sources": ["Сборник документов; источник данных Министерства здравоохранения"],
    },
}  # fmt: skip
ORIGINAL = {
    "home": "The Black January: 15th Anniversary of the Soviet Invasion of Baky",
    "timeline": "Emergency session of the Supreme Soviet of Azerbaijan",
    "event": "The registry keeps every figure with its source.",
    "sources": "Compilation of documents; source of the Ministry of Health figures",
}


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translated_pages_show_the_translation_labelled_with_a_working_link_to_the_original(db, client, language):
    call_command("load_initial_content", verbosity=0)
    for name, url in page_urls(language).items():
        html = client.get(url).content.decode()
        for text in EXPECTED[language][name]:
            assert text.replace("'", "&#x27;") in html, (name, text)
        labels = LABEL.findall(html)
        assert labels, name
        for sentence, link, link_text in labels:
            assert "30" in sentence and "2026" in sentence, sentence
            assert link_text == {"az": "Orijinalı ingilis dilində oxuyun",
                                 "ru": "Читать оригинал на английском языке"}[language]  # fmt: skip
            original = client.get(link.split("#")[0])
            assert original.status_code == 200, link
            assert ORIGINAL[name] in original.content.decode(), link
        assert "Not yet translated" not in html and "Hələ tərcümə olunmayıb" not in html
        assert "Ещё не переведено" not in html
    home = client.get(page_urls(language)["home"]).content.decode()
    assert "(2005)" in LABEL.findall(home)[0][0]  # the statement's label gives the original's year
    assert f'<div class="statement-body" lang="{language}">' in home


def test_english_pages_carry_no_translation_label(db, client):
    call_command("load_initial_content", verbosity=0)
    for name, url in page_urls("en").items():
        html = client.get(url).content.decode()
        assert "translation-label" not in html, name
        assert ORIGINAL[name] in html, name


def test_a_curators_untranslated_event_is_shown_with_the_fallback_note_and_no_label(db, client):
    call_command("load_initial_content", verbosity=0)
    Event.objects.filter(title_en="Crackdown in Vilnius").update(title_ru="", summary_ru="")
    event = Event.objects.get(title_en="Crackdown in Vilnius")
    with translation.override("ru"):
        url = reverse("victims:event_detail", args=[event.slug])
    html = client.get(url).content.decode()
    assert "translation-label" not in html
    assert "Ещё не переведено; показано на английском языке." in html


# --- In a browser, on a phone -----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translated_pages_on_a_phone_show_the_label_pass_axe_and_link_to_the_original(
    browser, live_server, screenshot, language
):
    from tests.conftest import PHONE
    from tests.test_accessibility import audit

    axe = pytest.importorskip("axe_playwright_python.sync_playwright").Axe()
    context = browser.new_context(viewport=PHONE, locale={"az": "az-AZ", "ru": "ru-RU"}[language])
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        for name, url in page_urls(language).items():
            assert page.goto(f"{live_server.url}{url}").status == 200, url
            label = page.locator(".translation-label").first
            assert label.is_visible(), name
            assert page.locator("main").inner_text().count(EXPECTED[language][name][0]) >= 1, name
            screenshot(page, f"content-translation-{language}-{name}-375")
            assert audit(axe, page) == [], name
        # The original is one click away.
        page.goto(f"{live_server.url}{page_urls(language)['event']}")
        page.locator(".translation-label a").first.click()
        page.wait_for_load_state()
        assert page.url.startswith(f"{live_server.url}/en/events/")
        assert page.locator("h1").inner_text() == "Civilians killed and wounded"
        assert page.locator(".translation-label").count() == 0
    finally:
        context.close()


# --- The admin --------------------------------------------------------------------------------------


def test_curators_edit_each_languages_text_and_translation_date_in_the_admin(client, superuser):
    call_command("load_initial_content", verbosity=0)
    client.force_login(superuser)
    source = Source.objects.get(key="hrw1991")
    event = Event.objects.get(title_en="Civilians killed and wounded")
    figure = ReportedFigure.objects.first()
    for model, record in [("source", source), ("event", event), ("reportedfigure", figure)]:
        html = client.get(reverse(f"admin:victims_{model}_change", args=[record.pk])).content.decode()
        assert 'name="translated_on_ru"' in html and 'name="original_language"' in html, model
    html = client.get(reverse("admin:victims_source_change", args=[source.pk])).content.decode()
    assert 'name="notes_az"' in html and "1991-ci ilin mayında dərc edilib." in html
    statement = Statement.objects.current()
    html = client.get(reverse("admin:memorial_statement_change", args=[statement.pk])).content.decode()
    assert 'name="translated_on_az"' in html and 'value="2026-11-30"' in html
