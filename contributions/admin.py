"""The "Contributions" queue: what visitors sent, moderated by curators (new, in progress,
accepted, rejected, withdrawn; counts beside each status). What the visitor sent is shown, never
edited; a curator only moves it on (rejecting with a reason), and every move is in history.

From a contribution's page a curator takes it into the registry in one step: a testimony becomes
a draft person (the likely duplicates shown beside it, a confirmation asked when there are any), a
photo an unapproved photo of the person, and a correction opens the person's change form with the
proposal in a panel above it (``?contribution=<id>``), where it is accepted once the record is
corrected."""

from __future__ import annotations

import mimetypes

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from contributions import services
from contributions.models import Contribution, Kind
from contributions.models import ContributionStatus as S
from victims.admin.panels import change_form_panel
from victims.admin.worklist import WorkItem, worklist_provider
from victims.models import Victim

VISITOR_FIELDS = [
    "kind", "victim", "family_name", "given_name", "patronymic", "birth_date", "death_date",
    "place_of_birth", "place_of_death", "relation", "documents_held", "message", "evidence",
    "file_link", "credit", "may_share", "submitter_name", "submitter_email", "consent", "language", "created_at",
]  # fmt: skip
UNDECIDED = (S.NEW, S.IN_PROGRESS)


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
    readonly_fields = [*VISITOR_FIELDS, "likely_duplicates", "status", "rejection_reason", "handled_by", "decided_at"]
    change_form_template = "admin/contributions/contribution/change_form.html"
    fieldsets = [
        (_("What was sent"), {"fields": VISITOR_FIELDS}),
        (_("Likely duplicates in the registry"), {"fields": ["likely_duplicates"]}),
        (_("Moderation"), {"fields": ["status", "rejection_reason", "handled_by", "decided_at", "move_to", "reason"]}),
    ]

    class Media:
        css = {"all": ["css/admin-registry.css"]}

    def has_add_permission(self, request):
        return False  # only visitors send contributions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        choices = services.moderation_choices(contribution=obj, user=request.user) if obj else []
        form.base_fields["move_to"].choices = [("", _("(leave as it is)"))] + [(c, S(c).label) for c in choices]
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or obj.kind != Kind.TESTIMONY:
            fieldsets = [fieldset for fieldset in fieldsets if "likely_duplicates" not in fieldset[1]["fields"]]
        if obj is not None and services.moderation_choices(contribution=obj, user=request.user):
            return fieldsets
        return [(name, {**opts, "fields": [f for f in opts["fields"] if f not in ("move_to", "reason")]})
                for name, opts in fieldsets]  # fmt: skip

    @staticmethod
    def _duplicates(obj) -> list[Victim]:
        """The testimony's likely duplicates, computed once for the page (kept on the object the
        read-only field and the buttons share)."""
        if not hasattr(obj, "_likely_duplicates"):
            obj._likely_duplicates = services.testimony_duplicates(obj) if obj.kind == Kind.TESTIMONY else []
        return obj._likely_duplicates

    @admin.display(description=_("people who may be the same person"))
    def likely_duplicates(self, obj):
        people = self._duplicates(obj) if obj and obj.pk else []
        return render_to_string("admin/contributions/contribution/duplicates.html", {"people": people})

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self.next_steps(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def next_steps(self, request, obj) -> dict:
        """What the curator can do with this contribution in the registry, for the buttons above it."""
        user, steps = request.user, {}
        may_moderate = obj.status in UNDECIDED and user.has_perm(services.MODERATE)
        if obj.kind == Kind.TESTIMONY and obj.victim_id is None and may_moderate and user.has_perm(services.ADD_PERSON):
            steps["convert_url"] = reverse("admin:contributions_contribution_convert", args=[obj.pk])
            steps["duplicates_found"] = bool(self._duplicates(obj))
        is_image = bool(obj.file) and not obj.file.name.lower().endswith(".pdf")
        if obj.kind == Kind.PHOTO and obj.victim_id and is_image and may_moderate and user.has_perm(services.ADD_PHOTO):
            steps["attach_url"] = reverse("admin:contributions_contribution_attach", args=[obj.pk])
        if obj.victim_id and user.has_perm("victims.view_victim"):
            person_url = reverse("admin:victims_victim_change", args=[obj.victim_id])
            if obj.kind == Kind.CORRECTION and obj.status in UNDECIDED:
                steps["correction_url"] = f"{person_url}?contribution={obj.pk}"
            else:
                steps["person_url"] = person_url
        return steps

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
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/file/", view(self.file_view), name="contributions_contribution_file"),
            path("<int:pk>/convert/", view(self.convert_view), name="contributions_contribution_convert"),
            path("<int:pk>/attach/", view(self.attach_view), name="contributions_contribution_attach"),
            path("<int:pk>/accept/", view(self.accept_view), name="contributions_contribution_accept"),
            *super().get_urls(),
        ]

    def _refused(self, request, error, pk) -> HttpResponseRedirect:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return HttpResponseRedirect(reverse("admin:contributions_contribution_change", args=[pk]))

    def convert_view(self, request, pk):
        """A testimony into a draft person: one click (POST) when nobody in the registry resembles
        the person; otherwise this page first shows who does and asks to confirm."""
        contribution = get_object_or_404(Contribution, pk=pk, kind=Kind.TESTIMONY)
        if not self.has_change_permission(request, contribution):
            raise PermissionDenied
        if request.method == "POST":
            try:
                victim = services.contribution_convert_testimony(
                    contribution=contribution, user=request.user, confirm_duplicates=request.POST.get("confirm") == "1"
                )
            except ValidationError as error:
                if error.code != "likely_duplicates":
                    return self._refused(request, error, pk)
            except PermissionDenied as error:
                return self._refused(request, error, pk)
            else:
                messages.success(
                    request,
                    _("“%(name)s” is now a draft person, with the testimony as its source. Check it and submit it for review.")
                    % {"name": victim},
                )  # fmt: skip
                return HttpResponseRedirect(reverse("admin:victims_victim_change", args=[victim.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": contribution,
            "title": _("Create a draft person from this testimony"),
            "people": services.testimony_duplicates(contribution),
        }
        return TemplateResponse(request, "admin/contributions/contribution/convert.html", context)

    def attach_view(self, request, pk):
        """A visitor's photo attached to the person, not approved for publication (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        contribution = get_object_or_404(Contribution, pk=pk, kind=Kind.PHOTO)
        if not self.has_change_permission(request, contribution):
            raise PermissionDenied
        try:
            services.contribution_attach_photo(contribution=contribution, user=request.user)
        except (PermissionDenied, ValidationError) as error:
            return self._refused(request, error, pk)
        messages.success(
            request, _("The photo is attached to the person, not approved: tick “approved for publication” to show it.")
        )
        return HttpResponseRedirect(reverse("admin:victims_victim_change", args=[contribution.victim_id]))

    def accept_view(self, request, pk):
        """Accept a correction from the panel above the person's change form (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        contribution = get_object_or_404(Contribution, pk=pk, kind=Kind.CORRECTION)
        if not self.has_change_permission(request, contribution):
            raise PermissionDenied
        try:
            services.contribution_accept_correction(contribution=contribution, user=request.user)
        except (PermissionDenied, ValidationError) as error:
            return self._refused(request, error, pk)
        messages.success(request, _("The correction is accepted; the sender is told."))
        following = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(following, allowed_hosts=None):
            following = reverse("admin:contributions_contribution_change", args=[pk])
        return HttpResponseRedirect(following)

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


@change_form_panel
def correction_panel(request, obj) -> str:
    """Above a person's change form opened from a correction (``?contribution=<id>``): what the
    visitor proposes beside what the record holds, their evidence, and the button that accepts it."""
    if not isinstance(obj, Victim) or not request.user.has_perm(services.MODERATE):
        return ""
    try:
        pk = int(request.GET.get("contribution", ""))
    except ValueError:
        return ""
    contribution = Contribution.objects.filter(pk=pk, kind=Kind.CORRECTION, victim=obj).first()
    if contribution is None:
        return ""
    proposed = [
        (Contribution._meta.get_field(name).verbose_name, getattr(obj, shown), getattr(contribution, name))
        for name, shown in [("family_name", "family_name"), ("given_name", "given_name"),
                            ("patronymic", "patronymic"), ("birth_date", "birth_display"),
                            ("death_date", "death_display")]
        if getattr(contribution, name)
    ]  # fmt: skip
    return render_to_string(
        "admin/contributions/contribution/correction_panel.html",
        {
            "contribution": contribution,
            "proposed": proposed,
            "undecided": contribution.status in UNDECIDED,
            "accept_url": reverse("admin:contributions_contribution_accept", args=[contribution.pk]),
            "contribution_url": reverse("admin:contributions_contribution_change", args=[contribution.pk]),
            "next": request.get_full_path(),
        },
        request=request,
    )


@change_form_panel
def testimonies_panel(request, obj) -> str:
    """Above a person's change form, for curators: the testimonies the record was made from and who
    sent them (the citation on the public page names only the contribution's number)."""
    if not isinstance(obj, Victim) or obj.pk is None or not request.user.has_perm(services.MODERATE):
        return ""
    sent = list(Contribution.objects.filter(victim=obj, kind__in=[Kind.TESTIMONY, Kind.PHOTO]).order_by("pk"))
    if not sent:
        return ""
    return render_to_string("admin/contributions/contribution/sent_panel.html", {"sent": sent}, request=request)
