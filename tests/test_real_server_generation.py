"""The out-of-order withdrawal against the server as deployed: gunicorn with two workers, the
production settings, the page cache on and the generation read once a second per worker.

Transaction A withdraws a person and stays open; transaction B edits another person and commits;
visitors load the person's page (200, kept in every worker's page cache); A commits. Within the
bound the README states (``REGISTRY_GENERATION_TTL``, 1 s, after the commit) every worker answers
404, and a browser revalidating with the old ETag gets no 304.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from tests.factories import CitationFactory, VictimFactory
from victims import services
from victims.models import Victim

pytestmark = pytest.mark.slow

GENERATION_TTL = 1.0  # the deployed default, as the README states it


def _database_url() -> str:
    conf = connection.settings_dict
    host = quote(conf["HOST"] or "", safe="")
    user = quote(conf["USER"] or "", safe="")
    password = f":{quote(conf['PASSWORD'], safe='')}" if conf["PASSWORD"] else ""
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{conf['NAME']}"


def _get(url: str, headers: dict | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Host": "127.0.0.1", **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — loopback only
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@pytest.fixture
def deployed(transactional_db, tmp_path):
    """gunicorn serving this test's database with the production settings."""
    from bench.load import Gunicorn

    environment = {
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "synthetic-test-key-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DATABASE_URL": _database_url(),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PAGE_CACHE_ENABLED": "true",
        "REGISTRY_GENERATION_TTL": str(GENERATION_TTL),
    }
    # What production refuses to start without (a real contact address, the canonical origin).
    environment.update(MEMORIAL_CONTACT_EMAIL="curators@memorial.test", SITE_URL="https://memorial.test")
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=settings.BASE_DIR, env={**os.environ, **environment}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr
    with Gunicorn(environment, workers=2, log=tmp_path / "gunicorn.log", ready_path="/healthz") as server:
        yield server


def test_a_late_withdrawal_leaves_every_worker_within_the_stated_bound(deployed, editor):
    person = VictimFactory(family_name="Gecgedən")
    CitationFactory(victim=person)
    other = VictimFactory(family_name="Başqasınaq")
    url = deployed.url(f"/en/victims/{person.slug}/")

    held, release, errors = threading.Event(), threading.Event(), []

    def transaction_a():
        try:
            with transaction.atomic():
                services.victim_withdraw(victim=Victim.objects.get(pk=person.pk), user=editor)
                held.set()
                release.wait(30)
        except BaseException as error:
            errors.append(error)
            held.set()
        finally:
            connections.close_all()

    a = threading.Thread(target=transaction_a, daemon=True)
    a.start()
    assert held.wait(30) and not errors, errors

    def transaction_b():
        with transaction.atomic():
            edited = Victim.objects.get(pk=other.pk)
            edited.occupation_en = "synthetic edit"
            edited.save()
        connections.close_all()

    b = threading.Thread(target=transaction_b, daemon=True)
    b.start()
    b.join(20)
    assert not b.is_alive(), "B waited for A"
    time.sleep(GENERATION_TTL + 0.2)  # every worker now knows B's generation

    # Visitors, several at once so that both workers render and keep the page.
    with ThreadPoolExecutor(8) as pool:
        before = list(pool.map(lambda _: _get(url), range(24)))
    assert {status for status, _ in before} == {200}
    assert any(headers.get("X-Cache") == "HIT" for _, headers in before)
    etag = before[0][1]["ETag"]

    release.set()
    a.join(30)
    assert not a.is_alive() and not errors, errors
    time.sleep(GENERATION_TTL + 0.2)  # the stated bound after the commit

    with ThreadPoolExecutor(8) as pool:
        after = list(pool.map(lambda _: _get(url), range(24)))
        revalidated = list(pool.map(lambda _: _get(url, {"If-None-Match": etag}), range(8)))
    assert {status for status, _ in after} == {404}, [s for s, _ in after]
    assert {status for status, _ in revalidated} == {404}
