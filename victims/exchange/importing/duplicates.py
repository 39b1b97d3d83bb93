"""The duplicate gate: people about to be created who resemble someone already in the registry, or
an earlier row of the same file, by the name's search key, the date of death and the place of
death. The import holds such rows back until a curator confirms them."""

from __future__ import annotations

import datetime

from django.db import connection

from common.partialdates import Precision, iso_partial_date
from victims.exchange.importing.results import Candidate
from victims.models import Place, Victim
from victims.normalize import search_key

MAX_CANDIDATES = 5  # likely duplicates shown per row

# Word similarity of the name's key against every stored name form (served by the GIN trigram
# index), kept to people whose date of death could be the same or who died in the same place; at
# most MAX_CANDIDATES per row. One statement for a whole chunk (a LATERAL join over the chunk's
# keys), which the ORM cannot express; table and column names come from the models. The outer
# ORDER BY keeps each row's candidates nearest first: the join with the places does not keep the
# order of the LATERAL (a hash join gave them in the places' order, people without a place last).
LIKELY_DUPLICATES_SQL = """
    SELECT k.idx, v.id, v.uuid, v.display_name, v.death_date, v.death_precision, p.slug, v.sim
    FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::date[], %s::bigint[]) AS k(idx, key, lo, hi, place)
    CROSS JOIN LATERAL (
        SELECT c.{id} AS id, c.{uuid} AS uuid, c.{display_name} AS display_name, c.{death_date} AS death_date,
               c.{death_precision} AS death_precision, c.{place_of_death} AS place_of_death,
               word_similarity(k.key, c.{search_document}) AS sim
        FROM {victim} c
        WHERE c.{search_document} %%> k.key
          AND (k.lo IS NULL OR c.{death_date} IS NULL
               OR (c.{death_date} <= k.hi AND c.{death_date} + CASE c.{death_precision}
                   WHEN '{year}' THEN 364 WHEN '{month}' THEN 30 ELSE 0 END >= k.lo)
               OR (k.place IS NOT NULL AND c.{place_of_death} = k.place))
        ORDER BY sim DESC, c.{id}
        LIMIT %s
    ) v
    LEFT JOIN {place} p ON p.{place_id} = v.place_of_death
    ORDER BY k.idx, v.sim DESC, v.id
"""


def _likely_duplicates_sql() -> str:
    quote = connection.ops.quote_name

    def column(model, name: str) -> str:
        return quote(model._meta.get_field(name).column)

    names = {
        name: column(Victim, name)
        for name in ("id", "uuid", "display_name", "death_date", "death_precision", "place_of_death", "search_document")
    }
    return LIKELY_DUPLICATES_SQL.format(
        **names, victim=quote(Victim._meta.db_table), place=quote(Place._meta.db_table),
        place_id=column(Place, "id"), year=Precision.YEAR, month=Precision.MONTH,
    )  # fmt: skip


def lookup_arguments(victims: list[Victim]) -> list[list]:
    """The look-up's five arrays for ``victims``: each person's position, name key, the window of
    their date of death (earliest, latest) and place of death; people without a name key are left out."""
    ids, keys, lows, highs, places = [], [], [], [], []
    for index, victim in enumerate(victims):
        key = search_key(f"{victim.family_name} {victim.given_name}")
        if not key:
            continue
        low = high = None
        if victim.death_date:
            low, high = victim.death_date - datetime.timedelta(days=2), victim.death_date + datetime.timedelta(days=2)
            if victim.death_precision == Precision.MONTH:
                high = (victim.death_date + datetime.timedelta(days=32)).replace(day=1)
            elif victim.death_precision == Precision.YEAR:
                high = victim.death_date.replace(month=12, day=31)
        ids.append(index)
        keys.append(key)
        lows.append(low)
        highs.append(high)
        places.append(victim.place_of_death_id)
    return [ids, keys, lows, highs, places]


def registry_duplicates(victims: list[Victim], *, created_rows: dict[int, int]) -> dict[int, list[Candidate]]:
    """Likely duplicates in the registry of each person in ``victims`` (by position). People this
    import created from earlier rows are named by their row (``created_rows``: pk → row)."""
    arguments = lookup_arguments(victims)
    if not arguments[1]:
        return {}
    found: dict[int, list[Candidate]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_likely_duplicates_sql(), [*arguments, MAX_CANDIDATES])
        for idx, pk, uuid, name, death, precision, place, sim in cursor.fetchall():
            file_row = created_rows.get(pk)
            found.setdefault(idx, []).append(Candidate(
                uuid=str(uuid), name=name, death_date=iso_partial_date(death, precision), place_of_death=place or "",
                similarity=round(sim, 2), file_row=file_row, pk=None if file_row else pk,
            ))  # fmt: skip
    return found


def file_duplicates(
    rows: list[tuple[int, Victim]], *, place_slugs: dict[int, str]
) -> dict[int, list[Candidate]]:
    """Likely duplicates among the rows themselves (not yet in the database): for each row (by
    position), the earlier rows with the same name's key who could be the same person."""
    earlier: dict[str, list[tuple[int, Victim]]] = {}
    found: dict[int, list[Candidate]] = {}
    for index, (number, victim) in enumerate(rows):
        key = search_key(f"{victim.family_name} {victim.given_name}")
        same = [(row, other) for row, other in earlier.get(key, []) if same_time_or_place(victim, other)]
        if same:
            found[index] = [
                Candidate(uuid=str(other.uuid), name=str(other), similarity=1.0, file_row=row,
                          death_date=iso_partial_date(other.death_date, other.death_precision),
                          place_of_death=place_slugs.get(other.place_of_death_id, ""))
                for row, other in same[:MAX_CANDIDATES]
            ]  # fmt: skip
        earlier.setdefault(key, []).append((number, victim))
    return found


def same_time_or_place(one: Victim, other: Victim) -> bool:
    """Whether two people of the same name could be one: a date of death unknown or close, or the same place."""
    if one.place_of_death_id and one.place_of_death_id == other.place_of_death_id:
        return True
    if not one.death_date or not other.death_date:
        return True
    if (
        Precision.DAY not in (one.death_precision, other.death_precision)
        or one.death_precision != other.death_precision
    ):
        return one.death_date.year == other.death_date.year
    return abs((one.death_date - other.death_date).days) <= 2
