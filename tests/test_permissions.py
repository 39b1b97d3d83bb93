"""Least privilege: every role against every protected address.

The expected answer of each (role, address) is written out by hand from the roles in
``victims.roles`` and the editing rules in ``victims.services`` (a Curator edits drafts and records
in review; only publishers change published records; only superusers delete published ones;
history is for Editors), so a change of permissions shows up here as a failing cell.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import EventFactory, PlaceFactory, SourceFactory, VictimFactory

ROLES = ["anonymous", "curator", "editor", "data_staff", "superuser"]
ADMIN = {"changelist", "add", "change", "delete", "history"}

# role order:          anon  curator editor data  super
EXPECTED: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    # A published person: Curators and Data staff only look; nobody but superusers deletes.
    ("victim_published", "changelist"): (302, 200, 200, 200, 200),
    ("victim_published", "add"): (302, 200, 200, 403, 200),
    ("victim_published", "change"): (302, 200, 200, 200, 200),  # read-only for all but Editors/superusers
    ("victim_published", "delete"): (302, 403, 403, 403, 200),
    ("victim_published", "history"): (302, 403, 200, 403, 200),
    # A draft: Curators and Editors delete it; Data staff never do.
    ("victim_draft", "change"): (302, 200, 200, 200, 200),
    ("victim_draft", "delete"): (302, 200, 200, 403, 200),
    ("victim_draft", "history"): (302, 403, 200, 403, 200),
    ("event_published", "changelist"): (302, 200, 200, 200, 200),
    ("event_published", "add"): (302, 200, 200, 403, 200),
    ("event_published", "change"): (302, 200, 200, 200, 200),
    ("event_published", "delete"): (302, 403, 403, 403, 200),
    ("event_published", "history"): (302, 403, 200, 403, 200),
    ("event_draft", "delete"): (302, 200, 200, 403, 200),
    # Places and sources: Curators add and change but do not delete.
    ("place", "changelist"): (302, 200, 200, 200, 200),
    ("place", "add"): (302, 200, 200, 403, 200),
    ("place", "change"): (302, 200, 200, 200, 200),
    ("place", "delete"): (302, 403, 200, 403, 200),
    ("place", "history"): (302, 403, 200, 403, 200),
    ("source", "changelist"): (302, 200, 200, 200, 200),
    ("source", "add"): (302, 200, 200, 403, 200),
    ("source", "change"): (302, 200, 200, 200, 200),
    ("source", "delete"): (302, 403, 200, 403, 200),
    ("source", "history"): (302, 403, 200, 403, 200),
    ("reportedfigure", "changelist"): (302, 200, 200, 200, 200),
    ("reportedfigure", "add"): (302, 200, 200, 403, 200),
    # Accounts, the sign-in audit, two-factor devices and the export log: superusers only.
    ("user", "changelist"): (302, 403, 403, 403, 200),
    ("user", "add"): (302, 403, 403, 403, 200),
    ("group", "changelist"): (302, 403, 403, 403, 200),
    ("accesslog", "changelist"): (302, 403, 403, 403, 200),
    ("accessattempt", "changelist"): (302, 403, 403, 403, 200),
    ("accessfailurelog", "changelist"): (302, 403, 403, 403, 200),
    ("totpdevice", "changelist"): (302, 403, 403, 403, 200),
    ("staticdevice", "changelist"): (302, 403, 403, 403, 200),
    ("exportlog", "changelist"): (302, 403, 403, 403, 200),
    # Imported rows held back as likely duplicates: Data staff and Editors resolve them; never added or deleted by hand.
    ("heldbackrow", "changelist"): (302, 403, 200, 200, 200),
    ("heldbackrow", "add"): (302, 403, 403, 403, 403),
    # Staff pages outside the admin: export for Editors and Data staff, import for Data staff.
    ("staff", "export"): (302, 403, 200, 200, 200),
    ("staff", "import"): (302, 403, 403, 200, 200),
    ("staff", "import_preview"): (302, 403, 403, None, None),  # with permission: redirect or 200, see below
}

ADMIN_MODELS = {
    "victim_published": "victims.victim",
    "victim_draft": "victims.victim",
    "event_published": "victims.event",
    "event_draft": "victims.event",
    "place": "victims.place",
    "source": "victims.source",
    "reportedfigure": "victims.reportedfigure",
    "user": "auth.user",
    "group": "auth.group",
    "accesslog": "axes.accesslog",
    "accessattempt": "axes.accessattempt",
    "accessfailurelog": "axes.accessfailurelog",
    "totpdevice": "otp_totp.totpdevice",
    "staticdevice": "otp_static.staticdevice",
    "exportlog": "victims.exportlog",
    "heldbackrow": "victims.heldbackrow",
}


@pytest.fixture
def objects(db):
    return {
        "victim_published": VictimFactory(),
        "victim_draft": VictimFactory(draft=True),
        "event_published": EventFactory(),
        "event_draft": EventFactory(status="draft", published_at=None),
        "place": PlaceFactory(),
        "source": SourceFactory(),
    }


@pytest.fixture
def as_role(client, curator, editor, data_staff, superuser):
    users = {"curator": curator, "editor": editor, "data_staff": data_staff, "superuser": superuser}

    def login(role: str):
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        return client

    return login


def url_for(subject: str, kind: str, objects) -> str:
    if subject == "staff":
        return reverse(f"staff:{kind}")
    app_label, model = ADMIN_MODELS[subject].split(".")
    if kind in ("changelist", "add"):
        return reverse(f"admin:{app_label}_{model}_{kind}")
    return reverse(f"admin:{app_label}_{model}_{kind}", args=[objects[subject].pk])


CASES = [(subject, kind, role) for (subject, kind) in EXPECTED for role in ROLES]


@pytest.mark.django_db
@pytest.mark.parametrize("subject, kind, role", CASES, ids=[f"{s}-{k}-{r}" for s, k, r in CASES])
def test_role_against_protected_url(as_role, objects, subject, kind, role):
    expected = EXPECTED[(subject, kind)][ROLES.index(role)]
    client = as_role(role)
    url = url_for(subject, kind, objects)
    response = client.get(url)
    if expected is None:  # allowed: the page itself or a redirect inside the staff area, never 403
        assert response.status_code in (200, 302), (url, response.status_code)
        if response.status_code == 302:
            assert "login" not in response["Location"]
        return
    assert response.status_code == expected, f"{role} GET {url}: {response.status_code}, expected {expected}"
    if expected == 302:
        assert reverse("admin:login") in response["Location"] or "/login/" in response["Location"]


@pytest.mark.django_db
def test_read_only_roles_see_no_save_button_on_a_published_person(as_role, objects):
    url = url_for("victim_published", "change", objects)
    for role in ("curator", "data_staff"):
        html = as_role(role).get(url).content.decode()
        assert 'name="_save"' not in html, role
    assert 'name="_save"' in as_role("editor").get(url).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["curator", "data_staff"])
def test_roles_without_the_right_cannot_change_a_published_person_by_post(as_role, objects, role):
    victim = objects["victim_published"]
    response = as_role(role).post(url_for("victim_published", "change", objects), {"family_name_az": "Changed"})
    assert response.status_code == 403
    victim.refresh_from_db()
    assert victim.family_name != "Changed"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["curator", "data_staff", "editor"])
def test_only_superusers_delete_a_published_person_by_post(as_role, objects, role):
    victim = objects["victim_published"]
    response = as_role(role).post(url_for("victim_published", "delete", objects), {"post": "yes"})
    assert response.status_code == 403
    assert type(victim).objects.filter(pk=victim.pk).exists()


@pytest.mark.django_db
def test_curator_cannot_publish_through_the_changelist_action(as_role, objects):
    victim = objects["victim_draft"]
    response = as_role("curator").post(
        reverse("admin:victims_victim_changelist"), {"action": "publish", "_selected_action": [victim.pk]}
    )
    assert response.status_code in (200, 302, 403)
    victim.refresh_from_db()
    assert victim.status == "draft"


@pytest.mark.django_db
def test_a_user_who_is_not_staff_reaches_no_staff_page(client, django_user_model, objects):
    user = django_user_model.objects.create_user(username="visitor", password="correct horse battery staple")
    client.force_login(user)
    assert client.get(reverse("admin:victims_victim_changelist")).status_code == 302
    assert client.get(reverse("staff:export")).status_code in (302, 403)
    assert client.get(reverse("staff:import")).status_code in (302, 403)


@pytest.mark.django_db
def test_a_refused_status_change_says_which_change_and_why(curator, editor):
    """The workflow's two refusals name the statuses: not a step of the workflow, or not this role's."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from victims import services

    draft = VictimFactory(draft=True)
    with pytest.raises(ValidationError) as not_a_step:
        services.record_transition(record=draft, to_status="withdrawn", user=editor)
    assert not_a_step.value.code == "invalid_transition"
    assert not_a_step.value.messages == ["A record cannot go from “Draft” to “Withdrawn”."]
    with pytest.raises(PermissionDenied) as not_yours:
        services.record_transition(record=draft, to_status="published", user=curator)
    assert str(not_yours.value) == "You may not move a record from “Draft” to “Published”."
