"""Writing an import's checked rows, through the registry's write path (:mod:`victims.services`):
new people in bulk, edited people one by one with their variants, citations and event links."""

from __future__ import annotations

from simple_history.utils import bulk_create_with_history

from victims.exchange.columns import CITATIONS, VARIANTS
from victims.exchange.importing.matching import Change, EventVictims
from victims.exchange.importing.parsing import ParsedRow
from victims.models import Citation, Event, NameVariant, Victim
from victims.services import record_claim_version, record_save, victim_refresh_search, victims_bulk_create


def write_creates(
    creates: list[tuple[ParsedRow, Victim]], *, sources: dict[str, int], events: dict[str, int], user, reason: str,
    when,
) -> dict[int, int]:  # fmt: skip
    """Create the people of ``creates`` with their variants, citations and event links; returns the
    row each new person came from (pk → row number)."""
    if not creates:
        return {}
    victims = [victim for _p, victim in creates]
    victims_bulk_create(
        victims=victims,
        variants=[
            [NameVariant(name=name, script=script, kind=kind) for name, script, kind in parsed.variants or []]
            for parsed, _v in creates
        ],
        citations=[
            [Citation(source_id=sources[key], locator=locator, supports=supports)
             for key, locator, supports in parsed.citations or []]
            for parsed, _v in creates
        ],  # fmt: skip
        user=user,
        reason=reason,
        when=when,
    )
    links = [
        EventVictims(event_id=events[event], victim_id=victim.pk)
        for parsed, victim in creates
        for event in dict.fromkeys(parsed.events or [])
    ]
    EventVictims.objects.bulk_create(links)
    return {victim.pk: parsed.raw.number for parsed, victim in creates}


def write_updates(
    updates: list[tuple[ParsedRow, Victim, Change]], *, sources: dict[str, int], events: dict[str, int], user,
    reason: str,
) -> None:  # fmt: skip
    for parsed, victim, change in updates:
        # Variants and citations first: the person's save derives its search document from the
        # variants and checks a publication against the citations.
        if change.variants:
            for variant in victim.variants.all():
                variant._change_reason = reason
                variant._history_user = user
                variant.delete()
            bulk_create_with_history(
                [NameVariant(victim=victim, name=n, script=s, kind=k) for n, s, k in parsed.variants],
                NameVariant, default_user=user, default_change_reason=reason,
            )  # fmt: skip
        if change.citations:
            for citation in victim.citations.all():
                citation._change_reason = reason
                citation._history_user = user
                citation.delete()
            bulk_create_with_history(
                [Citation(victim=victim, source_id=sources[key], locator=loc, supports=sup)
                 for key, loc, sup in parsed.citations],
                Citation, default_user=user, default_change_reason=reason,
            )  # fmt: skip
        if change.events:
            # From the event's side: its history tracks the links, and django-simple-history
            # cannot record an add made from the person's side (TypeError on HistoricalVictim).
            for event in Event.objects.filter(pk__in={events[e] for e in parsed.events}):
                event._change_reason = reason
                if user:
                    event._history_user = user
                event.victims.add(victim)
        if any(column not in (VARIANTS, CITATIONS, "events") for column in change.columns):
            record_save(record=victim, user=user, reason=reason)
        else:
            record_claim_version(record=victim, loaded_version=None)
            if change.variants:
                victim_refresh_search(victim=victim)
