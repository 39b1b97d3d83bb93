"""The statement is content: stored verbatim (apart from one fix) and shown on the home page."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse

from memorial.models import Statement
from memorial.statement import paragraphs, shipped_statement
from memorial.views import years_since

SHIPPED = Path(__file__).resolve().parent.parent / "memorial" / "content" / "statement.txt"


def test_shipped_copy_has_the_scanning_error_and_the_loader_fixes_only_that():
    raw = SHIPPED.read_text(encoding="utf-8")
    assert "15™" in raw
    statement = shipped_statement()
    rebuilt = f"{statement['title']}\n{statement['subtitle']}\n\n{statement['body']}"
    assert rebuilt.strip() == raw.replace("15™", "15th").strip()
    assert statement["title"] == "The Black January: 15th Anniversary of the Soviet Invasion of Baky"


@pytest.mark.django_db
def test_statement_in_the_database_equals_the_shipped_file():
    statement = Statement.objects.current()
    shipped = shipped_statement()
    assert statement.title_en == shipped["title"]
    assert statement.subtitle_en == shipped["subtitle"]
    assert statement.body_en == shipped["body"]
    assert statement.original_language == "en"
    assert statement.written_date == datetime.date(2005, 1, 1)
    assert statement.written_precision == "year"


def test_paragraphs_are_restored_from_scanned_lines():
    restored = paragraphs(shipped_statement()["body"])
    assert len(restored) == 6
    assert restored[0].startswith("Fifteen years has passed since the Central Soviet Authorities perpetrated")
    # The page break in the middle of a sentence does not split the paragraph.
    assert "who claimed a part of the territory of Azerbaijan, compelled the people of Azerbaijan" in restored[2]
    assert all("\n" not in p for p in restored)


def test_years_since_counts_whole_years():
    assert years_since(datetime.date(1990, 1, 20), datetime.date(2026, 1, 19)) == 35
    assert years_since(datetime.date(1990, 1, 20), datetime.date(2026, 1, 20)) == 36


@pytest.mark.django_db
def test_home_page_shows_the_statement_as_a_dated_statement(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The Black January: 15th Anniversary of the Soviet Invasion of Baky" in html
    assert "15™" not in html
    assert "written in 2005 for the fifteenth anniversary" in html
    assert '<q class="quotation"' in html and "among the most heinous violations of human rights" in html
    assert '<time datetime="1990-01-20">20 January 1990</time>' in html
    assert html.count("<h1") == 1


@pytest.mark.django_db
def test_home_page_says_how_many_years_have_passed(client, monkeypatch):
    monkeypatch.setattr("memorial.views.timezone.localdate", lambda: datetime.date(2026, 11, 27))
    html = client.get("/en/").content.decode()
    assert "36 years have passed since Soviet troops entered Baku" in html
