"""Curators and editors keep the registry in a real browser: add a person with a photo and a
citation, submit for review, publish; the public page then answers."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from PIL import Image

from tests.conftest import make_user
from victims.models import Status, Victim

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # noqa: S105 (the test users' password, see conftest)


def synthetic_portrait(path) -> None:
    """A generated stand-in for a portrait: a grey oval on a dark background, nobody's face."""
    from PIL import ImageDraw

    image = Image.new("RGB", (600, 800), (60, 64, 70))
    ImageDraw.Draw(image).ellipse((150, 150, 450, 550), fill=(170, 170, 165))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    path.write_bytes(buffer.getvalue())


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server.url}/admin/")


def test_curator_adds_a_person_and_an_editor_publishes(browser, live_server, django_user_model, screenshot, tmp_path):
    make_user(django_user_model, "curator", "Curator")
    make_user(django_user_model, "editor", "Editor")
    portrait = tmp_path / "portrait.jpg"
    synthetic_portrait(portrait)

    curator = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    curator.set_default_timeout(15_000)
    log_in(curator, live_server, "curator")
    curator.goto(f"{live_server.url}/admin/victims/victim/add/")
    curator.fill("#id_family_name", "Sınaqzadə")
    curator.fill("#id_given_name", "Testəli")
    curator.fill("#id_patronymic", "Sınaq oğlu")
    assert curator.input_value("#id_slug")  # filled in from the name as the curator types
    curator.fill("#id_slug", "sinaqzade-testeli")
    curator.select_option("#id_gender", "male")
    curator.fill("#id_death_date", "1990-01-20")
    curator.select_option("#id_death_precision", "day")
    curator.fill("#id_occupation_en", "Synthetic test record")

    curator.get_by_text("Add another Photo").click()
    curator.set_input_files("#id_photos-0-original", str(portrait))
    curator.fill("#id_photos-0-alt_text_en", "A grey oval on a dark background (synthetic test image)")
    curator.fill("#id_photos-0-credit", "Generated for the test")

    curator.get_by_text("Add another Citation").click()
    curator.locator("#citations-0 .select2-selection").click()
    curator.locator(".select2-search__field").fill("Azerbaidzhan")
    curator.locator(".select2-results__option", has_text="Black January in Azerbaidzhan").first.click()
    curator.fill("#id_citations-0-locator", "p. 1")
    curator.fill("#id_citations-0-supports", "synthetic test citation")
    screenshot(curator, "admin-victim-add")

    curator.get_by_role("button", name="Submit for review").click()
    curator.wait_for_url(f"{live_server.url}/admin/victims/victim/")
    victim = Victim.objects.get(slug="sinaqzade-testeli")
    assert victim.status == Status.REVIEW
    photo = victim.photos.get()
    assert photo.is_primary and set(photo.renditions) == {"thumb", "card", "full"}
    assert victim.citations.get().source.key
    thumbnail = curator.locator("img.victim-thumb").first
    assert thumbnail.is_visible()
    # Lazy-loaded: wait until it has arrived (a broken image never gets a natural width).
    curator.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    screenshot(curator, "admin-victim-changelist")

    # The curator cannot publish: there is no such button on the record.
    curator.goto(f"{live_server.url}/admin/victims/victim/{victim.pk}/change/")
    assert curator.get_by_role("button", name="Publish").count() == 0
    curator.context.close()

    editor = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB").new_page()
    editor.set_default_timeout(15_000)
    log_in(editor, live_server, "editor")
    editor.goto(f"{live_server.url}/admin/victims/victim/{victim.pk}/change/")
    screenshot(editor, "admin-victim-change")
    editor.get_by_role("button", name="Publish").click()
    editor.wait_for_url(f"{live_server.url}/admin/victims/victim/")
    victim.refresh_from_db()
    assert victim.status == Status.PUBLISHED and victim.published_at

    # The editor sees who did what, the photo and citation included.
    editor.goto(f"{live_server.url}/admin/victims/victim/{victim.pk}/history/")
    history = editor.locator("#content-main")
    assert "status: review → published" in history.inner_text()
    assert editor.locator("caption", has_text="Changes to photos").is_visible()
    assert editor.locator("caption", has_text="Changes to citations").is_visible()
    screenshot(editor, "admin-victim-history")

    with translation.override("en"):
        public_url = victim.get_absolute_url()
    response = editor.goto(f"{live_server.url}{public_url}")
    assert response.status == 200
    assert "Sınaqzadə" in editor.content()
    editor.context.close()
