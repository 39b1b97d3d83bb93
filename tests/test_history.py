"""Nothing is lost: every change is in the history, with who and what, and can be reverted."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import CitationFactory, VictimFactory
from tests.test_admin import change_url, victim_form_data
from victims import services
from victims.models import Status, Victim

pytestmark = pytest.mark.django_db


def history_url(victim) -> str:
    return reverse("admin:victims_victim_history", args=[victim.pk])


def revert_url(victim, record) -> str:
    return reverse("admin:victims_victim_simple_history", args=[victim.pk, record.history_id])


@pytest.fixture
def edited(client, curator):
    """A draft renamed by a curator through the admin."""
    victim = VictimFactory(draft=True, family_name="Sınaqov", given_name="Birinci")
    client.force_login(curator)
    response = client.post(change_url(victim), victim_form_data(victim, family_name="Sınaqzadə"))
    assert response.status_code == 302
    victim.refresh_from_db()
    return victim


def test_an_edit_creates_a_version_with_who_and_the_old_and_new_values(edited, curator):
    latest, previous = edited.history.order_by("-history_date", "-history_id")[:2]
    assert latest.history_user == curator
    assert latest.history_type == "~"
    changes = {change.field: (change.old, change.new) for change in latest.diff_against(previous).changes}
    assert changes["family_name"] == ("Sınaqov", "Sınaqzadə")


def test_editors_see_the_history_with_the_changes(client, edited, editor):
    client.force_login(editor)
    page = client.get(history_url(edited))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Sınaqov" in html and "Sınaqzadə" in html and "curator" in html


def test_curators_do_not_see_history(client, edited, curator):
    client.force_login(curator)
    assert client.get(history_url(edited)).status_code == 403


def test_history_of_inlines_is_shown_with_the_record(client, editor, curator):
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data = victim_form_data(victim)
    data.update({"variants-TOTAL_FORMS": "1", "variants-0-name": "Синаков Тест", "variants-0-script": "cyrillic",
                 "variants-0-kind": "russian"})  # fmt: skip
    assert client.post(change_url(victim), data).status_code == 302
    variant = victim.variants.get()
    data = victim_form_data(victim)
    data.update({"variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "1", "variants-0-id": str(variant.pk),
                 "variants-0-victim": str(victim.pk), "variants-0-name": "Синаков Тестали",
                 "variants-0-script": "cyrillic", "variants-0-kind": "russian"})  # fmt: skip
    assert client.post(change_url(victim), data).status_code == 302
    client.force_login(editor)
    html = client.get(history_url(victim)).content.decode()
    assert "Синаков Тест → Синаков Тестали" in html.replace("&rarr;", "→")


def test_a_revert_restores_the_old_values(client, edited, editor):
    original = edited.history.earliest("history_date")
    client.force_login(editor)
    page = client.get(revert_url(edited, original))
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form.initial["family_name"] == "Sınaqov"
    data = victim_form_data(edited, family_name="Sınaqov", loaded_version=form.initial["loaded_version"])
    response = client.post(revert_url(edited, original), data)
    assert response.status_code == 302
    edited.refresh_from_db()
    assert edited.family_name == "Sınaqov"
    assert edited.history.latest("history_date").history_user == editor
    assert list(Victim.objects.search("sinaqov")) == [edited]  # search follows the revert


def test_a_revert_does_not_change_the_status(client, editor):
    victim = VictimFactory(draft=True, family_name="Sınaqov")
    CitationFactory(victim=victim)
    old = victim.history.latest("history_date")
    services.victim_publish(victim=victim, user=editor)
    client.force_login(editor)
    form = client.get(revert_url(victim, old)).context["adminform"].form
    data = victim_form_data(victim, loaded_version=form.initial["loaded_version"])
    assert client.post(revert_url(victim, old), data).status_code == 302
    victim.refresh_from_db()
    assert victim.status == Status.PUBLISHED and victim.published_at


def test_a_curator_cannot_revert(client, edited, curator):
    client.force_login(curator)
    original = edited.history.earliest("history_date")
    assert client.get(revert_url(edited, original)).status_code == 403


def test_workflow_steps_are_in_the_history(curator, editor):
    victim = VictimFactory(draft=True)
    CitationFactory(victim=victim)
    services.victim_submit_for_review(victim=victim, user=curator)
    services.victim_publish(victim=victim, user=editor)
    steps = list(victim.history.order_by("history_date", "history_id").values_list("status", "history_user__username"))
    assert steps[-2:] == [("review", "curator"), ("published", "editor")]
    assert victim.history.latest("history_date").history_change_reason == "status: review → published"


def test_a_workflow_button_adds_no_empty_version(client, editor):
    victim = VictimFactory(draft=True)
    CitationFactory(victim=victim)
    before = victim.history.count()
    client.force_login(editor)
    response = client.post(change_url(victim), victim_form_data(victim, _transition="published"))
    assert response.status_code == 302
    assert victim.history.count() == before + 1  # the publication alone
    assert victim.history.latest("history_date").history_change_reason == "status: draft → published"


def test_changing_only_an_inline_still_raises_the_version(client, curator):
    victim = VictimFactory(draft=True)
    client.force_login(curator)
    data = victim_form_data(victim)
    data.update({"variants-TOTAL_FORMS": "1", "variants-0-name": "Синаков", "variants-0-script": "cyrillic",
                 "variants-0-kind": "russian"})  # fmt: skip
    assert client.post(change_url(victim), data).status_code == 302
    victim.refresh_from_db()
    assert victim.version == 2
    assert victim.variants.count() == 1
