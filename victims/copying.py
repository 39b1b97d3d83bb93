"""Many new rows and their history rows at once, through PostgreSQL's ``COPY`` (for
:func:`victims.services.victims_bulk_create`).

``bulk_create`` plus django-simple-history's ``bulk_history_create`` built a model instance for
every history row and an ``INSERT`` with some 50 parameters per row (about 60 % of an import of new
people). Here the primary keys come from the table's sequence first, the rows go in as one
``COPY`` text stream, and the history rows are copied from the new rows by one ``INSERT ...
SELECT`` in the database. The rows and history rows are the same as ``bulk_create_with_history``
writes (``tests/test_bulk_copy.py`` compares both on the same input); no signals are sent, as
``bulk_create`` sends none.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import uuid
from decimal import Decimal

from django.db import connection
from django.db.models import Model

BATCH = 5000  # rows per COPY stream (a few MB of text)

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    """A database value as COPY's text format writes it (``\\N`` for NULL)."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, int | float | Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    adapted = getattr(value, "adapted", None)  # psycopg2's Json wrapper of a JSONField value
    if adapted is not None:
        return json.dumps(adapted).translate(_ESCAPES)
    return str(value).translate(_ESCAPES)


def _reserve_ids(model: type[Model], count: int) -> list[int]:
    """``count`` fresh primary keys from the table's own sequence."""
    table, column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count]
        )
        return [row[0] for row in cursor.fetchall()]


# Fields whose Python value is what PostgreSQL stores (psycopg2 adapts them as they are): read
# straight from the instance. Any other field (dates stamped by auto_now, files, JSON, ...) goes
# through its own pre_save and get_db_prep_save, as bulk_create does.
_PLAIN = {"AutoField", "BigAutoField", "BigIntegerField", "BooleanField", "CharField", "DateField", "ForeignKey",
          "IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField", "SlugField", "SmallIntegerField",
          "TextField", "TimeField", "UUIDField"}  # fmt: skip


def _reader(field):
    """A function giving ``field``'s database value of an instance."""
    plain = (
        field.get_internal_type() in _PLAIN
        and not getattr(field, "auto_now", False)
        and not getattr(field, "auto_now_add", False)
    )
    if plain:
        attname = field.attname
        return lambda obj: getattr(obj, attname)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, add=True), connection)


def copy_insert(objs: list[Model], model: type[Model]) -> list[Model]:
    """Insert unsaved ``objs`` of ``model`` with ``COPY`` and give each its primary key, as
    ``bulk_create`` does (``auto_now``/``auto_now_add`` and defaults applied by the fields)."""
    if not objs:
        return objs
    quote = connection.ops.quote_name
    fields = list(model._meta.local_concrete_fields)
    readers = [_reader(field) for field in fields]
    columns = ", ".join(quote(field.column) for field in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    pk = model._meta.pk
    missing = [obj for obj in objs if obj.pk is None]
    for obj, new_id in zip(missing, _reserve_ids(model, len(missing)), strict=True):
        setattr(obj, pk.attname, new_id)
    with connection.cursor() as cursor:
        for start in range(0, len(objs), BATCH):
            buffer = io.StringIO()
            for obj in objs[start : start + BATCH]:
                obj._prepare_related_fields_for_save(operation_name="copy_insert")
                buffer.write("\t".join([_text(read(obj)) for read in readers]))
                buffer.write("\n")
            buffer.seek(0)
            # Through Django's query log when it is on (DEBUG, tests counting queries), like any query.
            logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else contextlib.nullcontext()
            with logged:
                cursor.cursor.copy_expert(sql, buffer)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def copy_history(objs: list[Model], model: type[Model], *, user, reason: str | None, when: datetime.datetime) -> None:
    """The "created" history rows (``+``) of the just inserted ``objs``: one ``INSERT ... SELECT``
    from the rows themselves, with ``user``, ``reason`` and ``when``, in the order of ``objs``."""
    if not objs:
        return
    history = model.history.model
    quote = connection.ops.quote_name
    tracked = {field.column for field in history.tracked_fields}
    columns = [field.column for field in model._meta.local_concrete_fields if field.column in tracked]
    listed = ", ".join(quote(column) for column in columns)
    # Table and column names come from the models, quoted; the values are parameters.
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    target = f"{quote(history._meta.db_table)} ({listed}, history_date, history_change_reason, history_type, history_user_id)"
    rows = f"SELECT {listed}, %s, %s, '+', %s FROM {table} WHERE {pk} = ANY(%s) ORDER BY {pk}"  # noqa: S608
    sql = f"INSERT INTO {target} {rows}"
    with connection.cursor() as cursor:
        cursor.execute(sql, [when, reason, getattr(user, "pk", None), [obj.pk for obj in objs]])
