"""What the home page shows, read as plain data in one SQL statement: the current statement, the
figures the sources report (with their sources) and the newest people's name cards.

Through the ORM these were four queries (the statement, the figures with their sources, the
people, their primary photos) whose compiling and model building cost more than PostgreSQL's
work; see victims.pagedata, whose rows and name cards this module reuses. tests/test_pagedata.py
compares the page with the ORM's reading of the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connections, router

from memorial.models import Statement
from victims.models import ReportedFigure, Source, Status
from victims.pagedata import (
    LANGUAGES,
    Row,
    RowList,
    SourceRow,
    card_rows,
    json_array,
    json_date,
    localized,
    newest_people_sql,
    rows_of,
)

STATEMENT_COLUMNS = ("written_date", "written_precision", "original_language",
                     *localized("title", "subtitle", "body", "translated_on"))  # fmt: skip
FIGURE_COLUMNS = ("measure", "original_language", *localized("value_text", "attribution", "note", "translated_on"))


class StatementRow(Row):
    """The current statement as the home page shows it."""


class FigureRow(Row):
    """A reported figure as the home page shows it."""


@dataclass(frozen=True)
class HomeData:
    statement: StatementRow | None
    figures: list[FigureRow]
    newest_people: RowList


def _translated_on_dates(row: Row) -> None:
    for code in LANGUAGES:
        setattr(row, f"translated_on_{code}", json_date(getattr(row, f"translated_on_{code}")))


@cache
def home_sql(newest: int) -> str:
    """The home page's one statement (written once per process per ``newest``)."""
    figure = "json_build_array(" + ", ".join([*(f"f.{c}" for c in FIGURE_COLUMNS), "s.key"]) + ")"
    return f"""SELECT
  (SELECT {json_array("st", STATEMENT_COLUMNS)} FROM {Statement._meta.db_table} st WHERE st.is_current LIMIT 1),
  (SELECT json_agg({figure} ORDER BY f.measure, f."order", f.id)
     FROM {ReportedFigure._meta.db_table} f LEFT JOIN {Source._meta.db_table} s ON s.id = f.source_id),
  {newest_people_sql(newest)}"""  # noqa: S608 - names from the models; the values are parameters


def _statement(values: list | None) -> StatementRow | None:
    if values is None:
        return None
    statement = StatementRow(**dict(zip(STATEMENT_COLUMNS, values, strict=True)))
    statement.written_date = json_date(statement.written_date)
    _translated_on_dates(statement)
    return statement


def _figure(values: list) -> FigureRow:
    figure = FigureRow(**dict(zip(FIGURE_COLUMNS, values[:-1], strict=True)))
    _translated_on_dates(figure)
    figure.source = SourceRow(key=values[-1]) if values[-1] is not None else None
    return figure


def home_data(newest: int) -> HomeData:
    """The current statement, every reported figure (by measure and order) and the ``newest``
    people published last, with their primary photos."""
    with connections[router.db_for_read(ReportedFigure)].cursor() as cursor:
        cursor.execute(home_sql(newest), [Status.PUBLISHED])
        statement, figures, people = cursor.fetchone()
    return HomeData(statement=_statement(statement), figures=list(rows_of(figures, _figure)),
                    newest_people=card_rows(people))  # fmt: skip
