"""The registry generation moves at every commit that changes what the public sees, whatever order
transactions commit in.

These tests use real commits on several database connections (threads; no test transaction around
them): transaction A changes a record and stays open, transaction B changes another record and
commits, a visitor's request renders and caches the page under B's generation, then A commits. The
page must change at once (tests read the generation on every request: REGISTRY_GENERATION_TTL = 0;
a server's workers within their TTL, see tests/test_real_server_generation.py), and a browser
revalidating with the old ETag must not get 304.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Callable

import pytest
from django.apps import apps
from django.db import connection, connections, transaction

from tests.factories import CitationFactory, EventFactory, SourceFactory, VictimFactory
from victims import services
from victims.exchange.columns import VICTIM_IMPORT_HEADER
from victims.exchange.services import registry_import
from victims.models import Citation, Event, Photo, Status, Victim

# Tables a public page does not read: who exported what, the generation itself, duplicate pairs
# (staff only). Visitors' contributions are read only in the admin (a curator's decision reaches the
# public pages through the registry's own tables); candles are counted by an endpoint outside the
# cached page, so that a candle does not re-render every page. Imported rows held back as likely
# duplicates are read only in the admin: a row reaches the public pages only once a staff member
# imports it, as a draft person written through the registry's own (triggered) tables.
NOT_PUBLIC = {
    "victims_exportlog",
    "victims_registrygeneration",
    "victims_duplicatepair",
    "victims_heldbackrow",
    "contributions_contribution",
    "contributions_candle",
}


def _registry_tables() -> set[str]:
    tables = set()
    for label in ("victims", "memorial", "contributions"):
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            table = model._meta.db_table
            if not model.__name__.startswith("Historical") and table not in NOT_PUBLIC:
                tables.add(table)
    return tables


def test_every_registry_table_moves_the_generation_at_commit(db):
    """A new model the public pages read needs the triggers of migration 0007 too."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = 'registry_generation_bump' AND t.tgdeferrable AND t.tginitdeferred"
        )
        deferred = {row[0] for row in cursor.fetchall()}
    missing = _registry_tables() - deferred
    assert not missing, f"tables without the deferred generation trigger: {sorted(missing)}"


class OpenTransaction(threading.Thread):
    """Run ``change()`` in a transaction of its own connection and keep it open until released."""

    def __init__(self, change: Callable[[], None]):
        super().__init__(daemon=True)
        self.change, self.held, self.release, self.error = change, threading.Event(), threading.Event(), None

    def run(self):
        try:
            with transaction.atomic():
                self.change()
                self.held.set()
                assert self.release.wait(30), "never released"
        except BaseException as error:  # reported to the test thread
            self.error = error
            self.held.set()
        finally:
            connections.close_all()

    def commit(self):
        self.release.set()
        self.join(30)
        assert not self.is_alive(), "transaction A did not commit"
        if self.error:
            raise self.error


def committed_meanwhile(change: Callable[[], None]) -> None:
    """Transaction B: commits while A is open. It must not wait for A."""
    errors = []

    def run():
        try:
            with transaction.atomic():
                change()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(20)
    assert not thread.is_alive(), "transaction B waited for transaction A"
    if errors:
        raise errors[0]


def out_of_order(client, *, url: str, change_a, before: Callable, after: Callable) -> None:
    other = VictimFactory(family_name="Başqasınaq")
    a = OpenTransaction(change_a)
    a.start()
    assert a.held.wait(30)
    if a.error:
        raise a.error

    def curator_edit():  # a save with history, as the admin makes it: newer stamps than A's
        person = Victim.objects.get(pk=other.pk)
        person.occupation_en = "synthetic edit"
        person.save()
        Citation.objects.create(victim=person, source=SourceFactory())
        Photo.objects.create(victim=person, alt_text="Synthetic other photo")
        EventFactory()

    committed_meanwhile(curator_edit)

    first = client.get(url)
    before(first)
    cached = client.get(url)
    assert cached.get("X-Cache") == "HIT", "the page cache is on, as deployed"
    etag = first.get("ETag")

    a.commit()

    fresh = client.get(url)
    after(fresh)
    if etag:
        revalidated = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert revalidated.status_code != 304, "a browser would keep the old page"
        after(revalidated)


@pytest.fixture
def page_cache(transactional_db, settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.REGISTRY_GENERATION_TTL = 0


def test_a_withdrawal_that_commits_after_a_newer_edit_takes_the_page_down(client, page_cache, editor):
    person = VictimFactory(family_name="Geriçəkilən")
    CitationFactory(victim=person)
    url = f"/en/victims/{person.slug}/"

    out_of_order(
        client, url=url,
        change_a=lambda: services.victim_withdraw(victim=Victim.objects.get(pk=person.pk), user=editor),
        before=lambda r: r.status_code == 200 or pytest.fail(f"{r.status_code} before the commit"),
        after=lambda r: r.status_code == 404 or pytest.fail(f"withdrawn page answered {r.status_code}"),
    )  # fmt: skip
    listing = client.get("/en/victims/")
    assert "Geriçəkilən" not in listing.content.decode()


def test_a_publication_that_commits_late_appears(client, page_cache, editor):
    person = VictimFactory(family_name="Gecikənsınaq", draft=True)
    CitationFactory(victim=person)
    services.victim_submit_for_review(victim=Victim.objects.get(pk=person.pk), user=editor)

    def contains(r):
        return r.status_code == 200 and "Gecikənsınaq" in r.content.decode()

    out_of_order(
        client, url="/en/victims/",
        change_a=lambda: services.victim_publish(victim=Victim.objects.get(pk=person.pk), user=editor),
        before=lambda r: not contains(r) or pytest.fail("published before its commit"),
        after=lambda r: contains(r) or pytest.fail("the published person is missing"),
    )  # fmt: skip


def test_an_event_withdrawn_late_leaves_the_timeline(client, page_cache, editor):
    event = EventFactory(title_en="Synthetic withdrawn-late event")

    def withdraw():
        Event.objects.filter(pk=event.pk).update(status=Status.WITHDRAWN)

    out_of_order(
        client, url="/en/events/",
        change_a=withdraw,
        before=lambda r: "withdrawn-late" in r.content.decode() or pytest.fail("event missing before"),
        after=lambda r: "withdrawn-late" not in r.content.decode() or pytest.fail("withdrawn event still listed"),
    )  # fmt: skip
    assert client.get(f"/en/events/{event.slug}/").status_code == 404


def test_a_citation_removed_late_leaves_the_person_page(client, page_cache):
    person = VictimFactory(family_name="Mənbəsinaq")
    CitationFactory(victim=person)
    removed = CitationFactory(victim=person, source=SourceFactory(title="Synthetic source removed late"))

    out_of_order(
        client, url=f"/en/victims/{person.slug}/",
        change_a=lambda: Citation.objects.filter(pk=removed.pk).delete(),
        before=lambda r: "removed late" in r.content.decode() or pytest.fail("citation missing before"),
        after=lambda r: "removed late" not in r.content.decode() or pytest.fail("removed citation still shown"),
    )  # fmt: skip


def test_a_photo_removed_late_leaves_the_person_page(client, page_cache):
    person = VictimFactory(family_name="Şəkilsinaq")
    CitationFactory(victim=person)
    sizes = {size: {"webp": f"photos/synthetic/{size}.webp", "jpeg": f"photos/synthetic/{size}.jpg",
                    "width": 160, "height": 200} for size in ("thumb", "card", "full")}  # fmt: skip
    photo = Photo.objects.create(victim=person, alt_text="Synthetic photo removed late", renditions=sizes)

    out_of_order(
        client, url=f"/en/victims/{person.slug}/",
        change_a=lambda: Photo.objects.filter(pk=photo.pk).delete(),
        before=lambda r: "removed late" in r.content.decode() or pytest.fail("photo missing before"),
        after=lambda r: "removed late" not in r.content.decode() or pytest.fail("removed photo still shown"),
    )  # fmt: skip


def test_an_import_that_commits_after_a_curators_save_appears(client, page_cache):
    source = SourceFactory(key="sinaq-gec-idxal")
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=VICTIM_IMPORT_HEADER)
    writer.writeheader()
    writer.writerow({
        "family_name": "İdxalsınaqov", "given_name": "Gecikən", "category": "killed", "status": "published",
        "death_date": "1990-01-20", "citations": f"{source.key}|p. 1|",
    })  # fmt: skip

    def run_import():
        result = registry_import(out.getvalue().encode(), file_name="late.csv", confirm_duplicates=True)
        assert result.written, result.problems

    out_of_order(
        client, url="/en/victims/",
        change_a=run_import,
        before=lambda r: "İdxalsınaqov" not in r.content.decode() or pytest.fail("imported before its commit"),
        after=lambda r: "İdxalsınaqov" in r.content.decode() or pytest.fail("the imported person is missing"),
    )  # fmt: skip
