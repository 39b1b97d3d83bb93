"""The remembered ``reverse`` (common.reversing) and the ``{% url %}`` tag built on it: a kept URL
answers only the language, script prefix, URLconf, current_app and arguments it was reversed for,
a URL that does not reverse raises exactly as before, and the cache stays bounded."""

from __future__ import annotations

import re
import uuid

import pytest
from django.template import engines
from django.test import override_settings
from django.urls import (
    NoReverseMatch,
    clear_url_caches,
    get_script_prefix,
    include,
    path,
    reverse,
    set_script_prefix,
    set_urlconf,
)
from django.utils import translation
from django.utils.translation import gettext_lazy
from django.views.generic import View

from common import reversing
from common.reversing import cached_reverse
from tests.factories import VictimFactory

view = View.as_view()


class FirstConf:
    """A URLconf of its own: ``page`` at ``/first/``, one pattern reached through two instance namespaces."""

    urlpatterns = [
        path("first/", view, name="page"),
        path("one/", include(([path("inside/", view, name="inside")], "app"), namespace="one")),
        path("two/", include(([path("inside/", view, name="inside")], "app"), namespace="two")),
    ]


class SecondConf:
    urlpatterns = [path("second/", view, name="page")]


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture(autouse=True)
def _empty_url_cache():
    reversing.clear()
    yield
    reversing.clear()


def test_the_public_templates_url_tag_is_the_remembering_one():
    assert "common.reversing" in engines["django"].engine.builtins
    render("{% url 'victims:victim_list' %}")
    assert any(key[4] == "victims:victim_list" for key in reversing._cache)


@pytest.mark.parametrize("name", ["victims:victim_list", "about", "methodology"])
def test_a_url_reversed_in_one_language_does_not_answer_another(name):
    pages = {}
    for language in ("az", "en", "ru", "az"):
        with translation.override(language):
            pages[language] = render("{% url name %}", name=name)
            assert pages[language] == reverse(name)
    assert len(set(pages.values())) == 3


def test_the_language_switcher_links_every_language_of_the_page(client, db):
    person = VictimFactory(family_name="Testova")
    for language in ("en", "az", "ru"):
        with translation.override(language):
            client.get(person.get_absolute_url())  # the switcher's three reverses are kept
    response = client.get(person.get_absolute_url())
    for language in ("az", "en", "ru"):
        with translation.override(language):
            assert f'href="{person.get_absolute_url()}" hreflang="{language}"' in response.text


def test_a_url_reversed_under_one_script_prefix_does_not_answer_another():
    before = get_script_prefix()
    try:
        set_script_prefix("/memorial/")
        assert render("{% url 'about' %}") == "/memorial/en/about/"
        set_script_prefix("/")
        assert render("{% url 'about' %}") == "/en/about/"
    finally:
        set_script_prefix(before)


def test_another_root_urlconf_is_answered_by_its_own_patterns():
    with override_settings(ROOT_URLCONF=FirstConf):
        assert render("{% url 'page' %}") == "/first/"
    with override_settings(ROOT_URLCONF=SecondConf):
        assert render("{% url 'page' %}") == "/second/"


def test_a_request_urlconf_is_answered_by_its_own_patterns():
    try:
        set_urlconf(FirstConf)
        assert cached_reverse("page") == "/first/"
        set_urlconf(SecondConf)
        assert cached_reverse("page") == "/second/"
    finally:
        set_urlconf(None)


def test_rebuilt_url_patterns_are_read_again():
    class Conf:
        urlpatterns = [path("old/", view, name="page")]

    with override_settings(ROOT_URLCONF=Conf):
        assert cached_reverse("page") == "/old/"
        Conf.urlpatterns = [path("new/", view, name="page")]
        clear_url_caches()
        assert cached_reverse("page") == "/new/"


def test_current_app_picks_the_instance_namespace():
    with override_settings(ROOT_URLCONF=FirstConf):
        assert cached_reverse("app:inside", current_app="two") == "/two/inside/"
        assert cached_reverse("app:inside", current_app="one") == "/one/inside/"
        assert cached_reverse("app:inside", current_app="two") == "/two/inside/"


def test_urls_with_arguments_are_reversed_every_time():
    slugs = ["nigar-testova", "rauf-testov", "nigar-testova"]
    assert [cached_reverse("victims:victim_detail", kwargs={"slug": s}) for s in slugs] == [
        reverse("victims:victim_detail", kwargs={"slug": s}) for s in slugs
    ]
    person = uuid.uuid4()
    assert cached_reverse("candles", args=[person]) == f"/candles/{person}/"

    class Changing:
        def __init__(self):
            self.slug = "first-testova"

        def __str__(self):
            return self.slug

    value = Changing()
    assert render("{% url 'victims:victim_detail' value %}", value=value) == "/en/victims/first-testova/"
    value.slug = "second-testova"
    assert render("{% url 'victims:victim_detail' value %}", value=value) == "/en/victims/second-testova/"
    assert render("{% url 'victims:victim_detail' slug=value %}", value=value) == "/en/victims/second-testova/"
    assert not reversing._cache


def test_a_lazy_view_name_is_reversed_every_time():
    name = gettext_lazy("about")  # the name is "about" in English only
    assert render("{% url name %}", name=name) == "/en/about/"
    assert not reversing._cache


def test_a_url_that_does_not_reverse_raises_as_before():
    with pytest.raises(NoReverseMatch) as django_s:
        reverse("no-such-page", args=["x"], kwargs={})  # what Django's own tag calls
    for _ in range(2):  # the failure is not kept: it raises every time, with the same message
        with pytest.raises(NoReverseMatch) as ours:
            render("{% url 'no-such-page' 'x' %}")
        assert str(ours.value) == str(django_s.value)
    assert render("{% url 'no-such-page' 'x' as address %}[{{ address }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        cached_reverse("victims:victim_detail", kwargs={"slug": "not a slug"})


def test_the_cache_is_bounded_and_keeps_the_recently_used(monkeypatch):
    monkeypatch.setattr(reversing, "SIZE", 5)
    reversed_names = []
    real = reversing.reverse
    monkeypatch.setattr(reversing, "reverse", lambda name, *a, **kw: reversed_names.append(name) or real(name, *a, **kw))
    cached_reverse("about")
    for n in range(20):
        cached_reverse("home", current_app=f"app-{n}")  # a key of its own each time
        cached_reverse("about")  # used again each time: never the least recently used
        assert len(reversing._cache) <= 5
    assert reversed_names.count("about") == 1
    assert reversed_names.count("home") == 20
    assert not any(key[3] == "app-0" for key in reversing._cache)


def test_a_settings_change_empties_it():
    cached_reverse("about")
    with override_settings(LANGUAGE_CODE="en"):
        assert not reversing._cache


def spoofed_then_clean(path: str) -> tuple[str, str]:
    """The page at ``path`` through Django's WSGI handler, first for a request whose environ carries
    a SCRIPT_NAME of its own (gunicorn reads a SCRIPT_NAME header when told to keep headers with
    underscores), then for the next, plain one."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    handler = WSGIHandler()

    def body(**environ) -> str:
        request_environ = RequestFactory().get(path, **environ).environ
        chunks = handler(request_environ, lambda status, headers, exc_info=None: None)
        return b"".join(chunks).decode()

    # As the test client does: the test's transaction keeps its connection between requests.
    request_started.disconnect(close_old_connections)
    before = get_script_prefix()
    try:
        return body(SCRIPT_NAME="/evil"), body()
    finally:
        request_started.connect(close_old_connections)
        set_script_prefix(before)


def test_a_spoofed_script_name_does_not_reach_the_next_visitor(db, settings):
    """A request with a SCRIPT_NAME of its own gets links under that prefix; the next request,
    without one, must not get them from this cache."""
    settings.PAGE_CACHE_ENABLED = False
    spoofed, clean = spoofed_then_clean("/en/")
    # The feed's <link> in the layout (the header and footer are {% cache %} fragments of their own:
    # the next test).
    feed = re.compile(r'<link rel="alternate" type="application/atom\+xml" title="[^"]*" href="([^"]*)"')
    assert feed.search(spoofed)[1] == "/evil/en/feed/"
    assert feed.search(clean)[1] == "/en/feed/"


def test_a_spoofed_script_name_does_not_reach_the_next_visitors_header_and_footer(db, settings):
    """The header and footer are kept per process ({% cache %} in the "fragments" cache): their key
    carries the script prefix, or one request with a SCRIPT_NAME of its own would put its links in
    every later visitor's header and footer."""
    from django.core.cache import caches

    settings.PAGE_CACHE_ENABLED = False
    caches["fragments"].clear()
    spoofed, clean = spoofed_then_clean("/en/about/")
    header = re.compile(r'<header class="site-header">.*?</header>', re.S)
    footer = re.compile(r'<footer class="site-footer">.*?</footer>', re.S)
    assert 'href="/evil/en/' in header.search(spoofed)[0]
    assert 'href="/evil/en/' in footer.search(spoofed)[0]
    assert "/evil" not in header.search(clean)[0]
    assert "/evil" not in footer.search(clean)[0]
