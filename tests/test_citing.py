"""Cite this record: every person page gives APA, MLA, Chicago and BibTeX with the permanent URL
and the access date; the repository has a CITATION.cff for the software."""

from __future__ import annotations

import datetime
import html
from pathlib import Path

import pytest
import yaml
from django.utils import timezone

from tests.factories import VictimFactory

pytestmark = pytest.mark.django_db

ORIGIN = "https://memorial.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = ORIGIN


def test_person_page_offers_citations_with_the_permanent_url_and_access_date(client):
    person = VictimFactory(family_name="İstinadov", given_name="Sınaq", slug="sinaq-istinadov")
    page = client.get(person.get_absolute_url()).content.decode()
    text = html.unescape(page)
    url = f"{ORIGIN}/en/victims/sinaq-istinadov/"
    today = timezone.localdate()
    section = text.split('id="cite-title"')[1].split("</section>")[0]
    assert "Cite this record" in text
    assert f"Black January Memorial. ({today.year}, {today:%B} {today.day}). Sınaq İstinadov. Black January Memorial. " \
           f"Retrieved {today.day} {today:%B} {today.year}, from {url}" in section  # fmt: skip
    assert f"“Sınaq İstinadov.” Black January Memorial, {today.day} {today:%B} {today.year}, {url}. Accessed" in section
    assert f"Black January Memorial. “Sınaq İstinadov.” Last modified {today.day} {today:%B} {today.year}." in section
    assert "@misc{bjm-sinaq-istinadov," in section
    assert f"  url = {{{url}}}," in section and f"  urldate = {{{today.isoformat()}}}," in section
    assert f"Accessed on {today.isoformat()}." in section


def test_citations_follow_the_page_language(client):
    person = VictimFactory(slug="sinaq-dil")
    text = html.unescape(client.get(f"/ru/zhertvy/{person.slug}/").content.decode())
    assert f"{ORIGIN}/ru/zhertvy/sinaq-dil/" in text.split('id="cite-title"')[1]


def test_bibtex_escapes_special_characters():
    from victims.citing import record_citations

    person = VictimFactory.build(family_name="Test_{x}", given_name="A&B", slug="s", updated_at=None)
    bibtex = record_citations(person, f"{ORIGIN}/en/victims/s/", accessed=datetime.date(2026, 1, 20)).bibtex
    assert "title = {A\\&B Test\\_\\{x\\}}" in bibtex


def test_repository_has_a_citation_file():
    data = yaml.safe_load((Path(__file__).resolve().parent.parent / "CITATION.cff").read_text(encoding="utf-8"))
    assert data["cff-version"] == "1.2.0"
    assert data["title"] and data["message"] and data["authors"]
    assert data["type"] == "software"
