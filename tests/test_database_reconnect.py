"""A persistent connection cut between two requests (a database restart, ``pg_terminate_backend``,
a pooler) is replaced before the next request is answered (``CONN_HEALTH_CHECKS``), and nothing is
written twice: what any cheaper way of checking the connection must keep (bench/README.md,
"Database round trips").

Each test cuts the test's own connection from a second one with ``pg_terminate_backend``, as a
database restart or a pooler does, and runs requests through Django's WSGI handler with the
signals gunicorn's workers send (``close_old_connections`` at the start and end of a request).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth.models import Group
from django.core.handlers.wsgi import WSGIHandler
from django.db import InterfaceError, OperationalError, close_old_connections, connections, transaction
from django.test import RequestFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database():
    """The test's connection (persistent, checked as deployed) and a second one that cuts it."""
    connection = connections["default"]
    assert connection.settings_dict["CONN_MAX_AGE"]
    other = connections.create_connection("default")
    yield connection, other
    other.close()
    if connection.connection is not None and not connection.is_usable():  # a test failed with it cut
        connection.close()


def backend_pid(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(other, pid: int) -> None:
    """Cut the session ``pid`` and wait until it is gone, as after a database restart."""
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        for _ in range(500):
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if not cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError(f"backend {pid} still running")


def serve(path: str) -> tuple[str, bytes]:
    """A request as a gunicorn worker handles it (the start and end signals close old connections)."""
    environ = RequestFactory().generic("GET", path, HTTP_ACCEPT_LANGUAGE="en").environ
    started = {}
    body = WSGIHandler()(environ, lambda status, headers, exc_info=None: started.update(status=status))
    try:
        content = b"".join(body)
    finally:
        body.close()
    return started["status"], content


class CutWhileWaiting(threading.Thread):
    """Holds a lock on ``auth_group`` so that the next statement on it waits, then cuts the session
    ``pid`` while that statement is running (it has reached the server), then lets go of the lock."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.cut = pid, False
        self.locked = threading.Event()

    def run(self):
        # Connections of this thread's own: one holds the lock in its transaction, one watches.
        locker, watcher = connections.create_connection("default"), connections.create_connection("default")
        locker.set_autocommit(False)
        try:
            with locker.cursor() as cursor:
                cursor.execute("LOCK TABLE auth_group IN ACCESS EXCLUSIVE MODE")
            self.locked.set()
            for _ in range(1000):
                with watcher.cursor() as cursor:
                    cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [self.pid])
                    row = cursor.fetchone()
                if row and row[0] == "Lock":
                    terminate(watcher, self.pid)
                    self.cut = True
                    break
                time.sleep(0.01)
        finally:
            locker.rollback()
            locker.close()
            watcher.close()


def test_a_request_after_the_connection_was_cut_is_answered(database):
    connection, other = database
    assert serve("/en/statistics/")[0] == "200 OK"
    for _ in range(3):
        old = backend_pid(connection)
        terminate(other, old)
        status, body = serve("/en/statistics/")
        assert status == "200 OK" and b"<svg" in body
        assert backend_pid(connection) != old


def test_a_first_write_whose_connection_is_cut_while_it_runs_is_not_sent_again(database):
    connection, _other = database
    pid = backend_pid(connection)
    close_old_connections()
    cutter = CutWhileWaiting(pid)
    cutter.start()
    cutter.locked.wait(10)
    with pytest.raises((OperationalError, InterfaceError)):
        Group.objects.create(name="Testova writers")
    cutter.join(10)
    assert cutter.cut
    close_old_connections()
    assert not Group.objects.filter(name="Testova writers").exists()


def test_a_first_write_after_a_cut_is_checked_first_and_written_once(database):
    connection, other = database
    terminate(other, backend_pid(connection))
    close_old_connections()
    Group.objects.create(name="Testova once")
    assert Group.objects.filter(name="Testova once").count() == 1


def test_a_write_inside_a_transaction_is_never_replayed(database):
    connection, other = database
    close_old_connections()
    with pytest.raises((OperationalError, InterfaceError)), transaction.atomic():
        Group.objects.create(name="Testova first")
        terminate(other, backend_pid(connection))
        Group.objects.create(name="Testova second")
    close_old_connections()  # the next request
    assert not Group.objects.filter(name__startswith="Testova").exists()
    assert serve("/en/about/")[0] == "200 OK"


@pytest.mark.parametrize("first_use", ["transaction", "cursor opened before the transaction", "server-side cursor"])
def test_a_request_that_starts_with_a_transaction_or_a_named_cursor_gets_a_working_connection(database, first_use):
    connection, other = database
    Group.objects.create(name="Testova")
    terminate(other, backend_pid(connection))
    close_old_connections()
    if first_use == "transaction":
        with transaction.atomic():
            assert Group.objects.count() == 1
    elif first_use == "cursor opened before the transaction":
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute("UPDATE auth_group SET name = 'Testova two'")
        assert Group.objects.get().name == "Testova two"
    else:
        assert [group.name for group in Group.objects.iterator(chunk_size=10)] == ["Testova"]
