"""The API's addresses never break either: a merged person's and a former slug's address answers
a permanent redirect (308) to the kept record, by slug or UUID and in every language, and the
kept record lists ``merged_from`` without ever naming a record that was never public."""

from __future__ import annotations

import json

import pytest

from tests.factories import CitationFactory, VictimFactory
from victims.merging import victim_merge
from victims.models import Status

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def canonical_origin(settings):
    settings.SITE_URL = "http://testserver.example"


@pytest.fixture
def merged_pair(editor):
    keep = VictimFactory(family_name="Testova", given_name="Nigar", slug="nigar-testova")
    duplicate = VictimFactory(family_name="Testova", given_name="Nigyar", slug="nigyar-testova")
    CitationFactory(victim=keep)
    victim_merge(keep=keep, merged=duplicate, user=editor)
    return keep, duplicate


@pytest.mark.parametrize("lang", ["", "?lang=az", "?lang=ru&x=1"])
def test_a_merged_persons_api_address_redirects_permanently_to_the_kept_record(client, merged_pair, lang):
    keep, duplicate = merged_pair
    for key in (duplicate.slug, str(duplicate.uuid)):
        response = client.get(f"{API}/people/{key}{lang}")
        assert response.status_code == 308, (key, response.status_code)
        assert response["Location"] == f"http://testserver.example{API}/people/{keep.slug}{lang}"
        assert response["Access-Control-Allow-Origin"] == "*"
    followed = client.get(response["Location"].removeprefix("http://testserver.example"))
    assert followed.status_code == 200 and json.loads(followed.content)["data"]["uuid"] == str(keep.uuid)


def test_a_former_slug_redirects_to_the_current_one(client, editor):
    person = VictimFactory(slug="old-testova")
    CitationFactory(victim=person)
    person.slug = "new-testova"
    person.save()
    response = client.get(f"{API}/people/old-testova")
    assert response.status_code == 308
    assert response["Location"].endswith(f"{API}/people/new-testova")


def test_head_of_a_merged_address_redirects_too(client, merged_pair):
    keep, duplicate = merged_pair
    response = client.head(f"{API}/people/{duplicate.slug}")
    assert response.status_code == 308 and response["Location"].endswith(f"/people/{keep.slug}")


def test_the_kept_record_lists_merged_from(client, merged_pair):
    keep, duplicate = merged_pair
    data = json.loads(client.get(f"{API}/people/{keep.slug}").content)["data"]
    assert data["merged_from"] == [str(duplicate.uuid)]
    other = json.loads(client.get(f"{API}/people/{VictimFactory().slug}").content)["data"]
    assert other["merged_from"] == []


def test_a_draft_merged_away_is_never_named(client, editor):
    keep = VictimFactory(slug="kept-testova")
    CitationFactory(victim=keep)
    draft = VictimFactory(slug="draft-testova", draft=True)
    victim_merge(keep=keep, merged=draft, user=editor)
    data = json.loads(client.get(f"{API}/people/{keep.slug}").content)["data"]
    assert data["merged_from"] == []


def test_nothing_unpublished_is_revealed_by_a_redirect(client, editor):
    """A record merged into a kept record that is not published answers 404, like the pages."""
    keep = VictimFactory(slug="hidden-testova", draft=True)
    duplicate = VictimFactory(slug="hidden-testova-2")
    victim_merge(keep=keep, merged=duplicate, user=editor)
    for key in (duplicate.slug, str(duplicate.uuid), keep.slug, str(keep.uuid)):
        response = client.get(f"{API}/people/{key}")
        assert response.status_code == 404, key
        assert "hidden-testova" not in response.content.decode()
    withdrawn = VictimFactory(slug="withdrawn-testova", status=Status.WITHDRAWN)
    assert client.get(f"{API}/people/{withdrawn.uuid}").status_code == 404


def test_the_openapi_document_describes_the_redirect_and_merged_from(client):
    schema = json.loads(client.get(f"{API}/openapi.json").content)
    operation = schema["paths"]["/api/v1/people/{key}"]["get"]
    assert "308" in operation["responses"]
    assert "merged_from" in schema["components"]["schemas"]["PersonDetail"]["properties"]
    assert "308 Permanent Redirect" in schema["info"]["description"]
