"""The person page's statement is prepared once per database connection (common.prepared):
planned by PostgreSQL once, not on every page; and a statement the server lost or invalidated is
prepared again instead of failing the page."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from common import prepared
from tests.factories import VictimFactory

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a deployed request runs


@pytest.fixture
def person_url(settings):
    settings.PAGE_CACHE_ENABLED = False
    connection.close()  # a fresh connection, as a new worker has
    return VictimFactory(display_name="Nigar Testova").get_absolute_url()


def statements(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert "Nigar Testova" in response.content.decode()
    return [q["sql"].split()[0] + " " + q["sql"].split()[1] for q in queries if "memorial_person_page" in q["sql"]]


def held() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_the_person_statement_is_prepared_once_per_connection(client, person_url):
    first = statements(client, person_url)
    assert len(first) == 1 and first[0].startswith("PREPARE memorial_person_page_")
    assert statements(client, person_url) == [first[0].replace("PREPARE", "EXECUTE")]
    assert any(name.startswith("memorial_person_page_") for name in held())


def test_a_new_connection_prepares_again(client, person_url):
    statements(client, person_url)
    connection.close()
    assert statements(client, person_url)[0].startswith("PREPARE memorial_person_page_")  # no failed EXECUTE first


def test_statements_lost_by_the_server_are_prepared_again(client, person_url):
    """A pooler resetting the session (``DISCARD ALL``, ``DEALLOCATE ALL``) loses them."""
    statements(client, person_url)
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    again = statements(client, person_url)
    assert [s.split()[0] for s in again] == ["EXECUTE", "PREPARE"]  # the EXECUTE failed, the page did not


@pytest.mark.parametrize(
    ("change", "value", "expected"),
    [("TYPE text", "Testova", "Testova"),  # "cached plan must not change result type"
     ("TYPE integer USING 7", "7", 7)],  # the old plan compares an integer with a text
)  # fmt: skip
def test_a_schema_change_is_survived(change, value, expected):
    """After a migration an old plan may no longer fit the tables."""
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE synthetic_prepared (x varchar(10))")
        cursor.execute("INSERT INTO synthetic_prepared VALUES ('Testova')")
        sql = "SELECT x FROM synthetic_prepared WHERE x = %s"
        prepared.execute(connection, cursor, "synthetic", sql, ["Testova"])
        assert cursor.fetchall() == [("Testova",)]
        cursor.execute(f"ALTER TABLE synthetic_prepared ALTER COLUMN x {change}")
        prepared.execute(connection, cursor, "synthetic", sql, [value])
        assert cursor.fetchall() == [(expected,)]


def test_a_statement_that_is_wrong_fails_with_its_own_error():
    connection.close()
    with connection.cursor() as cursor:
        with pytest.raises(DatabaseError, match="synthetic_missing"):
            prepared.execute(connection, cursor, "synthetic", "SELECT * FROM synthetic_missing WHERE 1 = %s", [1])
        with pytest.raises(DatabaseError, match="synthetic_missing"):
            prepared.execute(connection, cursor, "synthetic", "SELECT * FROM synthetic_missing WHERE 1 = %s", [1])


def test_inside_a_transaction_the_error_stands_and_the_next_use_prepares_again():
    connection.close()
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, "synthetic", "SELECT %s::text", ["Testova"])
    with pytest.raises(DatabaseError, match="does not exist"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
        prepared.execute(connection, cursor, "synthetic", "SELECT %s::text", ["Testova"])
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, "synthetic", "SELECT %s::text", ["Testova"])
        assert cursor.fetchall() == [("Testova",)]


def test_a_statement_prepared_by_a_failed_round_trip_is_run():
    """``PREPARE x …; EXECUTE x …`` whose EXECUTE fails leaves x prepared (a rollback keeps it)."""
    connection.close()
    sql = "SELECT 10 / %s"
    with pytest.raises(Exception, match="division by zero"), connection.cursor() as cursor:
        prepared.execute(connection, cursor, "synthetic", sql, [0])
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, "synthetic", sql, [5])
        assert cursor.fetchall() == [(2,)]


def test_percent_signs_and_placeholders():
    with connection.cursor() as cursor:
        prepared.execute(connection, cursor, "synthetic", "SELECT 'a%%b' LIKE %s, %s::int + 1", ["a%", 2])
        assert cursor.fetchall() == [(True, 3)]
        with pytest.raises(ValueError, match="2 placeholders, 1 values"):
            prepared.execute(connection, cursor, "synthetic", "SELECT %s, %s", [1])
