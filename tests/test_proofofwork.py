"""The ALTCHA proof of work on every visitor's form: a post without a valid, unused solution is
refused with a clear, translated message and keeps what was typed; challenges come from the site's
own endpoint, signed with the key from the settings."""

from __future__ import annotations

import base64
import html
import json
import time

import altcha
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from contributions.models import Contribution, Kind
from contributions.proofofwork import new_challenge
from tests.factories import VictimFactory
from tests.proofofwork import solution, solved

pytestmark = pytest.mark.django_db

TESTIMONY = "/en/contribute/testimony/"


def a_testimony(**extra) -> dict:
    return {"family_name": "Testova", "given_name": "Nigar", "message": "Synthetic circumstances 789.",
            "relation": "Synthetic niece", "submitter_name": "Aysel Testova", "submitter_email": "aysel@example.org",
            "consent": "on", **extra}  # fmt: skip


def csrf_client() -> tuple[Client, str]:
    """A robot that reads the form first, as a browser would, and posts back the CSRF token."""
    robot = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    page = robot.get(TESTIMONY)
    token = page.cookies["csrftoken"].value
    return robot, token


def test_the_challenge_endpoint_gives_a_fresh_signed_challenge_never_cached(client, settings):
    first = client.get("/altcha/challenge/")
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert first["Cache-Control"] == "no-store"
    challenge = first.json()
    parameters = challenge["parameters"]
    assert parameters["algorithm"] == "PBKDF2/SHA-256" and parameters["cost"] == settings.ALTCHA_COST
    assert 0 < parameters["expiresAt"] - time.time() <= settings.ALTCHA_EXPIRES_SECONDS
    assert client.get("/altcha/challenge/").json()["parameters"]["nonce"] != parameters["nonce"]
    assert client.post("/altcha/challenge/").status_code == 405
    # Signed with the settings' key: a solution of it is accepted once (see below), and the key is
    # derived from the secret key unless ALTCHA_HMAC_KEY is set.
    assert len(settings.ALTCHA_HMAC_KEY) == 64 and settings.ALTCHA_HMAC_KEY != settings.SECRET_KEY
    assert altcha.verify_solution(solution(challenge), settings.ALTCHA_HMAC_KEY).verified


def test_a_robot_posting_without_the_proof_of_work_is_refused_and_the_text_kept():
    robot, token = csrf_client()
    response = robot.post(TESTIMONY, a_testimony(csrfmiddlewaretoken=token))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Please let your browser confirm that you are not a robot" in content
    assert 'id="id_altcha_error"' in content
    assert "Synthetic circumstances 789." in content and 'value="Aysel Testova"' in content
    assert not Contribution.objects.exists()
    # The same post with a solved challenge goes through (the CSRF token was right all along).
    accepted = robot.post(TESTIMONY, a_testimony(csrfmiddlewaretoken=token, **solved()))
    assert accepted.status_code == 302
    assert Contribution.objects.count() == 1


@pytest.mark.parametrize(
    ("language", "expected"),
    [("az", "robot olmadığınızı"), ("ru", "что вы не робот")],
)
def test_the_refusal_is_translated(client, language, expected):
    with translation.override(language):
        url = reverse("contributions:testimony")
    response = client.post(url, a_testimony())
    assert expected in response.content.decode()
    assert not Contribution.objects.exists()


def test_a_solution_counts_once(client):
    payload = solution()
    assert client.post(TESTIMONY, a_testimony(altcha=payload)).status_code == 302
    replayed = client.post(TESTIMONY, a_testimony(altcha=payload, given_name="Replayed"))
    assert replayed.status_code == 200
    assert "This confirmation was already used" in replayed.content.decode()
    assert "Replayed" in replayed.content.decode()  # what was typed is kept
    assert Contribution.objects.count() == 1


def test_a_solution_of_a_refused_form_cannot_be_used_again(client):
    """A form refused for another reason used its solution up: the page asks for a new one."""
    payload = solution()
    refused = client.post(TESTIMONY, a_testimony(altcha=payload, consent=""))
    assert refused.status_code == 200 and "Please agree to the privacy notice" in refused.content.decode()
    again = client.post(TESTIMONY, a_testimony(altcha=payload))
    assert "This confirmation was already used" in again.content.decode()
    assert not Contribution.objects.exists()


def tampered(payload: str, change) -> str:
    data = json.loads(base64.b64decode(payload))
    change(data)
    return base64.b64encode(json.dumps(data).encode()).decode()


def padded(payload: str) -> str:
    """A real solution, made longer than any the widget sends (JSON allows the spaces)."""
    text = json.dumps(json.loads(base64.b64decode(payload))) + " " * 5000
    return base64.b64encode(text.encode()).decode()


def wrong_counter(data):
    data["solution"]["counter"] += 1


def cheaper(data):
    data["challenge"]["parameters"]["cost"] = 1


def later_expiry(data):
    data["challenge"]["parameters"]["expiresAt"] += 3600


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(lambda: tampered(solution(), wrong_counter), id="wrong-counter"),
        pytest.param(lambda: tampered(solution(), cheaper), id="cheaper-challenge"),
        pytest.param(lambda: tampered(solution(), later_expiry), id="later-expiry"),
        pytest.param(
            lambda: base64.b64encode(b'{"challenge": null, "solution": null, "test": true}').decode(),
            id="widget-test-mode",
        ),
        pytest.param(lambda: "not base64 at all \x00", id="garbage"),
        pytest.param(lambda: base64.b64encode(b"[1, 2, 3]").decode(), id="not-an-object"),
        pytest.param(lambda: padded(solution()), id="oversize"),
    ],
)
def test_forged_solutions_are_refused(client, payload):
    response = client.post(TESTIMONY, a_testimony(altcha=payload()))
    assert response.status_code == 200
    assert "The check that you are not a robot did not succeed" in response.content.decode()
    assert not Contribution.objects.exists()


def test_a_challenge_signed_with_another_key_is_refused(client):
    foreign = altcha.create_challenge(algorithm="PBKDF2/SHA-256", cost=20, expires_at=int(time.time()) + 600,
                                      hmac_secret="another key, of another site, long enough")  # fmt: skip
    response = client.post(TESTIMONY, a_testimony(altcha=solution(foreign.to_dict())))
    assert "The check that you are not a robot did not succeed" in response.content.decode()
    assert not Contribution.objects.exists()


def test_an_expired_challenge_is_refused(client, settings):
    settings.ALTCHA_EXPIRES_SECONDS = -1
    payload = solution(new_challenge())
    settings.ALTCHA_EXPIRES_SECONDS = 3600
    response = client.post(TESTIMONY, a_testimony(altcha=payload))
    assert "The check that you are not a robot has expired" in response.content.decode()
    assert not Contribution.objects.exists()


def test_every_visitors_form_asks_for_it(client):
    person = VictimFactory()
    forms = {
        Kind.TESTIMONY: (TESTIMONY, {}),
        Kind.CORRECTION: (f"/en/contribute/correction/{person.slug}/", {"message": "Synthetic correction."}),
        Kind.PHOTO: (f"/en/contribute/photo/{person.slug}/", {"message": "Synthetic.", "credit": "Family"}),
        Kind.CANDLE_MESSAGE: (f"/en/contribute/candle/{person.slug}/", {"message": "Synthetic candle message."}),
    }
    for kind, (url, fields) in forms.items():
        page = client.get(url).content.decode()
        assert '<altcha-widget id="id_altcha" name="altcha" challenge="/altcha/challenge/"' in page, kind
        assert "vendor/altcha/altcha.min.js" in page and "js/altcha-setup.js" in page
        data = {**a_testimony(), **fields}
        refused = client.post(url, data)
        assert "Please let your browser confirm" in refused.content.decode(), kind
    assert not Contribution.objects.exists()
    accepted = client.post(forms[Kind.CANDLE_MESSAGE][0], {**a_testimony(), **forms[Kind.CANDLE_MESSAGE][1],
                                                           **solved()})  # fmt: skip
    assert accepted.status_code == 302
    assert Contribution.objects.get().kind == Kind.CANDLE_MESSAGE


def test_the_widget_speaks_the_pages_language(client):
    for language, label in [("az", "Mən robot deyiləm"), ("ru", "Я не робот"), ("en", "I am not a robot")]:
        with translation.override(language):
            page = client.get(reverse("contributions:testimony")).content.decode()
        assert f'language="{language}"' in page
        strings = page.split('data-strings="', 1)[1].split('"', 1)[0]
        assert json.loads(html.unescape(strings))["label"] == label

