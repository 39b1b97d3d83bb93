"""Dates known to the day, the month or only the year.

A partial date is stored as a ``DateField`` plus a precision. The date's unknown parts are
stored as 1 (1 March 1972 for "March 1972"), which keeps sorting and range filters simple; the
precision column says which parts are real, database constraints keep the two consistent, and
every display goes through :func:`format_partial_date`, so "1972" is never shown as 1 January.
"""

from __future__ import annotations

import datetime

from django import forms
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, ExtractDay, ExtractMonth
from django.db.models.lookups import Exact
from django.utils import formats, translation
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Precision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


def _part(field: str, extract: type) -> models.Func:
    # The explicit cast keeps the expression typed when Django validates a constraint with the
    # field replaced by NULL (EXTRACT(DAY FROM NULL) is ambiguous to PostgreSQL).
    return extract(Cast(F(field), models.DateField()))


def partial_date_constraints(model: str, prefix: str) -> list[models.CheckConstraint]:
    """Constraints that keep ``<prefix>_date`` and ``<prefix>_precision`` consistent."""
    date, precision = f"{prefix}_date", f"{prefix}_precision"
    return [
        models.CheckConstraint(
            condition=Q(**{f"{date}__isnull": True, precision: ""})
            | Q(**{f"{date}__isnull": False, f"{precision}__in": list(Precision.values)}),
            name=f"{model}_{prefix}_precision_iff_date",
        ),
        models.CheckConstraint(
            condition=~Q(**{precision: Precision.YEAR})
            | (Q(Exact(_part(date, ExtractMonth), 1)) & Q(Exact(_part(date, ExtractDay), 1))),
            name=f"{model}_{prefix}_year_precision_is_jan_1",
        ),
        models.CheckConstraint(
            condition=~Q(**{precision: Precision.MONTH}) | Q(Exact(_part(date, ExtractDay), 1)),
            name=f"{model}_{prefix}_month_precision_is_day_1",
        ),
    ]


class HistoricDateInput(forms.DateInput):
    """The admin's input for a partial date: ISO text, no calendar.

    Django's admin gives every ``DateField`` its ``AdminDateWidget`` (class ``vDateField``), whose
    script adds a calendar that opens at today and a note "Enter times in the <server> timezone
    (You are N hours behind)" whenever the browser's offset differs from the server's. Neither fits
    a date of 1990: a date has no time zone, and the calendar starts 36 years away. Without that
    class the script leaves the field alone.
    """

    input_type = "text"

    def __init__(self, attrs=None):
        attrs = {
            "class": "vHistoricDate",
            "size": "10",
            "placeholder": "YYYY-MM-DD",
            "inputmode": "numeric",
            **(attrs or {}),
        }
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class HistoricTimeInput(forms.TimeInput):
    """A time of day of 1990, local to where it happened: no clock of today, no time-zone note."""

    input_type = "text"

    def __init__(self, attrs=None):
        attrs = {"class": "vHistoricTime", "size": "8", "placeholder": "HH:MM", **(attrs or {})}
        super().__init__(attrs=attrs, format="%H:%M")


# For ``ModelAdmin.formfield_overrides`` of every admin with partial dates (records, the statement).
HISTORIC_DATE_WIDGETS = {
    models.DateField: {"widget": HistoricDateInput},
    models.TimeField: {"widget": HistoricTimeInput},
}


def truncate(value: datetime.date | None, precision: str) -> datetime.date | None:
    """The stored form of ``value`` at ``precision`` (unknown parts set to 1)."""
    if value is None:
        return None
    if precision == Precision.YEAR:
        return value.replace(month=1, day=1)
    if precision == Precision.MONTH:
        return value.replace(day=1)
    return value


# Per language: (day, month, year) formats. Russian needs the genitive month name after a day
# ("20 января 1990"), which Django's "E" format gives, and the nominative alone ("январь 1990");
# Azerbaijani and Russian write month names in lower case.
_FORMATS = {
    "az": ("j F Y", "F Y", "Y"),
    "en": ("j F Y", "F Y", "Y"),
    "ru": ("j E Y", "F Y", "Y"),
}
_LOWER_CASE_MONTHS = {"az", "ru"}


def format_partial_date(value: datetime.date | None, precision: str, language: str | None = None) -> str:
    """``value`` written out to its precision in the active (or given) language."""
    if value is None:
        return ""
    language = (language or get_language() or "en").split("-")[0]
    day_fmt, month_fmt, year_fmt = _FORMATS.get(language, _FORMATS["en"])
    if precision == Precision.YEAR:
        return str(value.year)
    # Month names come from the active translation: make the requested language the active one.
    with translation.override(language):
        text = formats.date_format(value, month_fmt if precision == Precision.MONTH else day_fmt)
    if language in _LOWER_CASE_MONTHS:
        text = text.lower()
    return text


def iso_partial_date(value: datetime.date | None, precision: str) -> str:
    """ISO 8601 reduced precision: "1972", "1972-03" or "1972-03-12" (JSON-LD, exports)."""
    if value is None:
        return ""
    if precision == Precision.YEAR:
        return f"{value.year:04d}"
    if precision == Precision.MONTH:
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def parse_iso_partial_date(text: str) -> tuple[datetime.date | None, str]:
    """Inverse of :func:`iso_partial_date`; ValueError on anything else."""
    text = (text or "").strip()
    if not text:
        return None, ""
    parts = text.split("-")
    if len(parts) == 1 and len(parts[0]) == 4:
        return datetime.date(int(parts[0]), 1, 1), Precision.YEAR
    if len(parts) == 2 and len(parts[0]) == 4 and len(parts[1]) == 2:
        return datetime.date(int(parts[0]), int(parts[1]), 1), Precision.MONTH
    if len(parts) == 3:
        return datetime.date.fromisoformat(text), Precision.DAY
    raise ValueError(f"not a date: {text!r} (use YYYY, YYYY-MM or YYYY-MM-DD)")
