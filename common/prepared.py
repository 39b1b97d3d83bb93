"""Server-side prepared statements for a statement many uncached public pages run.

PostgreSQL plans a statement each time it receives it. The person page's one statement
(victims.pagedata) takes about 0.45 ms to plan and 0.2 ms to run at 100,000 people. Prepared
once per database connection (``PREPARE``) and run with ``EXECUTE``, a statement is planned
again only while PostgreSQL still tries custom plans (its first five runs), then never:
connections persist (``CONN_MAX_AGE``), so that is once per worker and minute, not once per page.
The person page's PostgreSQL CPU fell from 0.73 to 0.25 ms (bench/README.md). The home page's
statement gained nothing measurable this way and is sent as it is.

- The statement is prepared in the same round trip as its first ``EXECUTE`` (``PREPARE …;
  EXECUTE …``), so a page sends as many statements on a fresh connection as on an old one.
- Which statements a connection holds is forgotten whenever Django opens a new connection
  (``connection_created``).
- A statement the server no longer knows (a pooler that reset the session, ``DEALLOCATE``) or
  whose old plan a schema change broke (after a migration: "cached plan must not change result
  type", or a column's new type) is prepared again and run once more, but only outside a transaction:
  inside one the failed statement has aborted it, so the error stands (and the next use prepares
  again). The statements are reads, so running one again changes nothing.
- A statement prepared by a round trip whose ``EXECUTE`` failed stays prepared (a rollback does not
  undo ``PREPARE``): the next use finds it and runs it.
- A statement's name carries a digest of its text: another text under the same label (other
  languages configured, a new release) is another statement.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import cache

from django.db import DatabaseError
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from psycopg2 import errors

_PLACEHOLDER = re.compile(r"%%|%s")
_HELD = "_memorial_prepared"  # the names prepared on the wrapper's current connection
# SQLSTATE classes of a statement the server lost (26: invalid statement name), or that a schema
# change made fail (0A: "cached plan must not change result type"; 42: a column, table, function
# or operator the old plan names no longer fits). Prepared afresh, a statement that really is
# wrong fails again, with its own error.
_STALE_CLASSES = ("26", "0A", "42")


def _stale(error: DatabaseError) -> bool:
    code = getattr(error.__cause__, "pgcode", None) or ""
    return code[:2] in _STALE_CLASSES


@cache
def _statement(label: str, sql: str) -> tuple[str, str, int]:
    """The statement's name, its text with numbered parameters ($1, $2, …) and their number."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%%"  # the combined text still goes through the driver's formatting
        count += 1
        return f"${count}"

    text = _PLACEHOLDER.sub(number, sql)
    if not label.isidentifier():
        raise ValueError(f"a statement's label is an identifier: {label!r}")
    digest = hashlib.blake2b(sql.encode(), digest_size=6).hexdigest()
    return f"memorial_{label}_{digest}", text, count


@receiver(connection_created, dispatch_uid="common.prepared.forget")
def _forget(sender, connection, **kwargs) -> None:
    connection.__dict__[_HELD] = set()


def execute(connection, cursor, label: str, sql: str, params: Sequence) -> None:
    """Run ``sql`` (with ``%s`` placeholders, as for ``cursor.execute``) with ``params`` on
    ``cursor`` of ``connection`` (a Django database wrapper) as a prepared statement."""
    name, text, count = _statement(label, sql)
    if count != len(params):
        raise ValueError(f"{label}: {count} placeholders, {len(params)} values")
    run = f"EXECUTE {name} ({', '.join(['%s'] * count)})" if count else f"EXECUTE {name}"
    held: set[str] = connection.__dict__.setdefault(_HELD, set())
    if name in held:
        try:
            cursor.execute(run, params)
            return
        except DatabaseError as error:
            if not _stale(error):
                raise
            held.clear()
            if connection.in_atomic_block:
                raise
            cursor.execute("DEALLOCATE ALL")
    try:
        cursor.execute(f"PREPARE {name} AS {text}; {run}", params)
    except DatabaseError as error:
        # Prepared before its first run failed (statements are not undone by a rollback).
        if not isinstance(error.__cause__, errors.DuplicatePreparedStatement):
            raise
        held.add(name)
        if connection.in_atomic_block:
            raise
        cursor.execute(run, params)
    held.add(name)
