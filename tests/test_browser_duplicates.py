"""An Editor reviews a proposed pair of records in a real browser and merges it; axe finds nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from tests.conftest import make_user
from tests.factories import CitationFactory, NameVariantFactory, PlaceFactory, VictimFactory
from tests.test_accessibility import audit
from tests.test_browser_admin import log_in
from victims.models import Status, Victim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_editor_reviews_a_pair_and_merges_it(browser, live_server, django_user_model, screenshot, axe):
    make_user(django_user_model, "editor", "Editor")
    place = PlaceFactory(name_en="Synthetic Street")
    kept = VictimFactory(family_name="Məmmədov", given_name="Elçin", patronymic="Əli oğlu", place_of_death=place,
                         slug="elcin-memmedov", occupation_en="Synthetic driver")  # fmt: skip
    other = VictimFactory(family_name="Мамедов", given_name="Эльчин", patronymic="Али оглы", place_of_death=place,
                          slug="elchin-mamedov", occupation_en="Synthetic welder")  # fmt: skip
    NameVariantFactory(victim=other, name="Mamedov Elchin")
    CitationFactory(victim=other, locator="p. 12")
    call_command("find_duplicates", stdout=io.StringIO())

    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, "editor")
    page.goto(f"{live_server.url}/admin/victims/victim/")
    page.locator(".object-tools").get_by_role("link", name="Possible duplicates").click()
    pair = page.locator(".duplicate-pair")
    assert pair.count() == 1
    assert "Same patronymic" in pair.inner_text() and "Mamedov Elchin" in pair.inner_text()
    assert audit(axe, page) == []
    screenshot(page, "staff-duplicates")

    page.get_by_role("link", name="Merge…").click()
    page.get_by_role("group", name="Occupation [en]").get_by_label("Synthetic welder").check()
    assert audit(axe, page) == []
    screenshot(page, "staff-duplicate-merge")
    page.get_by_role("button", name="Merge into").click()
    page.wait_for_url(f"**/admin/victims/victim/{kept.pk}/change/")

    kept.refresh_from_db()
    assert kept.occupation_en == "Synthetic welder"
    assert Victim.objects.get(pk=other.pk).status == Status.MERGED
    response = page.request.get(f"{live_server.url}{other.get_absolute_url()}", max_redirects=0)
    assert response.status == 301
