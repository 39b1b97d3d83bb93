"""The registry's data quality, for the Editors: what a record still lacks, each check a count and
a link to the admin list it filters (``?quality=<code>``, victims.admin).

Every check is a condition on one model, written once here and used both to count (one aggregate
query per model) and to filter the admin list, so a count and its list always agree. People merged
into another record are left out: they are never shown and never edited.

The events' period is read from the shipped timeline (``victims/content/events.csv``): from the
first to the last day of the events of the night and its killings (kind ``night``). A date of
death outside it is not wrong (people died of their wounds later) but is worth a second look.
"""

from __future__ import annotations

import csv
import datetime
import functools
from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from common.partialdates import Precision
from victims.models import Citation, Event, NameVariant, Photo, Source, Status, Victim

EVENTS_CSV = Path(__file__).resolve().parent / "content" / "events.csv"
PERIOD_KIND = "night"
DRAFT_AGE = datetime.timedelta(days=90)


@functools.cache
def events_period() -> tuple[datetime.date, datetime.date]:
    """The first and the last day of the shipped timeline's events of kind ``night``."""
    with EVENTS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["kind"] == PERIOD_KIND]
    starts = [datetime.date.fromisoformat(row["start"]) for row in rows]
    ends = [datetime.date.fromisoformat(row["end"] or row["start"]) for row in rows]
    return min(starts), max(ends)


def death_outside_period() -> Q:
    """A date of death that cannot fall in the events' period at its precision (a month or a year
    overlapping the period is inside)."""
    first, last = events_period()
    return (
        Q(death_precision=Precision.DAY) & (Q(death_date__lt=first) | Q(death_date__gt=last))
        | Q(death_precision=Precision.MONTH)
        & (Q(death_date__lt=first.replace(day=1)) | Q(death_date__gt=last.replace(day=1)))
        | Q(death_precision=Precision.YEAR)
        & (Q(death_date__year__lt=first.year) | Q(death_date__year__gt=last.year))
    )


def _condition(code: str) -> Q | Exists:
    """The condition of a check, on its model's rows."""
    if code == "no_citation":
        return ~Exists(Citation.objects.filter(victim=OuterRef("pk")))
    if code == "no_death_date":
        return Q(death_date__isnull=True)
    if code == "death_outside_period":
        return death_outside_period()
    if code == "one_name_form":
        return ~Exists(NameVariant.objects.filter(victim=OuterRef("pk")))
    if code == "old_draft":
        return Q(status=Status.DRAFT, created_at__lt=timezone.now() - DRAFT_AGE)
    if code in ("person_photo_no_credit", "event_photo_no_credit"):
        owner = "victim" if code == "person_photo_no_credit" else "event"
        return Exists(Photo.objects.filter(**{owner: OuterRef("pk")}, credit=""))
    if code == "uncited_source":
        return ~Exists(Citation.objects.filter(source=OuterRef("pk")))
    raise KeyError(code)


@dataclass(frozen=True)
class Check:
    code: str
    model: type[models.Model]
    label: Promise


CHECKS: tuple[Check, ...] = (
    Check("no_citation", Victim, _("People without a citation")),
    Check("no_death_date", Victim, _("People without a date of death")),
    Check("death_outside_period", Victim, _("People whose date of death falls outside the events' period")),
    Check("one_name_form", Victim, _("People with only one name form (no name variant)")),
    Check("old_draft", Victim, _("Drafts older than 90 days")),
    Check("person_photo_no_credit", Victim, _("People with a photo without a credit")),
    Check("event_photo_no_credit", Event, _("Events with a photo without a credit")),
    Check("uncited_source", Source, _("Sources nobody cites")),
)
CODES = {check.code: check for check in CHECKS}


def base_queryset(model: type[models.Model]) -> models.QuerySet:
    """The rows a check looks at: every record of the model, people merged away excepted."""
    if model is Victim:
        return Victim.objects.exclude(status=Status.MERGED)
    return model._default_manager.all()


def quality_filter(queryset: models.QuerySet, code: str) -> models.QuerySet:
    """``queryset`` (of the check's model) narrowed to the rows the check ``code`` finds."""
    check = CODES[code]
    if check.model is Victim:
        queryset = queryset.exclude(status=Status.MERGED)
    return queryset.filter(_condition(code))


def codes_for(model: type[models.Model]) -> list[Check]:
    return [check for check in CHECKS if check.model is model]


@dataclass
class Line:
    check: Check
    count: int
    url: str


def quality_report() -> list[Line]:
    """Every check with its count and its admin list's address: one query per model."""
    counts: dict[str, int] = {}
    for model in (Victim, Event, Source):
        checks = codes_for(model)
        counts |= base_queryset(model).aggregate(
            **{check.code: Count("pk", filter=_condition(check.code)) for check in checks}
        )
    lines = []
    for check in CHECKS:
        meta = check.model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist") + f"?quality={check.code}"
        lines.append(Line(check=check, count=counts[check.code], url=url))
    return lines
