"""Writes to the registry that touch more than one row."""

from __future__ import annotations

from django.db import transaction

from victims.models import Victim
from victims.normalize import initial_letter, search_document


def victim_search_names(victim: Victim) -> list[str]:
    """Every form of a person's name that search should find."""
    names = [
        victim.display_name,
        f"{victim.family_name} {victim.given_name} {victim.patronymic}",
        f"{victim.given_name} {victim.family_name}",
    ]
    names.extend(variant.name for variant in victim.variants.all())
    return names


@transaction.atomic
def victim_refresh_search(*, victim: Victim) -> None:
    """Recompute the stored search document and alphabet initial from the names and variants."""
    victim.search_document = search_document(victim_search_names(victim))
    victim.initial = initial_letter(victim.family_name or victim.given_name)
    Victim.objects.filter(pk=victim.pk).update(search_document=victim.search_document, initial=victim.initial)
