"""The visitors' forms: what is kept, what is refused (with a translated error, keeping what was
typed), robots and floods."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from contributions.models import Contribution, ContributionStatus, Kind
from tests.factories import ContributionFactory, VictimFactory
from tests.proofofwork import solved
from tests.public_fixtures import portrait_upload

pytestmark = pytest.mark.django_db

TESTIMONY = "/en/contribute/testimony/"


def sender(**extra) -> dict:
    """Who sends it, and a freshly solved proof of work (each solution counts once)."""
    return {"submitter_name": "Aysel Testova", "submitter_email": "aysel@example.org", "consent": "on",
            **solved(), **extra}  # fmt: skip


def a_testimony(**extra) -> dict:
    fields = {"family_name": "Testova", "given_name": "Nigar", "death_date": "1990-01-20", "birth_date": "1965",
              "message": "Synthetic circumstances.", "relation": "Synthetic niece"}  # fmt: skip
    return sender(**{**fields, **extra})


def jpeg_with_exif() -> SimpleUploadedFile:
    image = Image.new("RGB", (120, 90), (180, 180, 180))
    exif = Image.Exif()
    exif[0x010F] = "SyntheticCameraMaker"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    assert b"SyntheticCameraMaker" in buffer.getvalue()
    return SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_testimony_is_kept_as_new_and_not_published(client):
    response = client.post(TESTIMONY, a_testimony())
    assert response.status_code == 302 and response["Location"] == "/en/contribute/thanks/"
    contribution = Contribution.objects.get()
    assert (contribution.kind, contribution.status, contribution.language) == (Kind.TESTIMONY, "new", "en")
    assert (contribution.family_name, contribution.birth_date, contribution.death_date) == (
        "Testova",
        "1965",
        "1990-01-20",
    )


def test_death_before_birth_is_refused_and_the_form_keeps_what_was_typed(client):
    response = client.post(TESTIMONY, a_testimony(birth_date="1990-02-01", message="Kept text 123"))
    assert response.status_code == 200
    content = response.content.decode()
    assert "The date of death is before the date of birth." in content
    assert "Kept text 123" in content and 'value="Testova"' in content
    assert not Contribution.objects.exists()


def test_errors_are_translated(client):
    with translation.override("az"):
        url = reverse("contributions:testimony")
    response = client.post(url, a_testimony(birth_date="1990-02-01"))
    assert response.status_code == 200
    assert "Vəfat tarixi doğum tarixindən əvvəldir." in response.content.decode()


def test_a_date_that_is_not_a_date_is_refused(client):
    response = client.post(TESTIMONY, a_testimony(death_date="20.01.1990"))
    assert "Write the date as 1990, 1990-01 or 1990-01-20" in response.content.decode()


def test_ten_thousand_characters_at_most_and_the_text_is_kept(client):
    response = client.post(TESTIMONY, a_testimony(message="é" * 10_001))
    content = response.content.decode()
    assert response.status_code == 200 and "at most 10000 characters" in content
    assert "é" * 10_001 in content
    assert client.post(TESTIMONY, a_testimony(message="é" * 10_000)).status_code == 302


def test_html_is_stored_as_text_and_shown_escaped(client, curator):
    script = '<script>alert("x")</script><b>bold</b>'
    response = client.post(TESTIMONY, a_testimony(message=script, birth_date="1991"))
    content = response.content.decode()
    assert script not in content and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in content
    client.post(TESTIMONY, a_testimony(message=script))
    assert Contribution.objects.get().message == script
    client.force_login(curator)
    admin_page = client.get(f"/admin/contributions/contribution/{Contribution.objects.get().pk}/change/")
    assert script not in admin_page.content.decode()


def test_the_honeypot_keeps_nothing(client):
    response = client.post(TESTIMONY, a_testimony(website="http://spam.example"))
    assert response.status_code == 302
    assert not Contribution.objects.exists()


def test_consent_is_required(client):
    data = a_testimony()
    del data["consent"]
    response = client.post(TESTIMONY, data)
    assert "Please agree to the privacy notice" in response.content.decode()


def test_a_photo_goes_through_the_pipeline_into_private_storage_without_metadata(client):
    response = client.post(TESTIMONY, a_testimony(upload=jpeg_with_exif()))
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert contribution.file.name.startswith("contributions/")
    with storages["private"].open(contribution.file.name) as stored:
        data = stored.read()
    assert data.startswith(b"\xff\xd8") and b"SyntheticCameraMaker" not in data


def test_a_pdf_is_kept_as_sent_in_private_storage(client):
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n% synthetic scan\n", content_type="application/pdf")
    assert client.post(TESTIMONY, a_testimony(upload=pdf)).status_code == 302
    with storages["private"].open(Contribution.objects.get().file.name) as stored:
        assert stored.read() == b"%PDF-1.4\n% synthetic scan\n"


def test_a_file_of_another_type_is_refused_with_the_text_kept(client):
    html = SimpleUploadedFile("photo.jpg", b"<html><script>alert(1)</script></html>", content_type="image/jpeg")
    response = client.post(TESTIMONY, a_testimony(upload=html, message="Kept 456"))
    content = response.content.decode()
    assert response.status_code == 200 and "Kept 456" in content
    assert "markup or script" in content
    text = SimpleUploadedFile("notes.txt", b"plain words", content_type="text/plain")
    response = client.post(TESTIMONY, a_testimony(upload=text))
    assert "neither a photo nor a PDF" in response.content.decode()
    assert not Contribution.objects.exists()


def test_an_oversize_file_is_refused(client, settings):
    settings.PHOTO_MAX_UPLOAD_BYTES = 1000
    pdf = SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"0" * 2000, content_type="application/pdf")
    response = client.post(TESTIMONY, a_testimony(upload=pdf))
    assert response.status_code == 200
    assert "larger than" in response.content.decode()
    assert not Contribution.objects.exists()


def test_correction_form_is_prefilled_for_published_people_only(client):
    person = VictimFactory(family_name="Testova", given_name="Nigar")
    draft = VictimFactory(draft=True)
    url = f"/en/contribute/correction/{person.slug}/"
    content = client.get(url).content.decode()
    assert 'value="Testova"' in content and 'value="Nigar"' in content
    assert client.get(f"/en/contribute/correction/{draft.slug}/").status_code == 404
    assert client.get(f"/en/contribute/photo/{draft.slug}/").status_code == 404
    response = client.post(url, sender(message="The date of death is 21 January.", evidence="A letter."))
    assert response.status_code == 302
    contribution = Contribution.objects.get()
    assert (contribution.kind, contribution.victim) == (Kind.CORRECTION, person)


def test_photo_form_needs_a_file_and_the_right_to_share_it(client):
    person = VictimFactory()
    url = f"/en/contribute/photo/{person.slug}/"
    response = client.post(url, sender(message="A portrait.", credit="Family archive"))
    content = response.content.decode()
    assert "This field is required." in content and "We can only accept a file you may share." in content
    response = client.post(
        url, sender(message="A portrait.", credit="Family archive", may_share="on", upload=portrait_upload())
    )
    assert response.status_code == 302
    assert Contribution.objects.get().kind == Kind.PHOTO


def test_five_submissions_an_hour_from_one_address(client):
    for _ in range(5):
        assert client.post(TESTIMONY, a_testimony()).status_code == 302
    response = client.post(TESTIMONY, a_testimony())
    assert response.status_code == 429
    assert "Please wait before sending more" in response.content.decode()
    assert Contribution.objects.count() == 5
    other = client.post(TESTIMONY, a_testimony(), REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302


@pytest.mark.parametrize("language", ["az", "en", "ru"])
def test_privacy_notice_and_forms_in_every_language(client, language):
    with translation.override(language):
        urls = [reverse("contributions:privacy"), reverse("contributions:testimony")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert f'<html lang="{language}">' in response.content.decode()


def test_the_withdraw_link_asks_then_withdraws(client):
    from contributions import services

    contribution, token = services.contribution_submit(contribution=ContributionFactory.build())
    url = f"/en/contribute/withdraw/{token}/"
    assert "Withdraw it" in client.get(url).content.decode()
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.NEW
    client.post(url)
    contribution.refresh_from_db()
    assert contribution.status == ContributionStatus.WITHDRAWN
    assert client.get("/en/contribute/withdraw/not-a-token/").status_code == 404


def test_the_person_page_links_to_the_forms_and_stays_the_same_for_everyone(client):
    person = VictimFactory()
    content = client.get(person.get_absolute_url()).content.decode()
    assert f'href="/en/contribute/correction/{person.slug}/"' in content
    assert f'href="/en/contribute/photo/{person.slug}/"' in content
    assert "csrfmiddlewaretoken" not in content
