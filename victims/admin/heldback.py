"""Imported rows held back as likely duplicates: the list (waiting first), each row as the file gave
it beside the people it resembles, and the decision: import it as a new person (a draft), say it is
a person already in the registry, or discard it with a reason. Nothing else is edited here."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from victims.admin.worklist import WorkItem, worklist_provider
from victims.exchange.columns import VICTIM_IMPORT_HEADER
from victims.exchange.importing import heldback
from victims.models import HeldBackRow, HeldBackState, Status, Victim

IMPORT, MATCH, DISCARD = "import", "match", "discard"
DECISIONS = [
    ("", _("(decide later)")),
    (IMPORT, _("Import as a new person (a draft)")),
    (MATCH, _("It is this person in the registry")),
    (DISCARD, _("Discard")),
]
SHOWN_FIELDS = ["file_name", "row_number", "imported_by", "imported_at", "name", "row_cells", "why_held_back"]
DECISION_FIELDS = ["decision", "person", "other_person", "open_person", "note"]


class DecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(label=_("Decision"), choices=DECISIONS, required=False, widget=forms.RadioSelect)
    person = forms.TypedChoiceField(
        label=_("The person"), coerce=int, required=False, widget=forms.RadioSelect,
        help_text=_("For “It is this person”: one of the people the row resembles, or another below."),
    )  # fmt: skip
    other_person = forms.CharField(
        label=_("Another person (UUID or slug)"), required=False, max_length=200,
        help_text=_("When the row is someone in the registry who is not listed above."),
    )  # fmt: skip
    open_person = forms.BooleanField(
        label=_("Open the person’s form afterwards"), required=False, initial=True,
        help_text=_("To enter there what the row adds; nothing is copied by itself."),
    )  # fmt: skip
    note = forms.CharField(
        label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to discard; kept with the decision and in the history."),
    )  # fmt: skip

    class Meta:
        model = HeldBackRow
        fields: list[str] = []

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision == DISCARD and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why the row is discarded."))
        if decision == MATCH:
            other = (data.get("other_person") or "").strip()
            if other:
                found = Victim.objects.exclude(status=Status.MERGED).filter(
                    Q(slug=other) | Q(uuid=other) if _is_uuid(other) else Q(slug=other)
                ).first()
                if found is None:
                    self.add_error("other_person", _("No person in the registry has this UUID or slug."))
                data["chosen"] = found
            elif data.get("person"):
                data["chosen"] = Victim.objects.filter(pk=data["person"]).first()
            else:
                self.add_error("person", _("Choose the person the row is."))
        return data


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


@admin.register(HeldBackRow)
class HeldBackRowAdmin(SimpleHistoryAdmin):
    form = DecisionForm
    list_display = ["name", "resembles", "file_row", "state", "imported_at"]
    list_display_links = ["name"]
    actions = None  # each row is decided on its own page
    list_filter = ["state", "file_name"]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["name", "file_name"]
    readonly_fields = [*SHOWN_FIELDS, "state", "person_link", "decided_by", "decided_at", "decision_note"]
    fieldsets = [
        (_("The row as imported"), {"fields": SHOWN_FIELDS}),
        (_("Decision"), {"fields": ["state", "person_link", "decided_by", "decided_at", "decision_note",
                                    *DECISION_FIELDS]}),
    ]  # fmt: skip

    class Media:
        css = {"all": ["css/admin-registry.css"]}

    def has_add_permission(self, request):
        return False  # only an import holds rows back

    def has_delete_permission(self, request, obj=None):
        return False  # a decision is kept, with its history

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        people = heldback.held_back_people(obj) if obj else []
        form.base_fields["person"].choices = [(person.pk, _person_label(person)) for person in people]
        if people:
            form.base_fields["person"].initial = people[0].pk
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.state == HeldBackState.WAITING and self.has_change_permission(request, obj):
            return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in
                                              ("person_link", "decided_by", "decided_at", "decision_note")]})
                    for name, opts in fieldsets]  # fmt: skip
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in DECISION_FIELDS]})
                for name, opts in fieldsets]  # fmt: skip

    def save_model(self, request, obj, form, change):
        # What happened is kept on the request (the admin object serves every request at once).
        decision, note = form.cleaned_data.get("decision"), form.cleaned_data.get("note", "")
        try:
            if decision == IMPORT:
                row = heldback.held_back_import(row=obj, user=request.user, note=note)
                text = gettext("“%(name)s” (row %(row)d of %(file)s) was imported as a new person, a draft.")
            elif decision == MATCH:
                row = heldback.held_back_match(row=obj, victim=form.cleaned_data["chosen"], user=request.user,
                                               note=note)  # fmt: skip
                text = gettext("Row %(row)d of %(file)s was recorded as “%(person)s”, who was not changed.")
            elif decision == DISCARD:
                row = heldback.held_back_discard(row=obj, user=request.user, reason=note)
                text = gettext("Row %(row)d of %(file)s (“%(name)s”) was discarded.")
            else:
                return
        except (PermissionDenied, ValidationError) as error:
            request.held_back_refused = " ".join(getattr(error, "messages", [str(error)]))
            return
        request.held_back_decided = (
            row, text % {"name": row.name, "row": row.row_number, "file": row.file_name, "person": row.victim},
            form.cleaned_data.get("open_person"),
        )  # fmt: skip

    def save_related(self, request, form, formsets, change):
        pass  # nothing related is edited here

    def response_change(self, request, obj):
        refused = getattr(request, "held_back_refused", None)
        if refused:
            messages.error(request, refused)
            return HttpResponseRedirect(request.path)
        decided = getattr(request, "held_back_decided", None)
        if decided is None:
            return HttpResponseRedirect(_waiting_list())
        row, text, open_person = decided
        messages.success(request, text)
        if open_person and row.victim_id:
            return HttpResponseRedirect(reverse("admin:victims_victim_change", args=[row.victim_id]))
        return HttpResponseRedirect(_waiting_list())

    @admin.display(description=_("file and row"), ordering="file_name")
    def file_row(self, obj):
        return gettext("%(file)s, row %(row)d") % {"file": obj.file_name, "row": obj.row_number}

    @admin.display(description=_("resembles"))
    def resembles(self, obj):
        return ", ".join(candidate.get("name", "") for candidate in obj.candidates) or "—"

    @admin.display(description=_("row as imported"))
    def row_cells(self, obj):
        data = obj.data or {}
        given = data.get("cells") or {}
        order = {column: index for index, column in enumerate(VICTIM_IMPORT_HEADER)}
        cells = [(column, given[column]) for column in sorted(given, key=lambda c: order.get(c, len(order))) if given[column]]
        for key in ("variants", "citations"):
            if data.get(key):
                cells.append((key, "; ".join("|".join(item) for item in data[key])))
        if data.get("events"):
            cells.append(("events", ", ".join(data["events"])))
        return format_html(
            '<table class="held-back-cells"><tbody>{}</tbody></table>',
            format_html_join("", "<tr><th scope=\"row\"><code>{}</code></th><td>{}</td></tr>", cells),
        )

    @admin.display(description=_("why it was held back"))
    def why_held_back(self, obj):
        items = []
        for candidate in obj.candidates:
            facts = [candidate.get("name", "")]
            if candidate.get("death_date"):
                facts.append(gettext("died %(date)s") % {"date": candidate["death_date"]})
            if candidate.get("place_of_death"):
                facts.append(candidate["place_of_death"])
            similarity = gettext("name similarity %(value)s") % {"value": candidate.get("similarity")}
            if candidate.get("file_row"):
                where = gettext("row %(row)d of the same file") % {"row": candidate["file_row"]}
                items.append(format_html("<li>{} ({}; {})</li>", ", ".join(facts), where, similarity))
            elif candidate.get("pk"):
                url = reverse("admin:victims_victim_change", args=[candidate["pk"]])
                items.append(format_html('<li><a href="{}">{}</a> ({})</li>', url, ", ".join(facts), similarity))
        return format_html(
            "<p>{}</p><ul>{}</ul>",
            gettext("The person may already be in the registry, or on an earlier row of the file:"),
            format_html_join("", "{}", ((item,) for item in items)),
        )

    @admin.display(description=_("person"))
    def person_link(self, obj):
        if not obj.victim_id:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("admin:victims_victim_change", args=[obj.victim_id]),
                           obj.victim)  # fmt: skip


def _person_label(person: Victim) -> str:
    facts = [str(person)]
    if person.death_date:
        facts.append(gettext("died %(date)s") % {"date": person.death_display})
    facts.append(person.get_status_display())
    return ", ".join(facts)


def _waiting_list() -> str:
    return f"{reverse('admin:victims_heldbackrow_changelist')}?state__exact={HeldBackState.WAITING}"


@worklist_provider
def rows_held_back(request) -> list[WorkItem]:
    """Data staff and Editors: imported rows held back as likely duplicates, waiting for a decision."""
    if not request.user.has_perm(heldback.RESOLVE):
        return []
    waiting = HeldBackRow.objects.filter(state=HeldBackState.WAITING).count()
    if not waiting:
        return []
    text = ngettext(
        "%(n)d imported row is held back as a likely duplicate", "%(n)d imported rows are held back as likely duplicates",
        waiting,
    ) % {"n": waiting}  # fmt: skip
    return [WorkItem(text, waiting, _waiting_list())]
