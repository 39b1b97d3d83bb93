"""Contributions and candles follow a person merged into another (victims.merging calls this
mover inside the merge's transaction, and asks it what it would move for the preview).

- Contributions about the merged record name the kept one, each with a history entry.
- Candles move too. A browser may light one candle per person and day: when the same browser lit
  one for both records on the same day, the two were one person's candle lit twice, so the merged
  record's candle is dropped and the kept record keeps its own (the count of candles stays true
  to the rule instead of counting one visitor twice).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contributions.models import Candle, Contribution
from victims.merging import Mover, register_mover
from victims.models import Victim


def _candles(keep: Victim, merged: Victim):
    """The merged record's candles, split: those that move, those the kept record already has
    (same browser, same day)."""
    same = Candle.objects.filter(victim=keep, browser=OuterRef("browser"), day=OuterRef("day"))
    candles = Candle.objects.filter(victim=merged).annotate(twin=Exists(same))
    return candles.filter(twin=False), candles.filter(twin=True)


def describe(keep: Victim, merged: Victim) -> list[str]:
    lines = [_("Contributions: %(n)d") % {"n": Contribution.objects.filter(victim=merged).count()}]
    moving, twins = _candles(keep, merged)
    moving, twins = moving.count(), twins.count()
    line = _("Candles: %(n)d") % {"n": moving}
    if twins:
        line += " " + ngettext(
            "(%(n)d lit the same day by the same browser for both records is counted once)",
            "(%(n)d lit the same day by the same browser for both records are counted once)",
            twins,
        ) % {"n": twins}
    lines.append(line)
    return lines


def move(keep: Victim, merged: Victim, user) -> None:
    reason = f"person {merged.slug} ({merged.uuid}) merged into {keep.slug} ({keep.uuid})"
    for contribution in Contribution.objects.filter(victim=merged).select_for_update():
        contribution.victim = keep
        contribution._history_user = user if getattr(user, "pk", None) else None
        contribution._change_reason = reason
        contribution.save(update_fields=["victim", "updated_at"])
    moving, twins = _candles(keep, merged)
    twins.delete()
    Candle.objects.filter(pk__in=moving.values("pk")).update(victim=keep)


def register() -> None:
    register_mover(Mover(name="contributions", describe=describe, move=move))
