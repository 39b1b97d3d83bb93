"""Counts of the published registry, and the server-side SVG bar charts that draw them.

Each count is one aggregate query over published records; the results are cached per registry
generation (victims.caching), so they are computed again only after a change. Charts are plain data (bars with coordinates) that the template
writes out as inline SVG: no script, no style attributes, nothing the browser must compute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Case, CharField, Count, Max, Q, Value, When
from django.utils.translation import gettext_lazy as _

from victims.caching import cached_per_generation
from victims.filters import AGE_GROUPS, DIED_CHOICES, died_filter
from victims.models import Category, Event, Gender, Place, Source, Victim

UNKNOWN = _("Not recorded")


@dataclass
class Bar:
    key: str
    label: str
    count: int
    width: float = 0.0  # percent of the chart's bar area
    length: float = 0.0  # SVG units
    y: int = 0


@dataclass
class Chart:
    slug: str
    title: str
    bars: list[Bar] = field(default_factory=list)

    ROW = 28  # SVG units per bar
    # Narrow enough that a phone draws the labels at a readable size (the SVG scales to the column).
    LABEL_WIDTH = 190  # SVG units left of the bars
    BAR_AREA = 200  # SVG units for the longest bar
    WIDTH = 440

    @property
    def total(self) -> int:
        return sum(bar.count for bar in self.bars)

    @property
    def height(self) -> int:
        return max(len(self.bars), 1) * self.ROW

    @property
    def bar_x(self) -> int:
        return self.LABEL_WIDTH

    @property
    def text_dy(self) -> int:
        return self.ROW // 2 + 5

    @property
    def bar_height(self) -> int:
        return self.ROW - 8

    def layout(self) -> Chart:
        highest = max((bar.count for bar in self.bars), default=0)
        for index, bar in enumerate(self.bars):
            bar.width = round(100 * bar.count / highest, 2) if highest else 0.0
            bar.length = round(self.BAR_AREA * bar.count / highest, 1) if highest else 0.0
            bar.y = index * self.ROW
        return self


def _counts(queryset, expression) -> dict[str, int]:
    rows = queryset.annotate(bucket=expression).values("bucket").annotate(n=Count("id")).order_by()
    return {row["bucket"] if row["bucket"] is not None else "": row["n"] for row in rows}


def _case(*whens: When) -> Case:
    return Case(*whens, default=Value(""), output_field=CharField())


def category_chart(queryset) -> Chart:
    counts = _counts(queryset, _case(*[When(category=v, then=Value(v)) for v in Category.values]))
    bars = [Bar(value, str(label), counts.get(value, 0)) for value, label in Category.choices]
    return Chart("category", str(_("By category")), bars).layout()


def gender_chart(queryset) -> Chart:
    counts = _counts(queryset, _case(*[When(gender=v, then=Value(v)) for v in Gender.values]))
    bars = [Bar(value, str(label), counts.get(value, 0)) for value, label in Gender.choices]
    return Chart("gender", str(_("By gender")), bars).layout()


def age_chart(queryset) -> Chart:
    whens = [
        When(Q(age__gte=low) if high is None else Q(age__gte=low, age__lte=high), then=Value(key))
        for key, (low, high) in AGE_GROUPS.items()
    ]
    counts = _counts(queryset, _case(*whens))
    bars = [Bar(key, key.replace("-", "–"), counts.get(key, 0)) for key in AGE_GROUPS]
    bars.append(Bar("", str(UNKNOWN), counts.get("", 0)))
    return Chart("age", str(_("By age at death")), bars).layout()


def death_date_chart(queryset) -> Chart:
    counts = _counts(queryset, _case(*[When(died_filter(key), then=Value(key)) for key, _label in DIED_CHOICES]))
    bars = [Bar(key, str(label), counts.get(key, 0)) for key, label in DIED_CHOICES]
    bars.append(Bar("", str(_("Not recorded or earlier")), counts.get("", 0)))
    return Chart("death-date", str(_("By date of death")), bars).layout()


def place_chart(queryset, limit: int = 12) -> Chart:
    rows = list(queryset.values_list("place_of_death_id").annotate(n=Count("id")).order_by("-n"))
    places = Place.objects.in_bulk([pk for pk, _n in rows if pk is not None])
    bars = sorted(
        (Bar(places[pk].slug, places[pk].name, n) for pk, n in rows if pk is not None),
        key=lambda bar: (-bar.count, bar.label),
    )
    unknown = sum(n for pk, n in rows if pk is None)
    if len(bars) > limit:
        rest = sum(bar.count for bar in bars[limit:])
        bars = [*bars[:limit], Bar("other", str(_("Other places")), rest)]
    bars.append(Bar("", str(UNKNOWN), unknown))
    return Chart("place", str(_("By place of death")), bars).layout()


def category_counts(queryset=None) -> dict[str, int]:
    """Published people per category (every category present, zero included)."""
    if queryset is None:
        return cached_per_generation("category_counts", lambda: category_counts(Victim.objects.published()))
    counts = dict(queryset.values_list("category").annotate(n=Count("id")).order_by())
    return {value: counts.get(value, 0) for value in Category.values}


def registry_charts() -> list[Chart]:
    """The statistics page's charts: full-table aggregates, so computed once per generation."""

    def compute() -> list[Chart]:
        published = Victim.objects.published()
        return [
            category_chart(published),
            age_chart(published),
            gender_chart(published),
            death_date_chart(published),
            place_chart(published),
        ]

    return cached_per_generation("charts", compute)


def registry_summary() -> dict:
    """How many published people, events, sources and places there are, and when a published person
    or event last changed (the API's summary, the memorial counter): once per generation."""

    def compute() -> dict:
        people = Victim.objects.published()
        events = Event.objects.published()
        newest = [people.aggregate(m=Max("updated_at"))["m"], events.aggregate(m=Max("updated_at"))["m"]]
        return {
            "people": people.count(),
            "events": events.count(),
            "sources": Source.objects.count(),
            "places": Place.objects.public().count(),
            "last_updated": max((moment for moment in newest if moment), default=None),
        }

    return cached_per_generation("registry-summary", compute)
