"""The out-of-order withdrawal against the server as deployed: gunicorn with two workers, the
production settings, the page cache on and the generation read once a second per worker.

Transaction A withdraws a person and stays open; transaction B edits another person and commits;
visitors load the person's page (200, kept in every worker's page cache); A commits. Within the
bound the README states (``REGISTRY_GENERATION_TTL``, 1 s, after the commit) every worker answers
404, and a browser revalidating with the old ETag gets no 304.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections, transaction

from tests.deployed import GENERATION_TTL, get, gunicorn, production_environment
from tests.factories import CitationFactory, VictimFactory
from victims import services
from victims.models import Victim

pytestmark = pytest.mark.slow


@pytest.fixture
def deployed(transactional_db, tmp_path):
    """gunicorn serving this test's database with the production settings."""
    with gunicorn(production_environment(tmp_path), tmp_path / "gunicorn.log") as server:
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
        before = list(pool.map(lambda _: get(url), range(24)))
    assert {status for status, _, _ in before} == {200}
    assert any(headers.get("X-Cache") == "HIT" for _, headers, _ in before)
    etag = before[0][1]["ETag"]

    release.set()
    a.join(30)
    assert not a.is_alive() and not errors, errors
    time.sleep(GENERATION_TTL + 0.2)  # the stated bound after the commit

    with ThreadPoolExecutor(8) as pool:
        after = list(pool.map(lambda _: get(url), range(24)))
        revalidated = list(pool.map(lambda _: get(url, {"If-None-Match": etag}), range(8)))
    assert {status for status, _, _ in after} == {404}, [s for s, _, _ in after]
    assert {status for status, _, _ in revalidated} == {404}
