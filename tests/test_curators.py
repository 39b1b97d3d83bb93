"""What curators and editors meet in the admin: messages that say what happened, withdrawing and
deleting with a reason, what waits for each role, no bare 403, readable history."""

from __future__ import annotations

import pytest
from django.contrib.messages import constants, get_messages
from django.urls import reverse

from tests.factories import CitationFactory, VictimFactory
from tests.test_admin import CHANGELIST, change_url, victim_form_data
from victims.models import Status, Victim

pytestmark = pytest.mark.django_db


def withdraw_url(victim) -> str:
    return reverse("admin:victims_victim_withdraw", args=[victim.pk])


def shown_messages(response) -> list[tuple[int, str]]:
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def test_a_submission_says_what_happened_and_nothing_else(client, curator):
    draft = VictimFactory(draft=True, family_name="Testova", given_name="Nigar")
    client.force_login(curator)
    response = client.post(change_url(draft), victim_form_data(draft, _transition=Status.REVIEW))
    assert response.status_code == 302
    assert shown_messages(response) == [(constants.SUCCESS, f"“{draft}” was submitted for review.")]


def test_a_refused_publication_is_not_shown_beside_a_success_message(client, editor):
    draft = VictimFactory(draft=True)
    client.force_login(editor)
    response = client.post(change_url(draft), victim_form_data(draft, occupation_az="Sınaq", _transition="published"))
    shown = shown_messages(response)
    assert [level for level, _text in shown] == [constants.WARNING]
    assert "was not published" in shown[0][1] and "citation" in shown[0][1]
    assert "successfully" not in shown[0][1]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.occupation_az == "Sınaq"


def test_publishing_from_the_list_names_the_record(client, editor):
    draft = VictimFactory(draft=True)
    CitationFactory(victim=draft)
    client.force_login(editor)
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]})
    assert shown_messages(response) == [(constants.SUCCESS, f"“{draft}” was published.")]


def test_a_list_action_with_refusals_shows_one_warning_not_a_success(client, editor):
    ready, incomplete = VictimFactory(draft=True), VictimFactory(draft=True)
    CitationFactory(victim=ready)
    client.force_login(editor)
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [ready.pk, incomplete.pk]})
    shown = shown_messages(response)
    assert [level for level, _text in shown] == [constants.WARNING]
    assert "1 record was published." in shown[0][1] and f"“{incomplete}” was not published" in shown[0][1]


def test_withdrawing_asks_for_confirmation_and_a_reason_kept_in_the_history(client, editor):
    person = VictimFactory(family_name="Testova", given_name="Nigar")
    client.force_login(editor)
    form = client.get(change_url(person)).content.decode()
    assert withdraw_url(person) in form  # a link to the confirmation, not a button that withdraws at once

    page = client.get(withdraw_url(person))
    assert page.status_code == 200 and "Nigar" in page.content.decode() and 'name="reason"' in page.content.decode()
    refused = client.post(withdraw_url(person), {"post": "yes", "reason": "  "})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    person.refresh_from_db()
    assert person.status == Status.PUBLISHED

    done = client.post(withdraw_url(person), {"post": "yes", "reason": "A duplicate of another record"})
    assert done.status_code == 302
    assert shown_messages(done) == [(constants.SUCCESS, f"“{person}” was withdrawn: A duplicate of another record")]
    person.refresh_from_db()
    assert person.status == Status.WITHDRAWN
    latest = person.history.latest("history_date")
    assert latest.history_change_reason == "status: published → withdrawn: A duplicate of another record"
    # Editors see why on the record itself.
    assert "A duplicate of another record" in client.get(change_url(person)).content.decode()


def test_the_withdraw_action_asks_for_a_reason_first(client, editor):
    first, second = VictimFactory(), VictimFactory()
    client.force_login(editor)
    selection = {"action": "withdraw", "_selected_action": [first.pk, second.pk]}
    page = client.post(CHANGELIST, selection)
    assert page.status_code == 200 and str(first) in page.content.decode() and str(second) in page.content.decode()
    assert set(Victim.objects.values_list("status", flat=True)) == {Status.PUBLISHED}
    assert client.post(CHANGELIST, {**selection, "post": "yes", "reason": ""}).status_code == 200
    assert set(Victim.objects.values_list("status", flat=True)) == {Status.PUBLISHED}
    response = client.post(CHANGELIST, {**selection, "post": "yes", "reason": "Sources withdrawn"})
    assert shown_messages(response) == [(constants.SUCCESS, "2 records were withdrawn: Sources withdrawn")]
    assert set(Victim.objects.values_list("status", flat=True)) == {Status.WITHDRAWN}
    assert first.history.latest("history_date").history_change_reason.endswith(": Sources withdrawn")


def test_the_status_field_does_not_withdraw_without_a_reason(client, editor):
    person = VictimFactory()
    client.force_login(editor)
    response = client.post(change_url(person), victim_form_data(person, status="withdrawn"))
    assert response.status_code == 200
    assert "Withdraw…" in " ".join(response.context["adminform"].form.errors["status"])
    person.refresh_from_db()
    assert person.status == Status.PUBLISHED


def test_deleting_asks_for_a_reason_kept_in_the_history(client, curator):
    draft = VictimFactory(draft=True)
    pk = draft.pk
    client.force_login(curator)
    url = reverse("admin:victims_victim_delete", args=[pk])
    assert 'name="reason"' in client.get(url).content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 200
    assert Victim.objects.filter(pk=pk).exists()
    assert client.post(url, {"post": "yes", "reason": "Entered twice by mistake"}).status_code == 302
    assert not Victim.objects.filter(pk=pk).exists()
    deletion = Victim.history.filter(id=pk, history_type="-").get()
    assert deletion.history_change_reason == "Entered twice by mistake"


def test_deleting_selected_records_asks_for_a_reason(client, editor):
    first, second = VictimFactory(draft=True), VictimFactory(draft=True)
    client.force_login(editor)
    selection = {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"}
    page = client.post(CHANGELIST, selection)
    assert page.status_code == 200 and 'name="reason"' in page.content.decode()
    assert Victim.objects.count() == 2
    client.post(CHANGELIST, {**selection, "reason": "Test records"})
    assert not Victim.objects.exists()
    assert set(Victim.history.filter(history_type="-").values_list("history_change_reason", flat=True)) == {
        "Test records"
    }


# --- What needs me now ------------------------------------------------------------------------


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def test_editors_see_the_records_in_review_with_a_link(client, curator, editor):
    draft = VictimFactory(draft=True)
    client.force_login(curator)
    client.post(change_url(draft), victim_form_data(draft, _transition=Status.REVIEW))
    page = home(client, editor)
    assert "What needs me now" in page
    assert "1 person is in review" in page
    assert f'{CHANGELIST}?status__exact=review"' in page
    assert "in review" not in home(client, curator)


def test_curators_see_the_records_returned_to_draft(client, curator, editor):
    sent_back, never_submitted = VictimFactory(draft=True), VictimFactory(draft=True)
    assert "returned to draft" not in home(client, curator)
    client.force_login(curator)
    client.post(change_url(sent_back), victim_form_data(sent_back, _transition=Status.REVIEW))
    client.force_login(editor)
    client.post(CHANGELIST, {"action": "return_to_draft", "_selected_action": [sent_back.pk]})
    page = home(client, curator)
    assert "1 person was returned to draft" in page
    listed = client.get(f"{CHANGELIST}?returned=yes")
    assert list(listed.context["cl"].result_list) == [sent_back]
    assert never_submitted not in listed.context["cl"].result_list


def test_data_staff_see_an_import_held_back_until_confirmed(client, data_staff, settings):
    from victims.staff_views import SESSION_IMPORT

    assert "held back until you confirm it" not in home(client, data_staff)
    folder = settings.PRIVATE_MEDIA_ROOT / "import-uploads"
    folder.mkdir(parents=True)
    token = "t" * 32
    (folder / token).write_text("family_name\nSınaqova\n")
    session = client.session
    session[SESSION_IMPORT] = {"token": token, "name": "people.csv"}
    session.save()
    page = client.get(reverse("admin:index")).content.decode()
    assert "The import of “people.csv” is held back until you confirm it" in page
    assert reverse("staff:import_preview") in page


@pytest.mark.parametrize(
    ("role", "export", "import_"), [("curator", False, False), ("editor", True, False), ("data_staff", True, True)]
)
def test_export_and_import_are_linked_for_the_roles_that_may_use_them(client, request, role, export, import_):
    page = home(client, request.getfixturevalue(role))
    export_links = page.count(f'href="{reverse("staff:export")}"')
    import_links = page.count(f'href="{reverse("staff:import")}"')
    # On the home page and in the sidebar of every admin page.
    assert export_links == (1 if export else 0)
    assert import_links == (1 if import_ else 0)
    sidebar = client.get(CHANGELIST).content.decode()
    assert (f'href="{reverse("staff:export")}"' in sidebar) is export
    assert (f'href="{reverse("staff:import")}"' in sidebar) is import_


# --- No bare 403 ------------------------------------------------------------------------------


def test_a_curator_is_not_offered_the_history_they_may_not_see(client, curator, editor):
    draft = VictimFactory(draft=True)
    client.force_login(curator)
    assert "historylink" not in client.get(change_url(draft)).content.decode()
    client.force_login(editor)
    assert "historylink" in client.get(change_url(draft)).content.decode()


@pytest.mark.parametrize(
    "url",
    [
        lambda victim: reverse("admin:victims_victim_history", args=[victim.pk]),
        lambda victim: reverse("admin:victims_victim_withdraw", args=[victim.pk]),
        lambda victim: reverse("staff:export"),
        lambda victim: reverse("staff:import"),
    ],
)
def test_a_forbidden_page_is_the_admins_own_and_explains(client, curator, url):
    person = VictimFactory()
    client.force_login(curator)
    response = client.get(url(person))
    assert response.status_code == 403
    html = response.content.decode()
    assert "403 Forbidden" not in html
    assert "Your role does not allow this" in html
    assert "submits them for review" in html  # what a Curator may do
    assert reverse("admin:index") in html


def test_someone_who_is_not_staff_gets_the_plain_403(client, django_user_model):
    visitor = django_user_model.objects.create_user(username="visitor", password="correct horse battery staple")
    client.force_login(visitor)
    response = client.get(reverse("staff:export"))
    assert response.status_code in (302, 403)
    assert "Your role" not in response.content.decode()


# --- History ----------------------------------------------------------------------------------


def test_history_shows_no_none_as_a_change_reason(client, curator, editor):
    import re

    draft = VictimFactory(draft=True, family_name="Sınaqov")
    client.force_login(curator)
    client.post(change_url(draft), victim_form_data(draft, family_name="Sınaqzadə"))
    client.force_login(editor)
    html = client.get(reverse("admin:victims_victim_history", args=[draft.pk])).content.decode()
    assert "Sınaqzadə" in html
    assert re.search(r"<td>\s*None\s*</td>", html) is None


def test_a_translated_field_changed_once_appears_once(client, curator, editor):
    draft = VictimFactory(draft=True)
    client.force_login(curator)
    client.post(change_url(draft), victim_form_data(draft, occupation_az="Sınaq müəllimi"))
    client.force_login(editor)
    response = client.get(reverse("admin:victims_victim_history", args=[draft.pk]))
    latest = response.context["page_obj"][0]
    fields = [str(change["field"]) for change in latest.history_delta_changes]
    assert len([field for field in fields if "ccupation" in field]) == 1, fields


def test_the_revert_page_shows_what_stays_and_that_the_status_does_not_change(client, editor):
    from tests.factories import NameVariantFactory

    person = VictimFactory(family_name="Sınaqov")
    NameVariantFactory(victim=person, name="Синаков Тест")
    citation = CitationFactory(victim=person, locator="p. 7")
    old = person.history.earliest("history_date")
    client.force_login(editor)
    client.post(change_url(person), victim_form_data(person, family_name="Sınaqzadə"))
    page = client.get(reverse("admin:victims_victim_simple_history", args=[person.pk, old.history_id]))
    html = page.content.decode()
    assert "the status does not change" in html and "“Published”" in html
    assert "Синаков Тест" in html
    assert str(citation) in html
    assert "Photos after the revert" in html


# --- Import page ------------------------------------------------------------------------------


def test_the_import_page_lists_valid_values_and_explains_the_layout(client, data_staff):
    from tests.factories import PlaceFactory, SourceFactory

    PlaceFactory(slug="sinaq-kuchesi", name_en="Test street")
    SourceFactory(key="sinaq-menbe", title="Synthetic source")
    client.force_login(data_staff)
    page = client.get(reverse("staff:import")).content.decode()
    for value in ("killed", "died_of_wounds", "wounded", "missing", "detained", "cyrillic", "russian"):
        assert f"<code>{value}</code>" in page
    assert "<code>sinaq-kuchesi</code>" in page and "<code>sinaq-menbe</code>" in page
    assert reverse("admin:victims_place_changelist") in page and reverse("admin:victims_source_changelist") in page
    assert "How the file is laid out" in page and "Rows are matched by uuid" in page
    assert "docs/" not in page  # a curator cannot open the repository's docs


def test_the_import_preview_shows_old_and_new_values(client, data_staff):
    import io

    from tests.factories import PlaceFactory
    from tests.test_import import _csv, _rows, export_bytes

    before = PlaceFactory(slug="sinaq-evvel")
    PlaceFactory(slug="sinaq-sonra")
    person = VictimFactory(family_name="Sınaqova", given_name="Nigar", place_of_death=before)
    rows = _rows(export_bytes("csv"))
    rows[0].update(family_name="Testova", place_of_death="sinaq-sonra", death_date="1990-01-19")
    upload = io.BytesIO(_csv(rows))
    upload.name = "edited.csv"
    client.force_login(data_staff)
    client.post(reverse("staff:import"), {"file": upload})
    page = client.get(reverse("staff:import_preview")).content.decode().replace("&rarr;", "→")
    assert (
        '<code>family_name</code>: <span class="staff-old">Sınaqova</span> → <span class="staff-new">Testova</span>'
        in page
    )
    assert '<span class="staff-old">sinaq-evvel</span> → <span class="staff-new">sinaq-sonra</span>' in page
    assert '<span class="staff-old">1990-01-20</span> → <span class="staff-new">1990-01-19</span>' in page
    person.refresh_from_db()
    assert person.family_name == "Sınaqova"  # the preview writes nothing


# --- Staff accounts ---------------------------------------------------------------------------


def test_one_form_adds_a_staff_member_with_a_role(client, superuser, django_user_model):
    client.force_login(superuser)
    add = reverse("admin:auth_user_add")
    assert "Add staff member" in client.get(reverse("admin:auth_user_changelist")).content.decode()
    form = client.get(add).content.decode()
    assert "Add staff member" in form and "submits them for review" in form and "publishes, withdraws" in form
    from django.contrib.auth.models import Group

    editor_role = Group.objects.get(name="Editor")
    response = client.post(
        add,
        {
            "first_name": "Nigar", "last_name": "Testova", "email": "nigar.testova@example.org",
            "role": editor_role.pk, "username": "ntestova", "usable_password": "true",
            "password1": "a long synthetic passphrase 71", "password2": "a long synthetic passphrase 71",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.context["adminform"].form.errors
    member = django_user_model.objects.get(username="ntestova")
    assert member.is_staff and not member.is_superuser
    assert member.get_full_name() == "Nigar Testova" and member.email == "nigar.testova@example.org"
    assert list(member.groups.values_list("name", flat=True)) == ["Editor"]
    assert member.has_perm("victims.publish_victim")


def test_the_user_list_shows_roles(client, superuser, curator, data_staff):
    client.force_login(superuser)
    page = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "column-roles" in page
    assert "Curator" in page and "Data staff" in page and "Superuser" in page


def test_signing_in_with_an_account_that_is_not_staff_says_so(client, django_user_model):
    django_user_model.objects.create_user(username="visitor", password="correct horse battery staple")
    response = client.post(reverse("admin:login"), {"username": "visitor", "password": "correct horse battery staple"})
    assert response.status_code == 200
    assert "exists but is not a staff account" in response.content.decode()
    wrong = client.post(reverse("admin:login"), {"username": "visitor", "password": "a wrong password"})
    assert "exists but is not a staff account" not in wrong.content.decode()  # nothing told without the password


def test_the_two_factor_models_have_human_names(client, superuser):
    client.force_login(superuser)
    page = client.get(reverse("admin:index")).content.decode()
    assert "Authenticator apps" in page and "Sets of backup codes" in page
    assert "TOTP devices" not in page and "Otp_Totp" not in page
