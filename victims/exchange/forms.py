"""Forms of the staff export and import pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from victims.exchange.exports import ExportFilters
from victims.models import Category, Status

FORMAT_CHOICES = [
    ("csv", _("CSV: one table (people in the layout the import reads)")),
    ("xlsx", _("XLSX: a workbook, one sheet per record type")),
    ("json", _("JSON: people with their variants, citations, photos and events")),
    ("package", _("Data package: a ZIP of CSV tables with a Frictionless datapackage.json")),
]
RECORD_TYPE_CHOICES = [
    ("victims", _("People")),
    ("name_variants", _("Name variants")),
    ("citations", _("Citations")),
    ("events", _("Events")),
    ("event_people", _("People related to events")),
    ("places", _("Places")),
    ("sources", _("Sources")),
]


class ExportForm(forms.Form):
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="csv", widget=forms.RadioSelect)
    record_type = forms.ChoiceField(
        label=_("Records (CSV only)"), choices=RECORD_TYPE_CHOICES, initial="victims",
        help_text=_("The other formats hold every record type."),
    )  # fmt: skip
    statuses = forms.MultipleChoiceField(
        label=_("Status"), choices=Status.choices, initial=[Status.PUBLISHED], widget=forms.CheckboxSelectMultiple,
        help_text=_("Published records only, unless you choose others."),
    )  # fmt: skip
    categories = forms.MultipleChoiceField(
        label=_("Category"), choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every category."),
    )  # fmt: skip
    death_from = forms.DateField(
        label=_("Died on or after"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    death_to = forms.DateField(
        label=_("Died on or before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    bom = forms.BooleanField(
        label=_("Add a byte-order mark for Excel"), required=False,
        help_text=_("Excel then shows ə, ş, ğ and Cyrillic correctly when it opens the CSV file."),
    )  # fmt: skip
    use_selection = forms.BooleanField(label=_("Only the records selected in the admin"), required=False)

    def __init__(self, *args, may_see_drafts: bool = True, selection: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.selection = selection
        if not may_see_drafts:
            self.fields["statuses"].choices = [(Status.PUBLISHED, Status.PUBLISHED.label)]
        if not selection:
            del self.fields["use_selection"]

    def clean(self):
        data = super().clean()
        if data.get("death_from") and data.get("death_to") and data["death_from"] > data["death_to"]:
            self.add_error("death_to", _("The end of the range is before its start."))
        return data

    def filters(self) -> ExportFilters:
        data = self.cleaned_data
        filters = ExportFilters(
            statuses=list(data["statuses"]), categories=list(data["categories"]),
            death_from=data["death_from"], death_to=data["death_to"],
        )  # fmt: skip
        if self.selection and data.get("use_selection"):
            filters.selection_model = self.selection["model"]
            filters.selection_ids = [int(pk) for pk in self.selection["ids"]]
        return filters


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV (UTF-8) or XLSX in the export's layout; the JSON export and the data package are read too."),
    )
