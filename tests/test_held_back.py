"""Imported rows held back as likely duplicates are kept (victims.HeldBackRow) in the import's own
transaction, shown on the admin home to the roles that resolve them, and resolved once: imported as
a new person (a draft, with the row's citations), recorded as a person already in the registry, or
discarded with a reason. All names are synthetic test data ("Testova")."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.factories import SourceFactory, VictimFactory
from victims.exchange.columns import VICTIM_IMPORT_HEADER
from victims.exchange.importing import heldback
from victims.exchange.services import registry_import
from victims.models import Citation, HeldBackRow, HeldBackState, NameVariant, Status, Victim

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:victims_heldbackrow_changelist")


def _csv(rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=VICTIM_IMPORT_HEADER)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _row(family: str, given: str, **cells) -> dict:
    return {"uuid": "", "family_name": family, "given_name": given, "category": "killed",
            "death_date": "1990-01-20", **cells}  # fmt: skip


@pytest.fixture
def existing():
    return VictimFactory(family_name="Testova", given_name="Nigar", slug="testova-nigar")


@pytest.fixture
def source():
    return SourceFactory(key="sinaq-arxiv")


def _import_one_duplicate(user, source, **extra) -> HeldBackRow:
    rows = [
        _row("Testova", "Nigar", citations="sinaq-arxiv|p. 7|date of death", variants="Тестова Нигяр|cyrillic|russian"),
        _row("Sınaqlı", "Nərmin"),
    ]
    result = registry_import(_csv(rows), user=user, file_name="batch.csv", **extra)
    assert result.written, result.problems
    return HeldBackRow.objects.get()


def test_a_held_back_row_is_kept_with_who_when_the_row_and_why(data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    assert Victim.objects.filter(given_name="Nərmin").exists()  # the rest of the file was imported
    assert not Victim.objects.filter(given_name="Nigar").exclude(pk=existing.pk).exists()
    assert (row.file_name, row.row_number, row.imported_by, row.state) == ("batch.csv", 2, data_staff, "waiting")
    assert row.name == "Nigar Testova"
    assert row.data["cells"]["citations"] == "sinaq-arxiv|p. 7|date of death"
    [candidate] = row.candidates
    assert (candidate["uuid"], candidate["pk"], candidate["name"]) == (str(existing.uuid), existing.pk, "Nigar Testova")
    assert candidate["similarity"] > 0.5
    assert row.history.count() == 1


@pytest.mark.parametrize("how", ["dry_run", "bad_row", "all_confirmed"])
def test_nothing_is_kept_when_the_import_writes_nothing_or_holds_nothing_back(data_staff, existing, source, how):
    rows = [_row("Testova", "Nigar"), _row("Sınaqlı", "Nərmin")]
    options = {}
    if how == "dry_run":
        options["dry_run"] = True
    elif how == "bad_row":
        rows[1]["category"] = "shot"
    else:
        options["confirm_duplicates"] = True
    result = registry_import(_csv(rows), user=data_staff, file_name="batch.csv", **options)
    assert result.count("held") == (0 if how == "all_confirmed" else 1)
    assert not HeldBackRow.objects.exists()


def test_a_rejected_import_stores_no_held_back_row_even_when_the_bad_row_comes_later(data_staff, existing, settings):
    from victims.exchange import imports

    rows = [_row("Testova", "Nigar")] + [_row(f"Sınaqov{i}", "Testəli") for i in range(5)]
    rows[-1]["death_date"] = "1990-02-31"
    original = imports.CHUNK
    imports.CHUNK = 2  # the held row in the first chunk, the bad row in the last
    try:
        result = registry_import(_csv(rows), user=data_staff, file_name="batch.csv")
    finally:
        imports.CHUNK = original
    assert result.problems and not result.written
    assert not HeldBackRow.objects.exists()
    assert Victim.objects.count() == 1


def test_import_as_a_new_person_makes_a_draft_with_the_rows_citations(data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    heldback.held_back_import(row=row, user=data_staff, note="Another Nigar Testova, per the archive")
    row.refresh_from_db()
    created = row.victim
    assert (row.state, row.decided_by, row.decision_note) == (HeldBackState.IMPORTED, data_staff,
                                                              "Another Nigar Testova, per the archive")  # fmt: skip
    assert created.pk != existing.pk and created.status == Status.DRAFT
    assert created.created_by == data_staff and created.slug == "nigar-testova"
    assert list(Citation.objects.filter(victim=created).values_list("source__key", "locator", "supports")) == [
        ("sinaq-arxiv", "p. 7", "date of death")
    ]
    assert list(NameVariant.objects.filter(victim=created).values_list("name", flat=True)) == ["Тестова Нигяр"]
    assert "row 2" in created.history.get().history_change_reason
    assert [h.state for h in row.history.order_by("history_date")] == ["waiting", "imported"]


def test_a_row_marked_to_publish_still_enters_as_a_draft(editor, existing, source):
    rows = [_row("Testova", "Nigar", status="published", citations="sinaq-arxiv|p. 7|")]
    registry_import(_csv(rows), user=editor, file_name="batch.csv")
    row = HeldBackRow.objects.get()
    heldback.held_back_import(row=row, user=editor)
    row.refresh_from_db()
    assert row.victim.status == Status.DRAFT


def test_it_is_this_person_records_the_decision_and_changes_nobody(data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    before = Victim.objects.values().get(pk=existing.pk)
    heldback.held_back_match(row=row, victim=existing, user=data_staff)
    row.refresh_from_db()
    assert (row.state, row.victim, row.decided_by) == (HeldBackState.MATCHED, existing, data_staff)
    assert row.decided_at is not None
    assert Victim.objects.values().get(pk=existing.pk) == before
    assert Victim.objects.count() == 2  # the existing person and row 3 of the file
    assert [h.state for h in row.history.order_by("history_date")] == ["waiting", "matched"]


def test_discarding_needs_a_reason_and_keeps_it(data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    with pytest.raises(ValidationError):
        heldback.held_back_discard(row=row, user=data_staff, reason="  ")
    heldback.held_back_discard(row=row, user=data_staff, reason="The same  record, sent twice")
    row.refresh_from_db()
    assert (row.state, row.decision_note, row.victim) == (HeldBackState.DISCARDED, "The same record, sent twice", None)
    assert row.history.order_by("history_date").last().history_change_reason == "Discarded: The same record, sent twice"


def test_the_database_refuses_a_discard_without_reason(data_staff, existing, source):
    from django.db import IntegrityError, transaction

    row = _import_one_duplicate(data_staff, source)
    with pytest.raises(IntegrityError), transaction.atomic():
        HeldBackRow.objects.filter(pk=row.pk).update(state=HeldBackState.DISCARDED, decided_at=row.imported_at)


@pytest.mark.parametrize("decide", ["import", "match", "discard"])
def test_a_resolved_row_is_not_resolved_twice(data_staff, existing, source, decide):
    row = _import_one_duplicate(data_staff, source)
    heldback.held_back_discard(row=row, user=data_staff, reason="Sent twice")
    with pytest.raises(ValidationError, match="already resolved"):
        if decide == "import":
            heldback.held_back_import(row=row, user=data_staff)
        elif decide == "match":
            heldback.held_back_match(row=row, victim=existing, user=data_staff)
        else:
            heldback.held_back_discard(row=row, user=data_staff, reason="again")
    assert Victim.objects.count() == 2


def test_a_curator_may_not_resolve(curator, data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    with pytest.raises(PermissionDenied):
        heldback.held_back_discard(row=row, user=curator, reason="no")


def test_import_as_new_refuses_when_the_rows_source_is_gone_and_stays_waiting(data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    Citation.objects.filter(source=source).delete()
    source.delete()
    with pytest.raises(ValidationError, match="Unknown source key"):
        heldback.held_back_import(row=row, user=data_staff)
    row.refresh_from_db()
    assert row.state == HeldBackState.WAITING and Victim.objects.count() == 2


# --- The admin ----------------------------------------------------------------------------------


def home(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize(("role", "shown"), [("data_staff", True), ("editor", True), ("curator", False)])
def test_the_admin_home_counts_waiting_rows_for_the_roles_that_resolve_them(client, request, role, shown,
                                                                             data_staff, existing, source):  # fmt: skip
    _import_one_duplicate(data_staff, source)
    page = home(client, request.getfixturevalue(role))
    assert ("1 imported row is held back as a likely duplicate" in page) is shown
    assert (f'href="{CHANGELIST}?state__exact=waiting"' in page) is shown


def test_the_admin_home_says_nothing_once_every_row_is_resolved(client, data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    heldback.held_back_discard(row=row, user=data_staff, reason="Sent twice")
    page = home(client, data_staff)
    assert "held back as a likely duplicate" not in page and "?state__exact=waiting" not in page


def test_the_list_reads_a_constant_number_of_queries(client, data_staff, existing, source,
                                                      django_assert_num_queries):  # fmt: skip
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{CHANGELIST}?state__exact=waiting"
    client.force_login(data_staff)
    _import_one_duplicate(data_staff, source)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    rows = [{**_row("Testova", "Nigar"), "given_name": f"Nigar{'x' * (i % 3)}"} for i in range(30)]
    registry_import(_csv(rows), user=data_staff, file_name="more.csv")
    assert HeldBackRow.objects.count() == 31
    with django_assert_num_queries(len(one)):
        response = client.get(url)
    assert response.content.decode().count("more.csv") >= 30


def _decide(client, row, **data):
    return client.post(reverse("admin:victims_heldbackrow_change", args=[row.pk]), data)


def test_the_admin_imports_a_row_as_a_new_person(client, data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    client.force_login(data_staff)
    page = client.get(reverse("admin:victims_heldbackrow_change", args=[row.pk])).content.decode()
    assert "sinaq-arxiv|p. 7|date of death" in page and "name similarity" in page
    response = _decide(client, row, decision="import", note="", open_person="on")
    row.refresh_from_db()
    assert row.state == HeldBackState.IMPORTED
    assert response.status_code == 302 and response.url == reverse("admin:victims_victim_change", args=[row.victim_id])


def test_the_admin_records_it_is_this_person_and_stays_on_the_list_unless_asked(client, data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    client.force_login(data_staff)
    response = _decide(client, row, decision="match", person=existing.pk)
    row.refresh_from_db()
    assert (row.state, row.victim) == (HeldBackState.MATCHED, existing)
    assert response.url == f"{CHANGELIST}?state__exact=waiting"
    follow = client.get(response.url).content.decode()
    assert "was recorded as “Nigar Testova”, who was not changed" in follow


def test_the_admin_asks_for_a_reason_to_discard(client, data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    client.force_login(data_staff)
    response = _decide(client, row, decision="discard", note="")
    assert response.status_code == 200 and "Say why the row is discarded." in response.content.decode()
    row.refresh_from_db()
    assert row.state == HeldBackState.WAITING
    _decide(client, row, decision="discard", note="Sent twice")
    row.refresh_from_db()
    assert row.state == HeldBackState.DISCARDED


def test_the_admin_matches_another_person_by_slug(client, data_staff, existing, source):
    other = VictimFactory(family_name="Sınaqova", given_name="Aygün", slug="sinaqova-aygun")
    row = _import_one_duplicate(data_staff, source)
    client.force_login(data_staff)
    assert _decide(client, row, decision="match", other_person="no-such-slug").status_code == 200
    _decide(client, row, decision="match", other_person="sinaqova-aygun", open_person="on")
    row.refresh_from_db()
    assert row.victim == other


def test_a_curator_cannot_open_the_list(client, curator):
    client.force_login(curator)
    assert client.get(CHANGELIST).status_code == 403


def test_the_staff_import_page_keeps_the_rows_left_unticked_and_links_to_them(client, data_staff, existing, source):
    upload = io.BytesIO(_csv([_row("Testova", "Nigar"), _row("Sınaqlı", "Nərmin")]))
    upload.name = "batch.csv"
    client.force_login(data_staff)
    client.post(reverse("staff:import"), {"file": upload})
    preview = client.get(reverse("staff:import_preview")).content.decode()
    assert "wait under “Imported rows held back” in the admin" in preview
    assert not HeldBackRow.objects.exists()  # the preview is a dry run
    token = client.session["victims_import_upload"]["token"]
    done = client.post(reverse("staff:import_preview"), {"token": token, "confirm": "Import"}, follow=True)
    row = HeldBackRow.objects.get()
    assert (row.name, row.imported_by, row.file_name) == ("Nigar Testova", data_staff, "batch.csv")
    assert f'href="{CHANGELIST}?state__exact=waiting"' in done.content.decode()


def test_the_import_command_keeps_the_rows_it_holds_back(tmp_path, existing, source):
    from django.core.management import call_command

    path = tmp_path / "batch.csv"
    path.write_bytes(_csv([_row("Testova", "Nigar")]))
    out = io.StringIO()
    call_command("import_registry", str(path), stdout=out)
    assert "wait in the admin" in out.getvalue()
    row = HeldBackRow.objects.get()
    assert (row.file_name, row.imported_by) == ("batch.csv", None)


def test_a_crafted_decision_on_a_resolved_row_changes_nothing(client, data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    heldback.held_back_discard(row=row, user=data_staff, reason="Sent twice")
    client.force_login(data_staff)
    _decide(client, row, decision="import", open_person="on")
    row.refresh_from_db()
    assert (row.state, row.victim) == (HeldBackState.DISCARDED, None)
    assert Victim.objects.count() == 2


def test_a_curator_cannot_post_a_decision(client, curator, data_staff, existing, source):
    row = _import_one_duplicate(data_staff, source)
    client.force_login(curator)
    assert _decide(client, row, decision="discard", note="no").status_code == 403
    row.refresh_from_db()
    assert row.state == HeldBackState.WAITING
