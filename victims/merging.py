"""Merging two records of one person: what moves, which values win, and where old addresses go.

The kept record takes the merged record's name variants (and its name as one more variant),
citations, photos and events; a field the kept record leaves empty takes the merged record's
value, and a field both fill is a *conflict*, decided by ``choices`` (the kept value unless told
otherwise). The merged record is never deleted: it takes the status ``merged`` and points to the
kept one, and its addresses (its slug and every former slug) redirect there (victims.views).

Rows of other apps that name a person (contributions, candles) move through *movers* those apps
register (:func:`register_mover`): the registry never imports them. Each mover describes what it
would move for the plan (the command's ``--dry-run``, the admin's preview) and moves it inside the
merge's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from victims import duplicates, services
from victims.models import Gender, NameVariant, Script, Status, VariantKind, Victim, VictimSlug

# The person's own facts, in the order the merge preview shows them. Dates travel with their
# precision (and the date of death with its time): one choice each.
MERGE_FIELDS: dict[str, tuple[str, ...]] = {
    "family_name": ("family_name",),
    "given_name": ("given_name",),
    "patronymic": ("patronymic",),
    "display_name": ("display_name",),
    "gender": ("gender",),
    "birth_date": ("birth_date", "birth_precision"),
    "death_date": ("death_date", "death_precision", "death_time"),
    "age_recorded": ("age_recorded",),
    "place_of_birth": ("place_of_birth",),
    "place_of_death": ("place_of_death",),
    "burial_place": ("burial_place",),
    "category": ("category",),
    "nationality": ("nationality",),
    **{f"{name}_{lang}": (f"{name}_{lang}",) for name in ("occupation", "circumstances", "biography")
       for lang in ("az", "en", "ru")},
}  # fmt: skip

# Values that say nothing: a field holding one of these is filled from the other record.
EMPTY_VALUES = (None, "", Gender.UNKNOWN)

_cyrillic = re.compile(r"[\u0400-\u04ff]")


@dataclass(frozen=True)
class Mover:
    """Rows of another app that follow a person into the kept record.

    ``describe(keep, merged)`` says what would move, as short lines for the plan (an empty list when
    nothing would); ``move(keep, merged, user)`` moves it, inside the merge's transaction, after
    the registry's own rows moved and before the merged record takes its status."""

    name: str
    describe: Callable[[Victim, Victim], list[str]]
    move: Callable[[Victim, Victim, object], None]


_movers: dict[str, Mover] = {}


def register_mover(mover: Mover) -> None:
    """Add (or replace, by name: an app's ``ready()`` may run twice) a mover called by every merge."""
    _movers[mover.name] = mover


def registered_movers() -> list[Mover]:
    return list(_movers.values())


@dataclass
class MergePlan:
    """What merging ``merged`` into ``keep`` would do (nothing is written to make it)."""

    keep: Victim
    merged: Victim
    variants: list[str] = field(default_factory=list)  # spellings that move or are added
    citations: int = 0
    photos: int = 0
    events: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)  # fields empty on the kept record, taken from the merged one
    conflicts: list[str] = field(default_factory=list)  # fields both fill differently
    redirected: list[str] = field(default_factory=list)  # slugs that will redirect to the kept record
    elsewhere: list[str] = field(default_factory=list)  # what the registered movers of other apps move

    def lines(self) -> list[str]:
        def label(name: str) -> str:
            return str(Victim._meta.get_field(name).verbose_name)

        return [
            _("Keep: %(name)s (%(slug)s)") % {"name": self.keep, "slug": self.keep.slug},
            _("Merge: %(name)s (%(slug)s)") % {"name": self.merged, "slug": self.merged.slug},
            _("Name variants: %(list)s") % {"list": "; ".join(self.variants) or "—"},
            _("Citations: %(n)d") % {"n": self.citations},
            _("Photos: %(n)d") % {"n": self.photos},
            _("Events: %(list)s") % {"list": "; ".join(self.events) or "—"},
            _("Filled from the merged record: %(list)s") % {"list": ", ".join(map(label, self.filled)) or "—"},
            _("Conflicts: %(list)s") % {"list": ", ".join(map(label, self.conflicts)) or "—"},
            _("Addresses redirected: %(list)s") % {"list": ", ".join(self.redirected)},
            *self.elsewhere,
        ]


def _values(victim: Victim, name: str) -> tuple:
    return tuple(getattr(victim, f"{column}_id" if column.startswith(("place_", "burial")) else column)
                 for column in MERGE_FIELDS[name])  # fmt: skip


def _is_empty(values: tuple) -> bool:
    return values[0] in EMPTY_VALUES


def victim_merge_check(*, keep: Victim, merged: Victim) -> None:
    """ValidationError unless ``merged`` can be merged into ``keep``."""
    if keep.pk == merged.pk:
        raise ValidationError(_("A record cannot be merged into itself."), code="same_record")
    for victim in (keep, merged):
        if victim.status == Status.MERGED:
            raise ValidationError(
                _("%(name)s (%(slug)s) is already merged into another record.") % {"name": victim, "slug": victim.slug},
                code="already_merged",
            )


def victim_merge_plan(*, keep: Victim, merged: Victim) -> MergePlan:
    """What a merge would move and which fields conflict; reads only."""
    victim_merge_check(keep=keep, merged=merged)
    plan = MergePlan(keep=keep, merged=merged)
    kept_names = set(keep.variants.values_list("name", flat=True))
    plan.variants = [name for name in merged.variants.values_list("name", flat=True) if name not in kept_names]
    own_name = str(merged)
    if own_name not in kept_names and own_name not in plan.variants and own_name != str(keep):
        plan.variants.append(own_name)
    plan.citations = merged.citations.count()
    plan.photos = merged.photos.count()
    kept_events = set(keep.events.values_list("pk", flat=True))
    plan.events = [event.title for event in merged.events.order_by("start_date") if event.pk not in kept_events]
    for name in MERGE_FIELDS:
        kept, other = _values(keep, name), _values(merged, name)
        if _is_empty(other) or kept == other:
            continue
        (plan.filled if _is_empty(kept) else plan.conflicts).append(name)
    plan.redirected = [merged.slug, *merged.old_slugs.values_list("slug", flat=True)]
    for mover in registered_movers():
        plan.elsewhere.extend(mover.describe(keep, merged))
    return plan


@transaction.atomic
def victim_merge(*, keep: Victim, merged: Victim, user=None, choices: dict[str, str] | None = None) -> MergePlan:
    """Merge ``merged`` into ``keep`` in one transaction and return what was done.

    ``choices`` maps a conflicting field of MERGE_FIELDS to ``"keep"`` or ``"merged"`` (missing:
    the kept record's value wins). ``user`` must be allowed to publish (an Editor); ``None`` is the
    command line. Both records get a history entry naming the other.
    """
    if user is not None and not (user.is_active and user.has_perm(services.PUBLISH)):
        raise PermissionDenied(_("Only Editors merge records."))
    locked = {v.pk: v for v in Victim.objects.select_for_update().filter(pk__in=[keep.pk, merged.pk])}
    keep, merged = locked[keep.pk], locked[merged.pk]
    plan = victim_merge_plan(keep=keep, merged=merged)
    choices = choices or {}
    unknown = set(choices) - set(MERGE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %(list)s") % {"list": ", ".join(sorted(unknown))}, code="unknown")

    for name in plan.filled + [name for name in plan.conflicts if choices.get(name) == "merged"]:
        for column in MERGE_FIELDS[name]:
            setattr(keep, column, getattr(merged, column))
    names_chosen = any(choices.get(name) == "merged" for name in ("family_name", "given_name", "patronymic"))
    if names_chosen and choices.get("display_name") != "merged":
        keep.display_name = ""  # composed again from the chosen names by clean()

    kept_names = set(keep.variants.values_list("name", flat=True))
    merged.variants.exclude(name__in=kept_names).update(victim=keep)
    own_name = str(merged)
    if own_name in plan.variants and not keep.variants.filter(name=own_name).exists():
        NameVariant.objects.create(
            victim=keep, name=own_name, kind=VariantKind.TRANSLITERATION,
            script=Script.CYRILLIC if _cyrillic.search(own_name) else Script.LATIN,
        )  # fmt: skip
    merged.citations.update(victim=keep)
    if keep.photos.filter(is_primary=True).exists():
        merged.photos.filter(is_primary=True).update(is_primary=False)
    merged.photos.update(victim=keep)
    for event in merged.events.all():
        event.victims.remove(merged)
        event.victims.add(keep)
    # A record merged into ``merged`` earlier now redirects straight to ``keep``.
    Victim.objects.filter(merged_into=merged).update(merged_into=keep)
    for mover in registered_movers():
        mover.move(keep, merged, user)

    keep.full_clean()
    keep.updated_by = user
    keep.version += 1
    keep._history_user = user
    keep._change_reason = f"merged {merged.slug} ({merged.uuid}) into this record"
    keep.save()
    services.victim_refresh_search(victim=keep)

    merged.status = Status.MERGED
    merged.merged_into = keep
    merged.updated_by = user
    merged.version += 1
    merged._history_user = user
    merged._change_reason = f"merged into {keep.slug} ({keep.uuid})"
    merged.save()
    services.victim_refresh_search(victim=merged)
    # The merged record is never proposed again; the kept one, with all it took, is rescored.
    duplicates.duplicates_forget_person(victim_id=merged.pk)
    duplicates.duplicates_rescore_on_commit(keep.pk)
    return plan


_REDIRECT_FIELDS = ("pk", "slug", "status", "merged_into")


def moved_to(*, slug: str | None = None, uuid=None) -> Victim | None:
    """Where an address (a slug, or a UUID) that names no published person now answers: a merged
    record's kept record, a former slug's person; ``None`` for a 404. The person pages and the API
    both answer with it."""
    found = {"uuid": uuid} if uuid is not None else {"slug": slug}
    victim = Victim.objects.only(*_REDIRECT_FIELDS).filter(**found).first()
    if victim is None and slug is not None:
        former = VictimSlug.objects.filter(slug=slug).values_list("victim_id", flat=True).first()
        if former is None:
            return None
        victim = Victim.objects.only(*_REDIRECT_FIELDS).get(pk=former)
    return victim_redirect_target(victim) if victim is not None else None


def victim_redirect_target(victim: Victim) -> Victim | None:
    """The record whose page answers for ``victim``'s addresses: itself when published, the kept
    record when merged (following earlier merges); ``None`` when nothing public answers."""
    seen = set()
    while victim.status == Status.MERGED and victim.merged_into_id and victim.pk not in seen:
        seen.add(victim.pk)
        victim = Victim.objects.only(*_REDIRECT_FIELDS).get(pk=victim.merged_into_id)
    return victim if victim.status == Status.PUBLISHED else None
