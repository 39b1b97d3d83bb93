"""The curators' admin: roles, workflow, search, list performance, optimistic locking."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.partialdates import Precision
from tests.factories import CitationFactory, EventFactory, NameVariantFactory, PlaceFactory, VictimFactory
from victims import services
from victims.models import Category, ExportLog, Photo, Status, Victim
from victims.normalize import search_document

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:victims_victim_changelist")
ADD = reverse("admin:victims_victim_add")


def change_url(victim) -> str:
    return reverse("admin:victims_victim_change", args=[victim.pk])


def inline_management(data: dict, **totals) -> dict:
    for prefix in ("variants", "photos", "citations"):
        data[f"{prefix}-TOTAL_FORMS"] = str(totals.get(prefix, 0))
        data[f"{prefix}-INITIAL_FORMS"] = str(totals.get(f"{prefix}_initial", 0))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
    return data


def victim_form_data(victim=None, **overrides) -> dict:
    """What the admin's change form posts for ``victim`` (or a new synthetic person)."""
    data = {
        "family_name": "Sınaqova",
        "given_name": "Testə",
        "patronymic": "",
        "display_name": "",
        "slug": "sinaqova-teste",
        "gender": "female",
        "death_date": "1990-01-20",
        "death_precision": "day",
        "category": Category.KILLED,
        "original_language": "az",
        "status": "draft",
    }
    if victim is not None:
        data.update(
            family_name=victim.family_name,
            given_name=victim.given_name,
            display_name=victim.display_name,
            slug=victim.slug,
            gender=victim.gender,
            death_date=victim.death_date.isoformat() if victim.death_date else "",
            death_precision=victim.death_precision,
            category=victim.category,
            original_language=victim.original_language,
            status=Victim.objects.get(pk=victim.pk).status,  # an Editor's form has it (read-only for others)
            loaded_version=str(Victim.objects.get(pk=victim.pk).version),
        )
    data.update(overrides)
    return inline_management(data)


@pytest.fixture
def draft():
    return VictimFactory(draft=True)


def login(client, user):
    client.force_login(user)
    return client


# --- roles and workflow -------------------------------------------------------------------------


def test_curator_adds_a_draft_and_is_recorded_as_its_author(client, curator):
    response = login(client, curator).post(ADD, victim_form_data())
    assert response.status_code == 302, response.context["adminform"].form.errors
    victim = Victim.objects.get(slug="sinaqova-teste")
    assert victim.status == Status.DRAFT
    assert victim.created_by == curator and victim.updated_by == curator
    assert victim.display_name == "Testə Sınaqova"
    assert victim.search_document  # refreshed after save


def test_curator_submits_for_review_with_the_button(client, curator, draft):
    response = login(client, curator).post(change_url(draft), victim_form_data(draft, _transition="review"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.REVIEW


def test_curator_cannot_publish(client, curator, draft):
    CitationFactory(victim=draft)
    client = login(client, curator)
    client.post(change_url(draft), victim_form_data(draft, _transition="published"))
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.published_at is None
    # Nor by posting a status: the field is read-only.
    client.post(change_url(draft), victim_form_data(draft, status="published"))
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_curator_has_no_publish_action(client, curator, draft):
    response = login(client, curator).get(CHANGELIST)
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert "submit_for_review" in actions
    assert "publish" not in actions and "withdraw" not in actions


def test_editor_can_publish_and_published_at_is_set_once(client, editor, draft):
    CitationFactory(victim=draft)
    client = login(client, editor)
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    first = draft.published_at
    assert first is not None
    client.post(CHANGELIST, {"action": "withdraw", "_selected_action": [draft.pk], "post": "yes", "reason": "Test"})
    draft.refresh_from_db()
    assert draft.status == Status.WITHDRAWN
    client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.published_at == first


def test_publishing_needs_a_citation(editor, draft):
    with pytest.raises(services.ValidationError):
        services.victim_publish(victim=draft, user=editor)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_services_check_permissions(curator, editor, superuser, draft):
    CitationFactory(victim=draft)
    with pytest.raises(services.PermissionDenied):
        services.victim_publish(victim=draft, user=curator)
    services.victim_submit_for_review(victim=draft, user=curator)
    with pytest.raises(services.PermissionDenied):
        services.victim_return_to_draft(victim=draft, user=curator)
    services.victim_return_to_draft(victim=draft, user=editor)
    services.victim_publish(victim=draft, user=superuser)
    with pytest.raises(services.ValidationError):
        services.victim_submit_for_review(victim=draft, user=superuser)  # not a workflow step
    services.victim_withdraw(victim=draft, user=editor)
    draft.refresh_from_db()
    assert draft.status == Status.WITHDRAWN


def test_curator_cannot_edit_a_published_record(client, curator):
    victim = VictimFactory()
    client = login(client, curator)
    page = client.get(change_url(victim))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = client.post(change_url(victim), victim_form_data(victim, family_name="Changed"))
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.family_name != "Changed"


def test_data_staff_cannot_edit(client, data_staff, draft):
    client = login(client, data_staff)
    page = client.get(change_url(draft))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.post(change_url(draft), victim_form_data(draft, family_name="Changed")).status_code == 403
    assert client.get(ADD).status_code == 403
    assert client.post(reverse("admin:victims_victim_delete", args=[draft.pk]), {"post": "yes"}).status_code == 403
    draft.refresh_from_db()
    assert draft.family_name != "Changed"


def test_only_drafts_are_deleted_by_curators_and_published_only_by_superusers(client, curator, editor, superuser):
    draft, review, published = VictimFactory(draft=True), VictimFactory(draft=True), VictimFactory()
    Victim.objects.filter(pk=review.pk).update(status=Status.REVIEW)

    def delete(user, victim):
        client.force_login(user)
        return client.post(
            reverse("admin:victims_victim_delete", args=[victim.pk]), {"post": "yes", "reason": "Synthetic duplicate"}
        )

    assert delete(curator, review).status_code == 403
    assert delete(curator, published).status_code == 403
    assert delete(editor, published).status_code == 403
    assert delete(curator, draft).status_code == 302
    assert delete(editor, review).status_code == 302
    assert delete(superuser, published).status_code == 302
    assert not Victim.objects.exists()


def test_bulk_delete_refuses_published_records(client, editor):
    draft, published = VictimFactory(draft=True), VictimFactory()
    response = login(client, editor).post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [draft.pk, published.pk], "post": "yes", "reason": "Test"},
    )
    assert response.status_code == 403
    assert Victim.objects.count() == 2


def test_view_on_site_only_for_published_records(client, editor, draft):
    client = login(client, editor)
    assert not client.get(change_url(draft)).context["has_absolute_url"]
    published = VictimFactory()
    context = client.get(change_url(published)).context
    assert context["has_absolute_url"] and context["absolute_url"] == published.get_absolute_url()


def test_export_log_is_for_superusers_only(client, editor, superuser):
    ExportLog.objects.create(user=superuser, format="csv")
    url = reverse("admin:victims_exportlog_changelist")
    assert login(client, editor).get(url).status_code == 403
    client.force_login(superuser)
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:victims_exportlog_add")).status_code == 403


def test_event_workflow_and_victim_autocomplete(client, editor):
    victim = VictimFactory(family_name="Məmmədov", given_name="Sınaq")
    event = EventFactory(status=Status.DRAFT, published_at=None)
    client = login(client, editor)
    response = client.post(
        reverse("admin:victims_event_changelist"), {"action": "publish", "_selected_action": [event.pk]}
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Status.PUBLISHED and event.published_at
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"term": "mammadov", "app_label": "victims", "model_name": "event", "field_name": "victims"},
    )
    assert [int(r["id"]) for r in autocomplete.json()["results"]] == [victim.pk]


# --- search ------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["mammadov", "memmedov", "Мамедов", "MƏMMƏDOV"])
def test_admin_search_ignores_case_diacritics_and_script(client, editor, query):
    target = VictimFactory(family_name="Məmmədov", given_name="Sınaqəli")
    NameVariantFactory(victim=target, name="Мамедов Синагали")
    services.victim_refresh_search(victim=target)
    VictimFactory(family_name="Əliyeva", given_name="Sınaqə")
    response = login(client, editor).get(CHANGELIST, {"q": query})
    assert [v.pk for v in response.context["cl"].result_list] == [target.pk]


def test_admin_search_finds_a_person_only_through_a_cyrillic_variant(client, editor):
    target = VictimFactory(family_name="Sınaqlı", given_name="Testəli")
    NameVariantFactory(victim=target, name="Гусейнов")
    services.victim_refresh_search(victim=target)
    response = login(client, editor).get(CHANGELIST, {"q": "Huseynov"})
    assert [v.pk for v in response.context["cl"].result_list] == [target.pk]


def test_variants_saved_through_the_admin_are_searchable(client, curator, draft):
    data = victim_form_data(draft)
    data.update({"variants-TOTAL_FORMS": "1", "variants-0-name": "Синаков Тест", "variants-0-script": "cyrillic",
                 "variants-0-kind": "russian"})  # fmt: skip
    assert login(client, curator).post(change_url(draft), data).status_code == 302
    assert list(Victim.objects.search("Sinakov")) == [draft]


# --- the change list ---------------------------------------------------------------------------


def make_victims(count: int, start: int = 0) -> list[Victim]:
    place = PlaceFactory()
    victims = [
        Victim(
            family_name=f"Sınaqov{n}",
            given_name=f"Testəli{n}",
            display_name=f"Testəli{n} Sınaqov{n}",
            slug=f"bulk-synthetic-{n}",
            status=Status.PUBLISHED if n % 2 else Status.DRAFT,
            published_at=timezone.now() if n % 2 else None,
            death_date=datetime.date(1990, 1, 20),
            death_precision=Precision.DAY,
            birth_date=datetime.date(1950 + n % 30, 1, 1),
            birth_precision=Precision.YEAR,
            place_of_death=place,
            search_document=search_document([f"Sınaqov{n} Testəli{n}"]),
        )
        for n in range(start, start + count)
    ]
    victims = Victim.objects.bulk_create(victims)
    Photo.objects.bulk_create(
        Photo(
            victim=v,
            original=f"originals/{v.slug}.jpg",
            alt_text="Synthetic test photo",
            is_primary=True,
            renditions={
                "thumb": {
                    "webp": f"photos/{v.slug}/thumb.webp",
                    "jpeg": f"photos/{v.slug}/thumb.jpg",
                    "width": 128,
                    "height": 160,
                }
            },
        )  # fmt: skip
        for v in victims[::3]
    )
    return victims


def test_changelist_runs_a_constant_number_of_queries(client, editor, django_assert_num_queries):
    client = login(client, editor)
    make_victims(10)
    client.get(CHANGELIST)  # warm the session and content types
    cache.clear()  # both measured cold: the filters' choices and the count are kept per generation
    with CaptureQueriesContext(connection) as small:
        response = client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 10
    make_victims(990, start=10)
    cache.clear()
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(CHANGELIST)
    assert response.context["cl"].result_count == 1000
    html = response.content.decode()
    assert "photos/bulk-synthetic-1" in html and 'type="image/webp"' in html


def test_changelist_shows_partial_dates_and_sorts_azerbaijani(client, editor):
    for family in ["Zeynalov", "Əliyev", "Cəfərov", "Çələbi", "İsmayılov", "Isayev", "Abbasov"]:
        VictimFactory(family_name=family, given_name="Sınaq")
    VictimFactory(family_name="Həsənov", given_name="Sınaq", birth_date=datetime.date(1972, 3, 1),
                  birth_precision=Precision.MONTH)  # fmt: skip
    browser_without_a_language = client.__class__()
    response = login(browser_without_a_language, editor).get(CHANGELIST)
    names = [v.family_name for v in response.context["cl"].result_list]
    assert names == ["Abbasov", "Cəfərov", "Çələbi", "Əliyev", "Həsənov", "Isayev", "İsmayılov", "Zeynalov"]
    assert "mart 1972 – 20 yanvar 1990" in response.content.decode()  # the admin speaks Azerbaijani by default


def test_changelist_filters(client, editor):
    early = VictimFactory(death_date=datetime.date(1990, 1, 19), category=Category.WOUNDED)
    VictimFactory(death_date=datetime.date(1991, 5, 1), death_precision=Precision.MONTH)
    client = login(client, editor)
    response = client.get(CHANGELIST, {"death_year": "1990", "category": "wounded"})
    assert [v.pk for v in response.context["cl"].result_list] == [early.pk]
    response = client.get(CHANGELIST, {"place_of_death__id__exact": "999999"})
    assert response.status_code == 200


# --- optimistic locking ------------------------------------------------------------------------


def test_a_stale_save_is_refused_and_the_input_kept(client, curator, editor, draft):
    first, second = client, client.__class__(headers={"Accept-Language": "en"})
    first.force_login(curator)
    second.force_login(editor)
    form_one = victim_form_data(draft, occupation_az="Sınaq müəllimi")
    form_two = victim_form_data(draft, occupation_az="Sınaq mühəndisi")  # loaded at the same version
    assert first.post(change_url(draft), form_one).status_code == 302
    response = second.post(change_url(draft), form_two)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "Someone else saved this record" in " ".join(form.non_field_errors())
    assert "Sınaq mühəndisi" in response.content.decode()  # the second editor's input is still there
    draft.refresh_from_db()
    assert draft.occupation_az == "Sınaq müəllimi"
    assert draft.version == 2
    # Saving the re-displayed form again is a deliberate overwrite and succeeds.
    again = {**form_two, "loaded_version": form["loaded_version"].value()}
    assert second.post(change_url(draft), again).status_code == 302
    draft.refresh_from_db()
    assert draft.occupation_az == "Sınaq mühəndisi" and draft.version == 3


def test_every_save_raises_the_version(client, curator, draft):
    client = login(client, curator)
    for expected in (2, 3):
        assert client.post(change_url(draft), victim_form_data(draft)).status_code == 302
        draft.refresh_from_db()
        assert draft.version == expected


def test_a_stale_event_save_is_refused(client, curator, editor):
    event = EventFactory(status=Status.DRAFT, published_at=None)
    url = reverse("admin:victims_event_change", args=[event.pk])
    data = {
        "loaded_version": "1", "status": "draft", "title_en": event.title_en, "slug": event.slug, "kind": event.kind,
        "start_date": "1990-01-20", "start_precision": "day", "original_language": "en",
        "photos-TOTAL_FORMS": "0", "photos-INITIAL_FORMS": "0", "citations-TOTAL_FORMS": "0",
        "citations-INITIAL_FORMS": "0",
    }  # fmt: skip
    client.force_login(curator)
    assert client.post(url, {**data, "summary_en": "First synthetic summary"}).status_code == 302
    client.force_login(editor)
    response = client.post(url, {**data, "summary_en": "Second synthetic summary"})
    assert response.status_code == 200
    assert "Someone else saved this record" in response.content.decode()
    event.refresh_from_db()
    assert event.summary_en == "First synthetic summary" and event.version == 2


def test_curator_cannot_add_rows_to_a_published_record(client, curator):
    victim = VictimFactory()
    client.force_login(curator)
    page = client.get(change_url(victim))
    for formset in page.context["inline_admin_formsets"]:
        assert not (formset.has_add_permission or formset.has_change_permission or formset.has_delete_permission)


@pytest.mark.parametrize("model", ["place", "source", "reportedfigure", "event", "victim"])
def test_every_registry_admin_page_opens(client, superuser, model):
    client.force_login(superuser)
    assert client.get(reverse(f"admin:victims_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:victims_{model}_add")).status_code == 200


def test_editor_adds_a_place_with_names_side_by_side(client, editor):
    client.force_login(editor)
    data = {"name_az": "Sınaq küçəsi", "name_en": "Test street", "name_ru": "", "slug": "sinaq-kucesi",
            "kind": "street", "latitude": "40.4", "longitude": "49.8"}  # fmt: skip
    assert client.post(reverse("admin:victims_place_add"), data).status_code == 302
    autocomplete = client.get(
        reverse("admin:autocomplete"),
        {"term": "Test street", "app_label": "victims", "model_name": "victim", "field_name": "place_of_death"},
        headers={"Accept-Language": "az"},
    )
    assert [r["text"] for r in autocomplete.json()["results"]] == ["Sınaq küçəsi"]


def test_editor_can_publish_by_choosing_the_status_in_the_form(client, editor, draft):
    client = login(client, editor)
    # Without a citation the publication is refused (the other changes are kept).
    response = client.post(change_url(draft), victim_form_data(draft, status="published", occupation_az="Sınaq"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.occupation_az == "Sınaq"
    CitationFactory(victim=draft)
    assert client.post(change_url(draft), victim_form_data(draft, status="published")).status_code == 302
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED and draft.published_at is not None
    assert draft.history.latest("history_date").history_change_reason == "status: draft → published"


def test_a_status_that_is_not_a_workflow_step_is_a_form_error(client, editor, draft):
    response = login(client, editor).post(change_url(draft), victim_form_data(draft, status="withdrawn"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["status"]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_status_is_read_only_for_curators_and_editable_for_editors(client, curator, editor, draft):
    client.force_login(curator)
    assert "status" not in client.get(change_url(draft)).context["adminform"].form.fields
    client.force_login(editor)
    assert "status" in client.get(change_url(draft)).context["adminform"].form.fields


def test_the_action_checkbox_is_djangos_own(rf):
    from django.contrib import admin as django_admin

    from victims.admin.records import VictimAdmin

    victim = VictimFactory(family_name="Sınaqova", given_name="Testərə <b>&")
    model_admin = VictimAdmin(Victim, django_admin.site)
    assert model_admin.action_checkbox(victim) == django_admin.ModelAdmin.action_checkbox(model_admin, victim)


def test_changelist_filters_and_count_follow_every_change(client, editor):
    """The years, the places of death and the count are kept per registry generation: a change
    shows at once."""
    client = login(client, editor)
    first, second = PlaceFactory(name="Synthetic street"), PlaceFactory(name="Synthetic hospital")
    VictimFactory(place_of_death=first, death_date=datetime.date(1990, 1, 20))
    response = client.get(CHANGELIST)
    html = response.content.decode()
    assert response.context["cl"].result_count == 1
    assert "death_year=1990" in html and "death_year=1991" not in html
    assert f"place_of_death__id__exact={first.pk}" in html and f"place_of_death__id__exact={second.pk}" not in html
    VictimFactory(place_of_death=second, death_date=datetime.date(1991, 3, 1), draft=True)
    response = client.get(CHANGELIST)
    html = response.content.decode()
    assert response.context["cl"].result_count == 2
    assert "death_year=1991" in html and f"place_of_death__id__exact={second.pk}" in html
    filtered = client.get(CHANGELIST, {"place_of_death__id__exact": second.pk})
    assert [v.place_of_death_id for v in filtered.context["cl"].result_list] == [second.pk]


def test_admin_search_of_a_common_name_keeps_the_list_order_and_counts(client, editor):
    for n in range(5):
        VictimFactory(family_name="Məmmədov", given_name=f"Sınaq{4 - n}")
    VictimFactory(family_name="Əliyev", given_name="Testəli")
    response = login(client, editor).get(CHANGELIST, {"q": "mammadov"})
    cl = response.context["cl"]
    assert [v.given_name for v in cl.result_list] == [f"Sınaq{n}" for n in range(5)]
    assert cl.result_count == 5
