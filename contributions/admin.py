"""The "Contributions" queue: what visitors sent, moderated by curators (new, in progress,
accepted, rejected, withdrawn; counts beside each status). What the visitor sent is shown, never
edited; a curator only moves it on (rejecting with a reason), and every move is in history."""

from __future__ import annotations

import mimetypes

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from contributions import services
from contributions.models import Contribution
from contributions.models import ContributionStatus as S
from victims.admin.worklist import WorkItem, worklist_provider

VISITOR_FIELDS = [
    "kind", "victim", "family_name", "given_name", "patronymic", "birth_date", "death_date",
    "place_of_birth", "place_of_death", "relation", "documents_held", "message", "evidence",
    "file_link", "credit", "may_share", "submitter_name", "submitter_email", "consent", "language", "created_at",
]  # fmt: skip


class ModerationForm(forms.ModelForm):
    move_to = forms.ChoiceField(label=_("Move to"), required=False)
    reason = forms.CharField(
        label=_("Reason for rejecting"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed to reject: the sender receives it by email."),
    )  # fmt: skip

    class Meta:
        model = Contribution
        fields: list[str] = []

    def clean(self):
        data = super().clean()
        if data.get("move_to") == S.REJECTED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why it is rejected: the sender is told."))
        return data


@admin.register(Contribution)
class ContributionAdmin(SimpleHistoryAdmin):
    form = ModerationForm
    list_display = ["__str__", "kind", "status", "victim", "created_at"]
    list_filter = ["status", "kind"]
    show_facets = admin.ShowFacets.ALWAYS
    date_hierarchy = "created_at"
    search_fields = ["family_name", "given_name", "submitter_name", "submitter_email"]
    list_select_related = ["victim"]
    readonly_fields = [*VISITOR_FIELDS, "status", "rejection_reason", "handled_by", "decided_at"]
    fieldsets = [
        (_("What was sent"), {"fields": VISITOR_FIELDS}),
        (_("Moderation"), {"fields": ["status", "rejection_reason", "handled_by", "decided_at", "move_to", "reason"]}),
    ]

    def has_add_permission(self, request):
        return False  # only visitors send contributions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        choices = services.moderation_choices(contribution=obj, user=request.user) if obj else []
        form.base_fields["move_to"].choices = [("", _("(leave as it is)"))] + [(c, S(c).label) for c in choices]
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and services.moderation_choices(contribution=obj, user=request.user):
            return fieldsets
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in ("move_to", "reason")]})
                for name, opts in fieldsets]  # fmt: skip

    def save_model(self, request, obj, form, change):
        to_status = form.cleaned_data.get("move_to")
        if not to_status:
            return
        try:
            services.contribution_moderate(
                contribution=obj, to_status=to_status, user=request.user, reason=form.cleaned_data.get("reason", "")
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))

    def save_related(self, request, form, formsets, change):
        pass  # nothing related is edited here

    @admin.display(description=_("file"))
    def file_link(self, obj):
        if not obj.file:
            return "—"
        url = reverse("admin:contributions_contribution_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Open the file (private)"))

    def get_urls(self):
        return [
            path("<int:pk>/file/", self.admin_site.admin_view(self.file_view), name="contributions_contribution_file"),
            *super().get_urls(),
        ]

    def file_view(self, request, pk):
        """The sent file, for curators only; downloaded, never rendered by the browser as a page."""
        contribution = get_object_or_404(Contribution, pk=pk)
        if not self.has_view_permission(request, contribution) or not contribution.file:
            raise Http404
        content_type = mimetypes.guess_type(contribution.file.name)[0] or "application/octet-stream"
        if content_type not in ("image/jpeg", "image/png", "image/webp", "image/gif", "application/pdf"):
            content_type = "application/octet-stream"
        response = FileResponse(contribution.file.open("rb"), content_type=content_type, as_attachment=True)
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response


def waiting_counts() -> dict[str, int]:
    """How many contributions wait for a curator, by status (new, in progress)."""
    return Contribution.objects.aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in (S.NEW, S.IN_PROGRESS)}
    )


@worklist_provider
def contributions_waiting(request):
    """Curators and Editors: what visitors sent and nobody has decided on."""
    if not request.user.has_perm(services.MODERATE):
        return
    changelist = reverse("admin:contributions_contribution_changelist")
    counts = waiting_counts()
    if counts[S.NEW]:
        n = counts[S.NEW]
        text = ngettext("%(n)d new contribution from visitors", "%(n)d new contributions from visitors", n)
        yield WorkItem(text % {"n": n}, n, f"{changelist}?status__exact=new")
    if counts[S.IN_PROGRESS]:
        n = counts[S.IN_PROGRESS]
        text = ngettext("%(n)d contribution in progress", "%(n)d contributions in progress", n)
        yield WorkItem(text % {"n": n}, n, f"{changelist}?status__exact=in_progress")
