"""The registry's search and filter form: what a visitor can ask of the wall of names."""

from __future__ import annotations

import copy
import functools

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from common.january1990 import FIRST_DAY, LAST_DAY, MEMORIAL_DAY
from victims.models import Category, Citation, Gender, VictimQuerySet
from victims.normalize import AZ_ALPHABET

AGE_GROUPS: dict[str, tuple[int, int | None]] = {
    "0-17": (0, 17),
    "18-29": (18, 29),
    "30-44": (30, 44),
    "45-59": (45, 59),
    "60+": (60, None),
}

DIED_CHOICES = [
    ("19", _("19 January 1990")),
    ("20", _("20 January 1990")),
    ("21-22", _("21–22 January 1990")),
    ("later", _("Later")),
]


def died_filter(value: str) -> Q:
    """The condition for one of DIED_CHOICES; a day needs a date known to the day."""
    if value == "19":
        return Q(death_date=FIRST_DAY, death_precision="day")
    if value == "20":
        return Q(death_date=MEMORIAL_DAY, death_precision="day")
    if value == "21-22":
        return Q(death_date__gt=MEMORIAL_DAY, death_date__lte=LAST_DAY, death_precision="day")
    if value == "later":
        return Q(death_date__gt=LAST_DAY)
    return Q()


def age_filter(value: str) -> Q:
    low, high = AGE_GROUPS[value]
    return Q(age__gte=low) if high is None else Q(age__gte=low, age__lte=high)


SORTS = {
    "name": ("family_name", "given_name", "id"),
    "death": ("death_date", "death_time", "family_name", "given_name", "id"),
    "age": ("age", "family_name", "given_name", "id"),
}


class RegistryFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False)
    gender = forms.ChoiceField(label=_("Gender"), required=False)
    age = forms.ChoiceField(label=_("Age"), required=False)
    place = forms.ChoiceField(label=_("Place of death"), required=False)
    died = forms.ChoiceField(label=_("Date of death"), required=False)
    sort = forms.ChoiceField(label=_("Order"), required=False)
    event = forms.SlugField(label=_("Event"), required=False, max_length=200)
    source = forms.SlugField(label=_("Source"), required=False, max_length=200)
    letter = forms.ChoiceField(label=_("Letter"), required=False, choices=[("", "")] + [(c, c) for c in AZ_ALPHABET])

    def __init__(self, *args, places: list[tuple[str, str]] | None = None, **kwargs):
        """``places``: the place filter's choices, (slug, name)."""
        # The fields with their choices are made once per list of places (Django deep-copies a
        # form's ten fields and their choices per request otherwise: 0.2 ms of a registry page).
        # They are shared, so nothing may change them after this: the form only reads them.
        self.base_fields = _SharedFields(_fields_with_choices(tuple(map(tuple, places or ()))))
        super().__init__(*args, **kwargs)

    def apply(self, queryset: VictimQuerySet) -> VictimQuerySet:
        """The published people that match; best matches first when searching by name."""
        data = self.valid_data
        if data.get("category"):
            queryset = queryset.filter(category=data["category"])
        if data.get("gender"):
            queryset = queryset.filter(gender=data["gender"])
        if data.get("age"):
            queryset = queryset.filter(age_filter(data["age"]))
        if data.get("place"):
            queryset = queryset.filter(place_of_death__slug=data["place"])
        if data.get("died"):
            queryset = queryset.filter(died_filter(data["died"]))
        if data.get("letter"):
            queryset = queryset.filter(initial=data["letter"])
        if data.get("event"):
            queryset = queryset.filter(events__slug=data["event"], events__status="published")
        if data.get("source"):
            # EXISTS, not a join: a person citing one source twice is still one person.
            cites = Citation.objects.filter(victim=OuterRef("pk"), source__key=data["source"])
            queryset = queryset.filter(Exists(cites))
        query = (data.get("q") or "").strip()
        if query:
            queryset = queryset.search(query)
        sort = data.get("sort")
        if sort in SORTS:
            queryset = queryset.order_by(*SORTS[sort])
        elif not query:
            queryset = queryset.order_by(*SORTS["name"])
        return queryset

    @property
    def valid_data(self) -> dict:
        """The values that are valid: a wrong value in one field (an old link, a typo in the URL)
        leaves that filter out instead of ignoring the whole query."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    @property
    def query(self) -> str:
        return (self.valid_data.get("q") or "").strip()

    @property
    def is_filtered(self) -> bool:
        names = ("q", "category", "gender", "age", "place", "died", "letter", "event", "source")
        return any(self.valid_data.get(name) for name in names)


class _SharedFields(dict):
    """A form's ``base_fields`` whose fields every instance shares: ``BaseForm.__init__`` takes its
    ``fields`` as a deep copy of ``base_fields``, and this copy is a new dict of the same fields."""

    def __deepcopy__(self, memo):
        return dict(self)


@functools.lru_cache(maxsize=32)
def _fields_with_choices(places: tuple[tuple[str, str], ...]) -> dict[str, forms.Field]:
    """``RegistryFilterForm``'s fields with their choices set (the texts are lazy: one set serves
    every language), for one list of places (per registry generation and language)."""
    fields = copy.deepcopy(RegistryFilterForm.base_fields)
    anything = pgettext_lazy("filter", "Any")
    fields["category"].choices = [("", anything), *Category.choices]
    fields["gender"].choices = [("", anything), *Gender.choices]
    fields["age"].choices = [("", anything), *[(key, key.replace("-", "–")) for key in AGE_GROUPS]]
    fields["place"].choices = [("", anything), *places]
    fields["died"].choices = [("", anything), *DIED_CHOICES]
    fields["sort"].choices = [
        ("", _("Best match / A–Z")),
        ("name", _("Alphabetical")),
        ("death", _("Date of death")),
        ("age", _("Age")),
    ]
    return fields
