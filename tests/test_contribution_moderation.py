"""From the queue to the registry: a testimony becomes a draft person (with its likely duplicates
shown first), a correction is made beside the person's change form, a visitor's photo waits
unapproved; what the public sees of each, and never the sender."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from common.partialdates import Precision
from contributions import services
from contributions.models import Contribution, ContributionStatus, Kind
from tests.factories import ContributionFactory, PlaceFactory, VictimFactory
from tests.public_fixtures import portrait_upload
from victims import images
from victims import services as registry
from victims.models import Photo, Reliability, Script, SourceKind, Status, Victim

pytestmark = pytest.mark.django_db

SENDER = {"submitter_name": "Aysel Sendertestova", "submitter_email": "aysel.sender@example.org"}


def a_testimony(*, image: bool = False, **fields) -> Contribution:
    """A testimony as the public form saves it (through the service), with a photo if asked."""
    values = {"kind": Kind.TESTIMONY, "family_name": "Testova", "given_name": "Nigar", "birth_date": "1965",
              "death_date": "1990-01", "message": "Synthetic circumstances of the test.", "relation": "niece",
              "consent": True, "language": "en", **SENDER, **fields}  # fmt: skip
    upload = ("image", images.check_upload(portrait_upload())) if image else None
    contribution, _token = services.contribution_submit(contribution=Contribution(**values), upload=upload)
    return contribution


# --- A testimony into a draft person ---------------------------------------------------------------------------


def test_a_testimony_becomes_a_draft_person_with_its_fields(curator):
    place = PlaceFactory(name_en="Synthetic Avenue", name_az="Sınaq prospekti", name_ru="Тестовый проспект")
    PlaceFactory(name_en="Twin Street")
    PlaceFactory(name_en="Twin street")  # two places of that name: the curator chooses
    contribution = a_testimony(place_of_death="sinaq prospekti", place_of_birth="Twin Street", patronymic="Testər qızı")

    victim = services.contribution_convert_testimony(contribution=contribution, user=curator)

    victim = Victim.objects.get(pk=victim.pk)
    assert (victim.family_name, victim.given_name, victim.patronymic) == ("Testova", "Nigar", "Testər qızı")
    assert victim.status == Status.DRAFT and victim.created_by == curator
    assert (victim.birth_date, victim.birth_precision) == (datetime.date(1965, 1, 1), Precision.YEAR)
    assert (victim.death_date, victim.death_precision) == (datetime.date(1990, 1, 1), Precision.MONTH)
    assert victim.place_of_death == place and victim.place_of_birth is None
    assert victim.biography_en == "Synthetic circumstances of the test." and victim.original_language == "en"
    assert not victim.variants.exists()
    [citation] = victim.citations.select_related("source")
    assert (citation.source.kind, citation.source.reliability) == (SourceKind.TESTIMONY, Reliability.TESTIMONY)
    assert citation.locator == f"№ {contribution.pk}"
    assert SENDER["submitter_name"] not in str(citation.source.__dict__) + str(citation.__dict__)
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.ACCEPTED and contribution.victim == victim
    reasons = list(contribution.history.order_by("history_id").values_list("history_change_reason", flat=True))
    assert reasons[1:] == [f"converted into the draft person {victim.pk}", "status: new → accepted"]
    assert victim.history.get().history_change_reason == f"draft made from testimony no. {contribution.pk}"


def test_names_in_cyrillic_become_a_name_variant_that_search_finds(curator):
    contribution = a_testimony(family_name="Тестова", given_name="Нигяр", birth_date="", death_date="")
    victim = services.contribution_convert_testimony(contribution=contribution, user=curator)
    [variant] = victim.variants.all()
    assert (variant.name, variant.script) == ("Тестова Нигяр", Script.CYRILLIC)
    assert Victim.objects.search("Testova Nigar").filter(pk=victim.pk).exists()


def test_a_testimony_source_is_one_for_all_and_never_names_a_sender(curator):
    first = services.contribution_convert_testimony(contribution=a_testimony(), user=curator)
    second = services.contribution_convert_testimony(
        contribution=a_testimony(given_name="Leyla", submitter_name="Other Sendertestov"), user=curator
    )
    assert first.citations.get().source_id == second.citations.get().source_id


def test_converting_tells_the_sender_the_outcome(smtp, curator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        contribution = a_testimony()
    with django_capture_on_commit_callbacks(execute=True):
        services.contribution_convert_testimony(contribution=contribution, user=curator)
    _receipt, outcome = smtp.wait(2)
    assert outcome["X-Envelope-To"] == SENDER["submitter_email"]
    assert "accepted" in outcome.get_payload(decode=True).decode()


def test_a_testimony_is_converted_once_and_only_by_a_moderator(curator, data_staff):
    contribution = a_testimony()
    with pytest.raises(PermissionDenied):
        services.contribution_convert_testimony(contribution=contribution, user=data_staff)
    services.contribution_convert_testimony(contribution=contribution, user=curator)
    with pytest.raises(ValidationError):
        services.contribution_convert_testimony(contribution=contribution, user=curator)
    assert Victim.objects.count() == 1


def test_a_withdrawn_testimony_is_not_converted(curator):
    contribution = a_testimony()
    services.contribution_withdraw(contribution=contribution)
    with pytest.raises(ValidationError):
        services.contribution_convert_testimony(contribution=contribution, user=curator)


# --- Likely duplicates ---------------------------------------------------------------------------------------


def test_likely_duplicates_are_those_of_the_import_gate(curator):
    same = VictimFactory(family_name="Testova", given_name="Nigar", death_date=datetime.date(1990, 1, 20))
    VictimFactory(family_name="Testova", given_name="Nigar", death_date=datetime.date(1988, 5, 2))  # other time
    VictimFactory(family_name="Quliyeva", given_name="Aysel", death_date=datetime.date(1990, 1, 20))  # other name
    contribution = a_testimony(family_name="Тестова", given_name="Нигяр")  # the same name in Cyrillic
    assert services.testimony_duplicates(contribution) == [same]

    with pytest.raises(ValidationError) as refused:
        services.contribution_convert_testimony(contribution=contribution, user=curator)
    assert refused.value.code == "likely_duplicates"
    assert Contribution.objects.get(pk=contribution.pk).status == ContributionStatus.NEW
    victim = services.contribution_convert_testimony(contribution=contribution, user=curator, confirm_duplicates=True)
    assert victim.pk != same.pk


def test_the_testimony_page_lists_its_likely_duplicates_with_links(client, curator):
    same = VictimFactory(family_name="Testova", given_name="Nigar", death_date=datetime.date(1990, 1, 20))
    contribution = a_testimony()
    client.force_login(curator)
    page = client.get(reverse("admin:contributions_contribution_change", args=[contribution.pk])).content.decode()
    assert reverse("admin:victims_victim_change", args=[same.pk]) in page
    convert = reverse("admin:contributions_contribution_convert", args=[contribution.pk])
    assert f'href="{convert}"' in page  # a link to the confirmation, not the one-click button

    confirmation = client.get(convert).content.decode()
    assert reverse("admin:victims_victim_change", args=[same.pk]) in confirmation
    assert client.post(convert).status_code == 200  # without the confirmation: asked again
    assert Victim.objects.count() == 1
    response = client.post(convert, {"confirm": "1"})
    victim = Victim.objects.exclude(pk=same.pk).get()
    assert response.url == reverse("admin:victims_victim_change", args=[victim.pk])


def test_without_duplicates_one_click_converts(client, curator):
    contribution = a_testimony()
    client.force_login(curator)
    page = client.get(reverse("admin:contributions_contribution_change", args=[contribution.pk])).content.decode()
    convert = reverse("admin:contributions_contribution_convert", args=[contribution.pk])
    assert f'action="{convert}"' in page
    assert "Nobody in the registry has this name" in page
    response = client.post(convert)
    victim = Victim.objects.get()
    assert response.url == reverse("admin:victims_victim_change", args=[victim.pk])
    person_page = client.get(response.url).content.decode()
    assert SENDER["submitter_email"] in person_page  # the curators see who sent it


def test_data_staff_cannot_convert(client, data_staff):
    contribution = a_testimony()
    client.force_login(data_staff)
    client.post(reverse("admin:contributions_contribution_convert", args=[contribution.pk]))
    assert not Victim.objects.exists()


# --- What the public sees --------------------------------------------------------------------------------------


def published_from_testimony(curator, editor, *, image: bool = True) -> Victim:
    victim = services.contribution_convert_testimony(contribution=a_testimony(image=image), user=curator)
    registry.victim_submit_for_review(victim=victim, user=curator)
    registry.victim_publish(victim=victim, user=editor)
    return Victim.objects.get(pk=victim.pk)


def public_texts(client, victim: Victim) -> dict[str, str]:
    texts = {}
    for language in ("az", "en", "ru"):
        with translation.override(language):
            texts[f"page {language}"] = client.get(victim.get_absolute_url()).content.decode()
    texts["api"] = client.get(reverse("api:person", args=[victim.slug])).content.decode()
    texts["sources"] = client.get(reverse("victims:source_list")).content.decode()
    return texts


def test_the_sender_never_shows_on_a_published_person(client, curator, editor):
    victim = published_from_testimony(curator, editor)
    texts = public_texts(client, victim)
    assert "Testimonies sent through the memorial&#x27;s website" in texts["page en"]
    assert "Testova" in texts["page az"]
    for where, text in texts.items():
        for secret in (SENDER["submitter_name"], SENDER["submitter_email"], "Sendertestova"):
            assert secret not in text, f"{secret} on {where}"


def test_a_visitors_photo_shows_only_once_approved(client, curator, editor):
    victim = published_from_testimony(curator, editor)
    photo = Photo.objects.get(victim=victim)
    assert not photo.is_published and not photo.is_primary
    urls = [photo.rendition_url(size, fmt) for size in photo.renditions for fmt in ("webp", "jpeg")]
    texts = public_texts(client, victim)
    assert all(url not in text for url in urls for text in texts.values())
    assert json.loads(texts["api"])["data"]["photos"] == []
    assert all(client.get(url).status_code == 404 for url in urls)

    photo.is_published = photo.is_primary = True
    photo.save()
    assert urls[0] in client.get(victim.get_absolute_url()).content.decode()
    assert all(client.get(url).status_code == 200 for url in urls)


def test_an_unapproved_photo_cannot_be_the_primary_one(curator, editor):
    victim = published_from_testimony(curator, editor)
    with pytest.raises(IntegrityError), transaction.atomic():
        Photo.objects.filter(victim=victim).update(is_primary=True)


# --- A visitor's photo ---------------------------------------------------------------------------------------


def a_photo_contribution(victim: Victim, *, pdf: bool = False) -> Contribution:
    contribution = ContributionFactory(kind=Kind.PHOTO, victim=victim, credit="Family of the test", may_share=True)
    if pdf:
        contribution.file.save("scan.pdf", ContentFile(b"%PDF-1.4 synthetic"))
    else:
        stored = images.encode_original(images.check_upload(portrait_upload()), key="synthetic")
        contribution.file.save(stored.name, stored)
    return contribution


def test_an_accepted_photo_is_attached_unapproved_with_its_credit(client, curator):
    victim = VictimFactory()
    contribution = a_photo_contribution(victim)
    client.force_login(curator)
    response = client.post(reverse("admin:contributions_contribution_attach", args=[contribution.pk]))
    assert response.url == reverse("admin:victims_victim_change", args=[victim.pk])
    photo = Photo.objects.get(victim=victim)
    assert (photo.is_published, photo.credit, bool(photo.renditions)) == (False, "Family of the test", True)
    assert Contribution.objects.get(pk=contribution.pk).status == ContributionStatus.ACCEPTED
    assert photo.rendition_url("card", "webp") not in client.get(victim.get_absolute_url()).content.decode()


def test_a_document_scan_is_never_attached(curator):
    contribution = a_photo_contribution(VictimFactory(), pdf=True)
    with pytest.raises(ValidationError):
        services.contribution_attach_photo(contribution=contribution, user=curator)
    assert not Photo.objects.exists()
    assert Contribution.objects.get(pk=contribution.pk).status == ContributionStatus.NEW


# --- A correction beside the change form ---------------------------------------------------------------------


def test_a_correction_opens_the_change_form_with_the_proposal(client, editor):
    victim = VictimFactory(family_name="Testova", given_name="Nigar")
    correction = ContributionFactory(kind=Kind.CORRECTION, victim=victim, death_date="1990-01-21",
                                     message="The date of death is <b>21</b> January.", evidence="A synthetic letter.")  # fmt: skip
    client.force_login(editor)
    queue_page = client.get(reverse("admin:contributions_contribution_change", args=[correction.pk])).content.decode()
    beside = f"{reverse('admin:victims_victim_change', args=[victim.pk])}?contribution={correction.pk}"
    assert f'href="{beside}"' in queue_page

    page = client.get(beside).content.decode()
    assert "The date of death is &lt;b&gt;21&lt;/b&gt; January." in page
    assert "A synthetic letter." in page and "1990-01-21" in page and "20 January 1990" in page
    assert 'id="victim_form"' in page  # the usual change form, below the panel

    accept = reverse("admin:contributions_contribution_accept", args=[correction.pk])
    response = client.post(accept, {"next": beside})
    assert response.url == beside
    assert Contribution.objects.get(pk=correction.pk).status == ContributionStatus.ACCEPTED
    assert "Accept the correction" not in client.get(beside).content.decode()


def test_the_panel_shows_only_a_correction_of_this_person_to_moderators(client, editor, data_staff):
    victim, other = VictimFactory(), VictimFactory()
    correction = ContributionFactory(kind=Kind.CORRECTION, victim=other, message="Synthetic proposal.")
    client.force_login(editor)
    url = reverse("admin:victims_victim_change", args=[victim.pk])
    assert "Synthetic proposal." not in client.get(f"{url}?contribution={correction.pk}").content.decode()
    assert client.get(f"{url}?contribution=x").status_code == 200
    client.force_login(data_staff)
    other_url = reverse("admin:victims_victim_change", args=[other.pk])
    assert "Synthetic proposal." not in client.get(f"{other_url}?contribution={correction.pk}").content.decode()


def test_accepting_leads_only_to_a_page_of_this_site(client, editor):
    correction = ContributionFactory(kind=Kind.CORRECTION, victim=VictimFactory(), message="Synthetic.")
    client.force_login(editor)
    response = client.post(
        reverse("admin:contributions_contribution_accept", args=[correction.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("admin:contributions_contribution_change", args=[correction.pk])
    assert client.get(reverse("admin:contributions_contribution_accept", args=[correction.pk])).status_code == 405


def test_the_dataset_and_the_json_export_leave_an_unapproved_photo_out(settings, curator, editor):
    from victims.dataset import dataset_publish

    victim = published_from_testimony(curator, editor)
    release = dataset_publish()
    [dump_file] = [file for file in release["files"] if file["format"] == "json"]
    dump = (settings.DATASET_ROOT / dump_file["name"]).read_text()
    [person] = [person for person in json.loads(dump)["victims"] if person["uuid"] == str(victim.uuid)]
    assert person["photos"] == []
    assert "Sendertestova" not in dump and "aysel.sender" not in dump
    Photo.objects.filter(victim=victim).update(is_published=True)
    release = dataset_publish(force=True)
    [dump_file] = [file for file in release["files"] if file["format"] == "json"]
    [person] = [p for p in json.loads((settings.DATASET_ROOT / dump_file["name"]).read_text())["victims"]
                if p["uuid"] == str(victim.uuid)]  # fmt: skip
    assert len(person["photos"]) == 1


def test_the_admin_home_says_which_photos_wait_for_approval(client, curator):
    victim, other = VictimFactory(family_name="Testova"), VictimFactory(family_name="Sınaqlı")
    services.contribution_attach_photo(contribution=a_photo_contribution(victim), user=curator)
    client.force_login(curator)
    home = client.get(reverse("admin:index")).content.decode()
    assert "1 person has a photo waiting for approval" in home
    waiting = client.get(reverse("admin:victims_victim_changelist") + "?photos=unapproved").content.decode()
    assert str(victim) in waiting and str(other) not in waiting
