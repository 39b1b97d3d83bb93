"""One write path for the registry: whoever saves a person (the admin, the import, the factories,
the service itself), the stored derived columns, display name and version come out the same, and
a change of name shows everywhere unless the display name was set by hand.

Every person here is synthetic test data ("Sınaqova", "Testər qızı")."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from django.urls import reverse

from tests.factories import SourceFactory, VictimFactory
from tests.test_admin import change_url, login, victim_form_data
from victims import services
from victims.exchange.columns import VICTIM_IMPORT_HEADER
from victims.exchange.services import registry_import
from victims.models import Citation, NameVariant, Victim
from victims.normalize import initial_letter, search_document

pytestmark = pytest.mark.django_db

PERSON = {"family_name": "Sınaqova", "given_name": "Aygün", "patronymic": "Testər qızı", "gender": "female",
          "category": "killed"}  # fmt: skip
VARIANT = "Синагова Айгюн"
SLUG = "sinaqova-aygun"


def expected(given_name: str) -> dict:
    """What any writer must store for the person with ``given_name``, worked out here by hand."""
    display = f"{given_name} Testər qızı Sınaqova"
    return {
        "display_name": display,
        "search_document": search_document(
            [display, f"Sınaqova {given_name} Testər qızı", f"{given_name} Sınaqova", VARIANT]
        ),
        "initial": initial_letter("Sınaqova"),
        "age": None,
    }


def stored(victim: Victim) -> dict:
    victim = Victim.objects.get(pk=victim.pk)
    return {
        "display_name": victim.display_name,
        "search_document": victim.search_document,
        "initial": victim.initial,
        "age": victim.age,
        "version": victim.version,
    }


def _csv(row: dict) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=VICTIM_IMPORT_HEADER)
    writer.writeheader()
    writer.writerow({name: "" for name in VICTIM_IMPORT_HEADER} | row)
    return out.getvalue().encode()


def _import_row(victim: Victim | None, **changes) -> dict:
    """A row as an edited export has it: the display name column still holds the old value."""
    row = {**PERSON, "slug": SLUG, "variants": f"{VARIANT}|cyrillic|russian"}
    if victim is not None:
        victim = Victim.objects.get(pk=victim.pk)
        row |= {"uuid": str(victim.uuid), "display_name": victim.display_name, "status": victim.status}
    return row | changes


def create_with(writer: str, client, curator) -> Victim:
    if writer == "service":
        return services.record_save(
            record=Victim(slug=SLUG, **PERSON), variants=[NameVariant(name=VARIANT, script="cyrillic", kind="russian")]
        )
    if writer == "factory":
        return VictimFactory(
            draft=True, slug=SLUG, death_date=None, death_precision="", **PERSON,
            variants=[NameVariant(name=VARIANT, script="cyrillic", kind="russian")],
        )  # fmt: skip
    if writer == "import":
        result = registry_import(_csv(_import_row(None)), file_name="one.csv")
        assert result.written, result.problems
        return Victim.objects.get(slug=SLUG)
    data = victim_form_data(**PERSON, slug=SLUG, death_date="", death_precision="")
    data |= {"variants-TOTAL_FORMS": "1", "variants-0-name": VARIANT, "variants-0-script": "cyrillic",
             "variants-0-kind": "russian"}  # fmt: skip
    response = login(client, curator).post(reverse("admin:victims_victim_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return Victim.objects.get(slug=SLUG)


def rename_with(writer: str, victim: Victim, client, curator) -> None:
    """Change the given name Aygün → Aygül the way this writer edits a person."""
    if writer == "import":
        result = registry_import(_csv(_import_row(victim, given_name="Aygül")), file_name="edit.csv")
        assert result.written, result.problems
    elif writer == "admin":
        victim = Victim.objects.get(pk=victim.pk)
        data = victim_form_data(victim, patronymic=victim.patronymic, given_name="Aygül", death_date="",
                                death_precision="")  # fmt: skip
        variant = victim.variants.get()
        data |= {"variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "1", "variants-0-id": str(variant.pk),
                 "variants-0-victim": str(victim.pk), "variants-0-name": VARIANT, "variants-0-script": "cyrillic",
                 "variants-0-kind": "russian"}  # fmt: skip
        response = login(client, curator).post(change_url(victim), data)
        assert response.status_code == 302, response.context["adminform"].form.errors
    else:  # the service, which the factories' people are edited through as well
        victim = Victim.objects.get(pk=victim.pk)
        victim.given_name = "Aygül"
        services.record_save(record=victim)


@pytest.mark.parametrize("writer", ["service", "factory", "import", "admin"])
def test_every_writer_stores_the_same_derived_columns_display_name_and_version(writer, client, curator):
    victim = create_with(writer, client, curator)
    assert stored(victim) == {**expected("Aygün"), "version": 1}

    rename_with(writer, victim, client, curator)

    assert stored(victim) == {**expected("Aygül"), "version": 2}


def published_person(**fields) -> Victim:
    return VictimFactory(slug=SLUG, **{**PERSON, **fields})


def test_a_name_change_shows_on_the_public_page_the_admin_title_and_search(client, editor):
    victim = published_person()
    page = victim.get_absolute_url()
    assert "Aygün Testər qızı Sınaqova" in client.get(page).content.decode()

    login(client, editor)
    data = victim_form_data(victim, patronymic=victim.patronymic, given_name="Aygül")
    assert client.post(change_url(victim), data).status_code == 302
    client.logout()

    public = client.get(page).content.decode()
    assert "<h1>Aygül Testər qızı Sınaqova</h1>" in public or "Aygül Testər qızı Sınaqova</h1>" in public
    assert "Aygün" not in public
    admin_page = login(client, editor).get(change_url(victim)).content.decode()
    assert "<title>Aygül Testər qızı Sınaqova" in admin_page
    assert list(Victim.objects.search("Aygül")[:1]) == [victim]
    assert "aygun" not in Victim.objects.get(pk=victim.pk).search_document


def test_a_display_name_set_by_hand_is_kept_when_the_name_changes(client, editor):
    victim = published_person(display_name="Aygün xanım Sınaqova")
    login(client, editor)
    data = victim_form_data(victim, patronymic=victim.patronymic, given_name="Aygül")
    assert client.post(change_url(victim), data).status_code == 302

    victim.refresh_from_db()
    assert (victim.given_name, victim.display_name) == ("Aygül", "Aygün xanım Sınaqova")
    # Emptied by hand, it follows the name again.
    data = victim_form_data(victim, patronymic=victim.patronymic, display_name="")
    assert client.post(change_url(victim), data).status_code == 302
    victim.refresh_from_db()
    assert victim.display_name == "Aygül Testər qızı Sınaqova"


def test_an_import_rebuilds_the_display_name_from_a_changed_given_name():
    victim = published_person()
    row = _import_row(victim, given_name="Aygül", variants="", citations="synthetic-factory-source|p. 1|")
    result = registry_import(_csv(row), file_name="edit.csv")
    assert result.written, result.problems
    victim.refresh_from_db()
    assert victim.display_name == "Aygül Testər qızı Sınaqova"


def test_the_service_refuses_to_publish_a_new_person_without_a_citation():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.record_save(record=Victim(slug=SLUG, status="published", **PERSON))
    assert refused.value.code == "no_citation"
    assert not Victim.objects.exists()
    source = SourceFactory()
    victim = services.record_save(record=Victim(slug=SLUG, status="published", **PERSON),
                                  citations=[Citation(source=source, locator="p. 1")])  # fmt: skip
    assert victim.published_at is not None and victim.citations.count() == 1


def test_a_stale_expected_version_is_refused_by_the_service():
    victim = services.record_save(record=Victim(slug=SLUG, **PERSON))
    services.record_save(record=Victim.objects.get(pk=victim.pk))
    with pytest.raises(services.StaleRecord):
        services.record_save(record=victim, expected_version=1)
    assert Victim.objects.get(pk=victim.pk).version == 2


def test_bulk_create_does_the_work_of_single_saves():
    one = services.record_save(
        record=Victim(slug=SLUG, **PERSON), variants=[NameVariant(name=VARIANT, script="cyrillic", kind="russian")]
    )
    many = services.victims_bulk_create(
        victims=[Victim(slug=f"{SLUG}-2", uuid=uuid.uuid4(), **PERSON)],
        variants=[[NameVariant(name=VARIANT, script="cyrillic", kind="russian")]],
        citations=[[]],
        reason="bulk",
    )
    assert stored(one) == stored(many[0])
    assert many[0].history.get().history_change_reason == "bulk"
