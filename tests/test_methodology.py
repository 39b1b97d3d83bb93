"""The public Methodology page, its links, and each citation's source rating on a person page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import CitationFactory, SourceFactory, VictimFactory
from victims.models import Reliability

pytestmark = pytest.mark.django_db

HEADINGS = {
    "en": ["What a record needs to be published", "How sources are rated and shown", "How the counts are made",
           "How duplicate records are resolved", "How to ask for a correction or a removal"],
    "az": ["Qeydin dərc olunması üçün nə lazımdır", "Mənbələr necə qiymətləndirilir və göstərilir",
           "Saylar necə hesablanır", "Təkrarlanan qeydlər necə həll edilir",
           "Düzəliş və ya silinmə üçün necə müraciət etmək olar"],
    "ru": ["Что нужно записи для публикации", "Как оцениваются и показываются источники", "Как ведётся подсчёт",
           "Как разрешаются повторяющиеся записи", "Как попросить об исправлении или удалении"],
}  # fmt: skip


def url(language: str, name: str, **kwargs) -> str:
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.mark.parametrize("language", ["az", "en", "ru"])
def test_methodology_page_answers_in_every_language_with_every_section(client, language, settings):
    response = client.get(url(language, "methodology"))
    assert response.status_code == 200
    text = response.content.decode()
    for heading in HEADINGS[language]:
        assert heading in text
    assert f"mailto:{settings.CONTACT_EMAIL}" in text


@pytest.mark.parametrize("language", ["az", "en", "ru"])
def test_about_and_every_person_page_link_to_the_methodology(client, language):
    person = VictimFactory()
    CitationFactory(victim=person)
    methodology = url(language, "methodology")
    assert f'href="{methodology}"' in client.get(url(language, "about")).content.decode()
    page = client.get(url(language, "victims:victim_detail", slug=person.slug)).content.decode()
    assert f'href="{methodology}"' in page


def test_each_citation_shows_its_sources_rating_as_a_labelled_badge(client):
    person = VictimFactory()
    for key, rating in [("synthetic-primary", Reliability.PRIMARY), ("synthetic-testimony", Reliability.TESTIMONY),
                        ("synthetic-unrated", "")]:  # fmt: skip
        CitationFactory(victim=person, source=SourceFactory(key=key, reliability=rating))
    page = client.get(person.get_absolute_url()).content.decode()
    assert page.count('class="source-rating') == 2
    assert "source-rating-primary" in page and "source-rating-testimony" in page
    assert '<span class="visually-hidden">Reliability: </span>Primary</a>' in page
    assert '<span class="visually-hidden">Reliability: </span>Testimony</a>' in page
