"""The registry page and its search: what is kept per registry generation follows every change, the
pieces written in Python (name cards, filters, alphabet, page links) give the HTML of the templates
they replaced, and as deployed a page runs one query."""

from __future__ import annotations

import datetime
from html import escape

import pytest
from django import forms
from django.core.paginator import Paginator
from django.db import connection
from django.template import Context, RequestContext, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from common.partialdates import Precision
from tests.factories import EventFactory, PlaceFactory, VictimFactory
from tests.test_public_views import bulk_people
from victims.caching import forget_generation
from victims.filters import RegistryFilterForm
from victims.models import Gender, Photo, Status, Victim
from victims.normalize import AZ_ALPHABET
from victims.querysets import VictimQuerySet
from victims.templatetags.public import select_field, victim_cards

pytestmark = pytest.mark.django_db

LANGUAGES = ["az", "en", "ru"]


@pytest.fixture
def as_deployed(settings):
    """Pages rendered every time, the generation read once a minute (as a worker does once a second)."""
    settings.PAGE_CACHE_ENABLED = False
    settings.REGISTRY_GENERATION_TTL = 60
    forget_generation()
    yield
    forget_generation()


def place_choices(client, path: str = "/en/victims/") -> list[tuple[str, str]]:
    return [(slug, str(name)) for slug, name in client.get(path).context["form"].fields["place"].choices if slug]


# --- Kept per registry generation --------------------------------------------------------------


def test_the_place_choices_are_kept_per_generation_and_follow_every_change(client, settings):
    settings.PAGE_CACHE_ENABLED = False
    square = PlaceFactory(name_en="Synthetic Square", name_ru="Синтетическая площадь")
    person = VictimFactory(place_of_death=square)
    assert place_choices(client) == [(square.slug, "Synthetic Square")]
    with CaptureQueriesContext(connection) as queries:
        assert place_choices(client) == [(square.slug, "Synthetic Square")]
    assert not [q["sql"] for q in queries.captured_queries if "victims_place" in q["sql"]]  # from the cache
    assert place_choices(client, "/ru/zhertvy/") == [(square.slug, "Синтетическая площадь")]  # per language

    square.name_en = "Renamed Synthetic Square"
    square.save()
    assert place_choices(client) == [(square.slug, "Renamed Synthetic Square")]
    street = PlaceFactory(name_en="A synthetic street")
    other = VictimFactory(place_of_death=street)
    assert place_choices(client) == [(street.slug, "A synthetic street"), (square.slug, "Renamed Synthetic Square")]
    Victim.objects.filter(pk=other.pk).update(status=Status.WITHDRAWN)
    assert place_choices(client) == [(square.slug, "Renamed Synthetic Square")]
    Victim.objects.filter(pk=person.pk).update(place_of_death=None)
    assert place_choices(client) == []


def test_a_registry_page_or_a_search_runs_one_query_as_deployed(client, as_deployed, django_assert_num_queries):
    bulk_people(130)  # half of them with a photo
    VictimFactory(family_name="Sınaqov", given_name="Testəli")
    for path in ["/en/victims/", "/ru/zhertvy/"]:
        client.get(path)  # the generation, the place choices (in each language) and the count, once
    for path in ["/en/victims/", "/en/victims/?q=Testəli+Sınaqov", "/ru/zhertvy/?q=Testali+Sinaqov&gender=unknown"]:
        # The people of the page with their photos (a new search counts its matches in the same query).
        with django_assert_num_queries(1):
            response = client.get(path)
        assert response.status_code == 200 and response.context["result_count"]
    client.get("/en/victims/?sort=age&page=2")  # its count, once
    with django_assert_num_queries(1):
        assert len(client.get("/en/victims/?sort=age&page=2").context["victims"]) == 60


# --- Name cards ---------------------------------------------------------------------------------

# A name card as the template include wrote it before the cards were written by {% victim_cards %}.
CARD = Template(
    '{% load i18n public %}<li class="name-card{% if photo %} has-photo{% endif %}">\n  <a href="{{ url }}">\n    '
    '{% if photo %}<span class="name-card-photo">{% picture photo "thumb" victim.original_language %}</span>{% endif %}'
    '<span class="name-card-name">{{ victim }}</span>\n    '
    '{% if victim.death_date %}<span class="name-card-date"><time datetime="{% iso_date victim.death_date '
    'victim.death_precision %}">{{ victim.death_display }}</time>{% if victim.age is not None %} · {% blocktranslate '
    "count age=victim.age %}{{ age }} year{% plural %}{{ age }} years{% endblocktranslate %}{% endif %}</span>"
    "{% endif %}\n  </a>\n</li>"
)


def photo(person: Victim, *, primary: bool = True, renditions: bool = True, **alt_texts) -> Photo:
    files = {size: {"webp": f"photos/{person.pk}/{size}.webp", "jpeg": f"photos/{person.pk}/{size}.jpg",
                    "width": 160, "height": 200} for size in ("thumb", "card", "full")}  # fmt: skip
    return Photo.objects.create(
        victim=person, original=f"originals/{person.pk}.jpg", is_primary=primary, caption="A synthetic caption",
        renditions=files if renditions else {}, **alt_texts,
    )  # fmt: skip


@pytest.fixture
def people_of_every_kind() -> list[Victim]:
    day, month, year = Precision.DAY, Precision.MONTH, Precision.YEAR
    people = [
        VictimFactory(given_name="Nigar", family_name="Testova & <Sınaqova>", gender=Gender.FEMALE, age_recorded=1),
        VictimFactory(given_name="Testəli", family_name="O'Sınaqov \"Test\"", age_recorded=21),
        VictimFactory(death_date=datetime.date(1990, 1, 1), death_precision=month, age_recorded=3),
        VictimFactory(death_date=datetime.date(1991, 1, 1), death_precision=year),
        VictimFactory(death_date=None, death_precision="", age_recorded=45),
        VictimFactory(death_date=datetime.date(1990, 1, 21), death_precision=day, original_language="ru"),
        VictimFactory(display_name="Synthetic display name", age_recorded=60),
    ]
    photo(people[0], alt_text_en="A synthetic portrait", alt_text_az="Sınaq portret")
    photo(people[1], alt_text_ru="Синтетический портрет")  # shown with lang="ru" on the other pages
    photo(people[5], alt_text_az="Sınaq <şəkil> & \"dırnaq\"")
    photo(people[6], renditions=False, alt_text_en="Not yet processed")
    photo(people[2], primary=False, alt_text_en="Not the primary photo")
    return people


def test_name_cards_are_the_html_of_the_card_template(people_of_every_kind):
    with_photo_in_row = list(Victim.objects.published().for_list().order_by("id"))
    prefetched = list(Victim.objects.published().only(*VictimQuerySet.CARD_FIELDS).with_primary_photo().order_by("id"))
    assert [len(person.primary_photos) for person in with_photo_in_row] == [1, 1, 0, 0, 0, 1, 1]
    for language in [*LANGUAGES, *LANGUAGES]:  # one after the other: dates and ages are kept per language
        with translation.override(language):
            expected = "\n".join(
                CARD.render(Context({"victim": person, "photo": (person.primary_photos or [None])[0],
                                     "url": person.get_absolute_url()}))  # fmt: skip
                for person in prefetched
            )
            assert victim_cards(with_photo_in_row) == expected, language
    assert "Testova &amp; &lt;Sınaqova&gt;" in expected and "O&#x27;Sınaqov &quot;Test&quot;" in expected


def test_a_photo_read_in_the_row_loads_its_other_columns_when_asked(people_of_every_kind):
    person = Victim.objects.published().for_list().get(pk=people_of_every_kind[0].pk)
    shown = person.primary_photos[0]
    stored = Photo.objects.get(victim=person, is_primary=True)
    assert (shown.pk, shown.renditions, shown.alt_text_en) == (stored.pk, stored.renditions, stored.alt_text_en)
    assert shown.caption == "A synthetic caption"  # deferred: read when asked


# --- The registry's people as plain rows -----------------------------------------------------------

# Every path of the registry's paging: page 1 (the count kept, or counted with the page), pages past
# the first (through their ids), the last page, each sort, a letter, filters, searches of one word
# (nearest first: "at least"), two words, Cyrillic, a near miss, nobody (suggestions), a bad page.
REGISTRY_QUERIES = [
    "", "page=2", "page=3", "sort=name&page=2", "sort=death", "sort=age&page=3", "letter=S", "letter=%C6%8F",
    "gender=female&sort=age", "age=18-29&died=20", "died=later", "category=wounded&page=2", "q=Mammadov",
    "q=Mammadov&page=2", "q=Mammadov&sort=age", "q=Memmedli", "q=Sinaq+Testali", "q=%D0%9C%D0%B0%D0%BC%D0%B5%D0%B4%D0%BE%D0%B2",
    "q=Mammadova&gender=female", "q=Zzyxwvq", "q=Mammadovv", "page=9",
]  # fmt: skip


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_registry_s_plain_rows_give_the_html_of_the_model_instances(client, settings, monkeypatch, language,
                                                                         people_of_every_kind):  # fmt: skip
    from victims import views
    from victims.pagedata import ListCardRow

    settings.PAGE_CACHE_ENABLED = False
    bulk_people(130)  # half of them with a photo
    namesakes = [VictimFactory(family_name="Məmmədov", given_name=f"Sınaq{n:02}", age_recorded=20 + n) for n in range(64)]
    namesakes += [VictimFactory(family_name="Məmmədli", given_name=f"Testəli{n}", gender=Gender.FEMALE) for n in range(4)]
    for person in namesakes[::3]:
        photo(person, alt_text_ru="Синтетический портрет")
    registry = {"az": "/az/qurbanlar/", "en": "/en/victims/", "ru": "/ru/zhertvy/"}[language]
    seen = set()
    for query in REGISTRY_QUERIES:
        path = registry + "?" + query
        with translation.override(language):
            rows = client.get(path)  # the first: the count is counted (then kept per generation)
            monkeypatch.setattr(views, "as_card_rows", lambda queryset: queryset)  # the ORM's model instances
            instances = client.get(path)
            monkeypatch.undo()
            again = client.get(path)
        assert rows.status_code == instances.status_code == again.status_code, path
        assert rows.content == instances.content == again.content, path
        if rows.status_code != 200:
            continue
        people, html = rows.context["victims"], rows.content.decode()
        assert all(type(person) is ListCardRow for person in people), path
        assert [person.pk for person in people] == [person.pk for person in instances.context["victims"]], path
        seen |= {kind for kind, there in [("people", people), ("photos", "name-card-photo" in html),
                                          ("at least", rows.context["result_count_is_lower_bound"]),
                                          ("suggestions", 'class="suggestions"' in html)] if there}  # fmt: skip
    assert seen == {"people", "photos", "at least", "suggestions"}


@pytest.mark.parametrize("shown", [5, 70])  # all of them, or the first 60 and a link to the rest
def test_an_event_s_people_as_plain_rows_give_the_html_of_the_model_instances(client, settings, monkeypatch, shown,
                                                                               people_of_every_kind):  # fmt: skip
    from victims import views
    from victims.pagedata import ListCardRow

    settings.PAGE_CACHE_ENABLED = False
    event = EventFactory()
    event.victims.add(*people_of_every_kind[:5], *bulk_people(shown - 5))
    for language in LANGUAGES:
        with translation.override(language):
            path = event.get_absolute_url()
            rows = client.get(path)
            monkeypatch.setattr(views, "as_card_rows", lambda queryset: queryset)  # the ORM's model instances
            instances = client.get(path)
            monkeypatch.undo()
        assert all(type(person) is ListCardRow for person in rows.context["people"])
        assert rows.content == instances.content, path
        assert rows.content.decode().count('<li class="name-card') == min(shown, 60)


def test_the_registry_s_queryset_built_once_is_never_evaluated_and_shows_every_change(client, settings):
    from victims.views import registry_people

    settings.PAGE_CACHE_ENABLED = False
    bulk_people(3)
    for query in ["", "?q=Sınaq", "?gender=female&sort=age", "?page=1&letter=S"]:
        assert client.get("/en/victims/" + query).status_code == 200
    assert registry_people() is registry_people() and registry_people()._result_cache is None
    VictimFactory(given_name="Testəli", family_name="Sınaqlı")
    assert "Testəli Sınaqlı" in client.get("/en/victims/").content.decode()


def test_a_plain_row_is_the_same_person_as_the_model_instance(people_of_every_kind):
    from victims.pagedata import ListCardRow, as_card_rows

    people = Victim.objects.published().for_list().order_by("id")
    rows = list(as_card_rows(people))
    assert all(type(row) is ListCardRow for row in rows)
    assert rows == list(people) and {row.pk for row in rows} == {person.pk for person in people}
    assert rows[0] != rows[1] and len(set(rows + rows)) == len(rows)
    assert [len(row.primary_photos) for row in rows] == [1, 1, 0, 0, 0, 1, 1]
    assert rows[0].primary_photos[0].alt_text_en == "A synthetic portrait"


# --- Filters, alphabet and page links -----------------------------------------------------------

QUERIES = [
    "", "q=Sınaq", "letter=M", "q=a&letter=%C6%8F&page=3", "page=2&q=x&letter=Ç", "letter=A&letter=B&q=1",
    "q=%3Cb%3E%26%22%27&gender=female&page=4", "sort=age&utm=x+y", "page=2", "q=&letter=", "a=1&a=2&page=9&b=%2F",
]  # fmt: skip

ALPHABET = Template(
    '{% for letter in alphabet %}<li><a href="{% querystring letter=letter page=None %}"'
    '{% if letter == current_letter %} aria-current="true"{% endif %}>{{ letter }}</a></li>{% endfor %}'
)
PAGES = Template(
    "{% load i18n %}{% for number in page_range %}\n"
    '      {% if number == page_obj.paginator.ELLIPSIS %}<li><span aria-hidden="true">…</span></li>\n'
    '      {% elif number == page_obj.number %}<li><a href="{% querystring page=number %}" aria-current="page">'
    '<span class="visually-hidden">{% translate "Page" %} </span>{{ number }}</a></li>\n'
    '      {% else %}<li><a href="{% querystring page=number %}"><span class="visually-hidden">{% translate "Page" %} '
    "</span>{{ number }}</a></li>{% endif %}\n    {% endfor %}"
)
FILTERS = Template(
    '{% load public %}{% for field in form %}{% if field.name != "q" and field.name != "letter" and field.name != "event"'
    ' and field.name != "source" %}\n        <div class="filter-field">\n          <label for="{{ field.id_for_label }}">'
    "{{ field.label }}</label>\n          {% select_field field %}\n        </div>\n        {% endif %}{% endfor %}"
)


@pytest.mark.parametrize("query", QUERIES)
def test_the_alphabet_and_page_links_are_what_querystring_writes(rf: RequestFactory, query):
    request = rf.get("/en/victims/?" + query)
    tags = Template("{% load public %}{% alphabet_links alphabet current %}|{% page_links page_obj page_range %}")
    for number in (1, 2, 5, 40, 79, 80):
        page = Paginator(range(80 * 60), 60).page(number)
        page_range = list(page.paginator.get_elided_page_range(number, on_each_side=2, on_ends=1))
        for current in ("", "M", "Ə"):
            values = {"alphabet": AZ_ALPHABET, "current": current, "current_letter": current, "page_obj": page,
                      "page_range": page_range}  # fmt: skip
            expected = ALPHABET.render(RequestContext(request, values)) + "|" + PAGES.render(RequestContext(request, values))
            assert tags.render(RequestContext(request, values)) == expected, (query, number, current)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "data", [None, {}, {"gender": "female", "age": "60+", "sort": "age"}, {"place": "a-b", "died": "later", "category": "x"}]
)
def test_the_filters_are_what_the_template_loop_wrote(language, data):
    places = [("a-b", "Synthetic <street> & \"square\""), ("c", "Sınaq küçəsi")]
    tag = Template('{% load public %}{% filter_fields form "q" "letter" "event" "source" %}')
    with translation.override(language):
        form = RegistryFilterForm(data, places=places)
        assert tag.render(Context({"form": form})) == FILTERS.render(Context({"form": form}))


def options_as_written_before(field) -> str:
    """A ``<select>`` as ``select_field`` wrote it before its options were kept per language."""
    value = field.value()
    current = "" if value is None else str(value)
    options = "".join(
        f'\n  <option value="{escape(str(key))}"{" selected" if str(key) == current else ""}>{escape(str(label))}</option>'
        for key, label in field.field.choices
    )
    return f'<select name="{escape(field.html_name)}" id="{escape(field.id_for_label)}">{options}\n</select>'


def test_the_filter_options_follow_the_language_and_the_choices():
    places = [("a-b", "Synthetic <street> & \"square\""), ("c", "Sınaq küçəsi")]
    for language in [*LANGUAGES, *LANGUAGES]:  # one after the other: the options are kept per language
        with translation.override(language):
            form = RegistryFilterForm({"sort": "age", "place": "c", "died": "x"}, places=places)
            for name in ("category", "gender", "age", "place", "died", "sort"):
                assert select_field(form[name]) == options_as_written_before(form[name]), (language, name)
    assert "Sınaq küçəsi" in select_field(form["place"]) and "Synthetic &lt;street&gt;" in select_field(form["place"])

    class Choices(forms.Form):
        pick = forms.ChoiceField(choices=[("1", "One")])

    form = Choices({"pick": "2"})
    assert select_field(form["pick"]) == options_as_written_before(form["pick"])
    form.fields["pick"].choices = [("2", "Two <2>")]  # new choices on the same field: written anew
    assert select_field(form["pick"]) == options_as_written_before(form["pick"])
    assert "Two &lt;2&gt;</option>" in select_field(form["pick"])


def test_the_filter_form_s_fields_are_made_once_per_list_of_places():
    places = [("a", "Synthetic A")]
    first = RegistryFilterForm({"place": "a"}, places=places)
    second = RegistryFilterForm({"place": "b", "gender": "x"}, places=list(places))
    assert first.fields is not second.fields and first.fields["place"] is second.fields["place"]
    assert first.valid_data == {**dict.fromkeys(first.fields, ""), "place": "a"}
    assert "place" not in second.valid_data and "gender" not in second.valid_data and not first.errors
    other = RegistryFilterForm({"place": "b"}, places=[("b", "Synthetic B")])
    assert other.valid_data["place"] == "b" and other.fields["place"] is not first.fields["place"]
    assert [key for key, _label in first.fields["place"].choices] == ["", "a"]
    assert [key for key, _label in RegistryFilterForm(places=None).fields["place"].choices] == [""]
