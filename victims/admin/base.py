"""What the admins of victims and events share: the publication workflow, who may edit and
delete what, optimistic locking, who changed a record, and history (of the inlines too)."""

from __future__ import annotations

import contextlib
import dataclasses

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline
from modeltranslation.translator import NotRegistered, translator
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_history_model_for_model

from common.partialdates import HISTORIC_DATE_WIDGETS
from victims import quality, services
from victims.admin.panels import change_form_panels
from victims.forms import PhotoForm, PhotoFormSet
from victims.models import Citation, Photo, Status

TRANSITION_LABELS = {
    Status.REVIEW: _("Submit for review"),
    Status.PUBLISHED: _("Publish"),
    Status.WITHDRAWN: _("Withdraw"),
    Status.DRAFT: _("Return to draft"),
}


TRANSITION_DONE = {
    Status.REVIEW: _("“%(name)s” was submitted for review."),
    Status.PUBLISHED: _("“%(name)s” was published."),
    Status.WITHDRAWN: _("“%(name)s” was withdrawn: %(reason)s"),
    Status.DRAFT: _("“%(name)s” was returned to draft."),
}
TRANSITION_DONE_MANY = {
    Status.REVIEW: lambda n: ngettext(
        "%(n)d record was submitted for review.", "%(n)d records were submitted for review.", n
    ),
    Status.PUBLISHED: lambda n: ngettext("%(n)d record was published.", "%(n)d records were published.", n),
    Status.WITHDRAWN: lambda n: ngettext(
        "%(n)d record was withdrawn: %(reason)s", "%(n)d records were withdrawn: %(reason)s", n
    ),
    Status.DRAFT: lambda n: ngettext("%(n)d record was returned to draft.", "%(n)d records were returned to draft.", n),
}
TRANSITION_REFUSED = {
    Status.REVIEW: _("“%(name)s” was not submitted for review: %(error)s"),
    Status.PUBLISHED: _("“%(name)s” was not published: %(error)s"),
    Status.WITHDRAWN: _("“%(name)s” was not withdrawn: %(error)s"),
    Status.DRAFT: _("“%(name)s” was not returned to draft: %(error)s"),
}


class ReasonForm(forms.Form):
    """Why a record is withdrawn or deleted: kept in its history, shown to the editors."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=1000,
        help_text=_("Kept in the record's history and shown to the editors."),
        error_messages={"required": _("Say why: the reason is kept in the record's history.")},
    )


def status_badge(status: str) -> str:
    return format_html('<span class="record-status record-status-{}">{}</span>', status, Status(status).label)


def without_fields(fieldsets, drop) -> list:
    """``fieldsets`` less the fields named in ``drop`` (also inside rows); empty sections go."""
    result = []
    for name, options in fieldsets:
        fields = []
        for field in options["fields"]:
            if isinstance(field, (list, tuple)):
                row = tuple(f for f in field if f not in drop)
                if row:
                    fields.append(row)
            elif field not in drop:
                fields.append(field)
        if fields:
            result.append((name, {**options, "fields": fields}))
    return result


def history_hidden_fields(model) -> list[str]:
    """Columns the history does not list as changes: the untranslated column of a translated field
    (it mirrors the default language's, which is listed: one change shows once) and the derived
    search columns."""
    hidden = [name for name in ("search_document", "initial") if any(f.name == name for f in model._meta.fields)]
    with contextlib.suppress(NotRegistered):
        hidden += list(translator.get_options_for_model(model).fields)
    return hidden


def delete_selected_with_reason(modeladmin, request, queryset):
    """Django's "delete selected" action, asking for a reason first."""
    request.reason_form = modeladmin._delete_reason(request, confirmed=bool(request.POST.get("post")))
    return delete_selected(modeladmin, request, queryset)


class ReturnedToDraftFilter(admin.SimpleListFilter):
    """Drafts an Editor sent back (linked from the admin home of the Curators)."""

    title = _("workflow")
    parameter_name = "returned"

    def lookups(self, request, model_admin):
        return [("yes", _("Returned to draft"))]

    def queryset(self, request, queryset):
        return queryset.returned_to_draft() if self.value() == "yes" else queryset


class QualityFilter(admin.SimpleListFilter):
    """The data quality page's checks (victims.quality) as a filter of the model's admin list."""

    title = _("data quality")
    parameter_name = "quality"

    def lookups(self, request, model_admin):
        return [(check.code, check.label) for check in quality.codes_for(model_admin.model)]

    def queryset(self, request, queryset):
        value = self.value()
        if value in {check.code for check in quality.codes_for(queryset.model)}:
            return quality.quality_filter(queryset, value)
        return queryset


class RecordInlineMixin:
    """Inlines follow their record: nobody adds, changes or deletes rows of a record they may not
    edit (a Curator and a published person, for example)."""

    def _record_editable(self, request, obj) -> bool:
        return services.record_can_edit(user=request.user, record=obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._record_editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._record_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._record_editable(request, obj)


class CitationInline(RecordInlineMixin, admin.TabularInline):
    model = Citation
    extra = 0
    autocomplete_fields = ["source"]
    fields = ["source", "locator", "supports"]


class PhotoInline(RecordInlineMixin, TranslationStackedInline):
    model = Photo
    form = PhotoForm
    formset = PhotoFormSet
    extra = 0
    fields = [
        ("preview", "original"),
        ("is_primary", "is_published"),
        ("alt_text_az", "alt_text_en", "alt_text_ru"),
        ("caption_az", "caption_en", "caption_ru"),
        ("credit", "licence"),
    ]
    readonly_fields = ["preview"]

    class Media:
        css = {"all": ["css/admin-registry.css"]}

    @admin.display(description=_("preview"))
    def preview(self, obj):
        url = obj.rendition_url("thumb", "webp") if obj and obj.pk else ""
        if not url:
            return "—"
        size = obj.renditions.get("thumb", {})
        return format_html(
            '<img src="{}" width="{}" height="{}" alt="" class="photo-preview"> <span>{} × {}</span>',
            url, size.get("width", ""), size.get("height", ""), obj.width, obj.height,
        )  # fmt: skip


class HistoryMixin(SimpleHistoryAdmin):
    """History for those with the ``view_historical…`` permission (Editors, superusers); a revert
    needs the right to change the record as it is now. The history page lists the inlines' changes
    as well (``history_inlines``: related models with history and their foreign key to the record)."""

    object_history_template = "admin/victims/object_history.html"
    object_history_form_template = "admin/victims/object_history_form.html"
    history_inlines: list[tuple[type, str]] = []

    def has_view_history_permission(self, request, obj=None):
        opts = get_history_model_for_model(self.model)._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('view', opts)}")

    def has_change_history_permission(self, request, obj=None):
        current = self.model.objects.filter(pk=obj.pk).first() if obj is not None and obj.pk else None
        return self.has_view_history_permission(request, obj) and self.has_change_permission(request, current)

    def has_view_history_or_change_history_permission(self, request, obj=None):
        return self.has_view_history_permission(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["hide_history_link"] = not self.has_view_history_permission(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        request.reverting_history = True  # the form starts from the old version: always save it
        extra_context = {**(extra_context or {}), **self.revert_context(object_id)}
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_context(self, object_id) -> dict:
        """What a revert leaves as it is now, for the revert page: the status and the inline rows
        (a revert restores the record's own fields only)."""
        current = self.model.objects.filter(pk=object_id).first()
        if current is None:
            return {}
        context = {}
        if hasattr(current, "status"):
            context["revert_status"] = current.get_status_display()
        related = []
        for model, fk in self.history_inlines:
            rows = model.objects.filter(**{f"{fk}_id": object_id})
            related.append({"name": model._meta.verbose_name_plural, "rows": [str(row) for row in rows]})
        context["revert_related"] = related
        return context

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """simple_history's, without the columns :func:`history_hidden_fields` names."""
        hidden = history_hidden_fields(self.model)
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, excluded_fields=hidden, foreign_keys_are_objs=foreign_keys_are_objs
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_view(self, request, object_id, extra_context=None):
        extra_context = {**(extra_context or {}), "inline_history": self.inline_history(object_id)}
        return super().history_view(request, object_id, extra_context)

    def inline_history(self, object_id) -> list[dict]:
        """Changes of the inline rows of one record, newest first, with what changed."""
        sections = []
        for model, fk in self.history_inlines:
            records = list(
                model.history.filter(**{f"{fk}_id": object_id})
                .select_related("history_user")
                .order_by("-history_date", "-history_id")[:200]
            )
            rows = []
            for record in records:
                changes = []
                if record.history_type == "~":
                    previous = record.prev_record
                    if previous is not None:
                        delta = record.diff_against(
                            previous, excluded_fields=history_hidden_fields(model), foreign_keys_are_objs=False
                        )
                        changes = [
                            {"field": model._meta.get_field(c.field).verbose_name, "old": c.old, "new": c.new}
                            for c in delta.changes
                        ]
                rows.append({"record": record, "changes": changes})
            sections.append({"name": model._meta.verbose_name_plural, "rows": rows})
        return sections


class WorkflowAdmin(HistoryMixin, TranslationAdmin):
    """Victims and events: status changes only through the workflow (actions and buttons, which
    call ``victims.services``), editing and deleting rules per role, and optimistic locking."""

    change_form_template = "admin/victims/record_change_form.html"
    formfield_overrides = HISTORIC_DATE_WIDGETS

    class Media:
        css = {"all": ["css/admin-registry.css"]}

    actions = ["submit_for_review", "publish", "withdraw", "return_to_draft"]
    tracked_readonly = ["status", "published_at", "created_by", "created_at", "updated_by", "updated_at", "version"]
    # The last fieldset of every workflow record's form: its status and who changed it when.
    publication_fieldset = (
        _("Publication"),
        {
            "fields": [
                "status",
                "published_at",
                ("created_by", "created_at"),
                ("updated_by", "updated_at"),
                "version",
            ]
        },
    )

    # --- permissions per record ---------------------------------------------------------------
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and services.record_can_edit(user=request.user, record=obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and services.record_can_delete(user=request.user, record=obj)

    def delete_queryset(self, request, queryset):
        if any(not services.record_can_delete(user=request.user, record=obj) for obj in queryset):
            raise PermissionDenied(_("Published and withdrawn records are withdrawn, not deleted."))
        services.photos_unpublish_files(photos=Photo.objects.filter(**{f"{self.model._meta.model_name}__in": queryset}))
        # One by one, so that each record's history keeps the reason of its deletion.
        for obj in queryset:
            obj._change_reason = getattr(request, "delete_reason", "")
            obj.delete()

    def delete_model(self, request, obj):
        services.photos_unpublish_files(photos=obj.photos.all())
        obj._change_reason = getattr(request, "delete_reason", "")
        super().delete_model(request, obj)

    # Deleting asks why, like withdrawing; the reason goes into the history's deletion row.
    delete_confirmation_template = "admin/victims/record_delete_confirmation.html"
    delete_selected_confirmation_template = "admin/victims/record_delete_selected_confirmation.html"

    def delete_view(self, request, object_id, extra_context=None):
        request.reason_form = self._delete_reason(request, confirmed=request.method == "POST")
        return super().delete_view(request, object_id, extra_context)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        if "delete_selected" in actions:
            actions["delete_selected"] = dataclasses.replace(
                actions["delete_selected"], func=delete_selected_with_reason
            )
        return actions

    def _delete_reason(self, request, confirmed: bool) -> ReasonForm:
        """The reason form of a deletion; without a valid reason the confirmation is shown again."""
        form = ReasonForm(request.POST if confirmed else None)
        if form.is_bound and form.is_valid():
            request.delete_reason = form.cleaned_data["reason"]
        elif confirmed:
            post = request.POST.copy()
            post.pop("post", None)
            request.POST = post if post.get("action") else QueryDict()
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = [*super().get_readonly_fields(request, obj), *self.tracked_readonly]
        if request.user.has_perm(services.PUBLISH) and not getattr(request, "reverting_history", False):
            # Editors may also choose the status in the form; it is applied by the workflow.
            readonly.remove("status")
        return readonly

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.workflow_user = request.user
        return form

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            # A new record: nothing to say yet about its publication but that it starts as a draft.
            fieldsets = without_fields(fieldsets, self.tracked_readonly[1:])
        if obj is not None and not self.has_change_permission(request, obj):
            # View only: no hidden version to carry.
            fieldsets = without_fields(fieldsets, ["loaded_version"])
        return fieldsets

    def view_on_site(self, obj):
        return obj.get_absolute_url() if obj.status == Status.PUBLISHED else None

    # --- saving -----------------------------------------------------------------------------------
    def save_model(self, request, obj, form, change):
        # The workflow alone changes the status (a revert restores the texts, not the status): a
        # status chosen in the form is applied by save_related(), after the inlines are saved.
        request.requested_status = obj.status if "status" in form.changed_data else None
        loaded_version = form.cleaned_data.get("loaded_version") if change else None
        if change:
            current = type(obj).objects.filter(pk=obj.pk).values("status", "published_at").get()
            obj.status, obj.published_at = current["status"], current["published_at"]
            changed = [name for name in form.changed_data if name not in ("loaded_version", "status")]
            if not changed and not getattr(request, "reverting_history", False):
                # Nothing of the record itself changed (perhaps only its inlines, or a workflow
                # button was pressed): the version is raised, but no empty version in the history.
                services.record_claim_version(record=obj, loaded_version=loaded_version)
                return
        else:
            obj.status, obj.published_at = Status.DRAFT, None
        services.record_save(record=obj, user=request.user, expected_version=loaded_version)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        requested = getattr(request, "requested_status", None)
        if requested and requested != form.instance.status:
            self._transition(request, form.instance, requested)

    # --- workflow ---------------------------------------------------------------------------------
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        status = obj.status if obj is not None else Status.DRAFT
        editable = self.has_change_permission(request, obj) if obj is not None else True
        transitions = services.transitions_for(user=request.user, status=status) if editable else []
        # Withdrawing asks for a reason on a page of its own, not with the form's other buttons.
        context["workflow_buttons"] = [(to, TRANSITION_LABELS[to]) for to in transitions if to != Status.WITHDRAWN]
        if obj is not None and Status.WITHDRAWN in transitions:
            context["withdraw_url"] = reverse(
                f"admin:{obj._meta.app_label}_{obj._meta.model_name}_withdraw", args=[obj.pk]
            )
        context["record_status"] = status_badge(status) if obj is not None else ""
        context["change_form_panels"] = change_form_panels(request, obj)
        if obj is not None and status == Status.WITHDRAWN:
            context["withdrawal"] = services.record_withdrawal(record=obj)
            if context["withdrawal"] is not None:
                context["withdrawal_reason"] = services.transition_reason(context["withdrawal"].history_change_reason)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name="{}_{}_withdraw".format(*info),
            ),
            *super().get_urls(),
        ]

    def _requested_transition(self, request, obj) -> None:
        to_status = request.POST.get("_transition")
        if not to_status:
            return
        if to_status not in Status.values:
            request.workflow_outcome = (messages.ERROR, _("Unknown status."))
            return
        if to_status == Status.WITHDRAWN:
            request.workflow_outcome = (messages.WARNING, _("Withdraw with the “Withdraw…” button: it asks why."))
            return
        self._transition(request, obj, to_status)

    def _transition(self, request, obj, to_status, reason: str = "") -> bool:
        """Apply one workflow step; what happened (done or refused, and why) is kept on the
        request as ``workflow_outcome`` for the one message the response shows."""
        try:
            services.record_transition(record=obj, to_status=to_status, user=request.user, reason=reason)
        except (PermissionDenied, ValidationError) as error:
            why = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            text = TRANSITION_REFUSED[to_status] % {"name": obj, "error": why or _("You may not do this.")}
            request.workflow_outcome = (messages.ERROR, text)
            return False
        request.workflow_outcome = (messages.SUCCESS, TRANSITION_DONE[to_status] % {"name": obj, "reason": reason})
        return True

    def message_user(self, request, message, level=messages.INFO, extra_tags="", fail_silently=False):
        """The admin's "… was changed successfully" gives way to what the workflow did: a
        refused step is never shown beside a success message."""
        outcome = getattr(request, "workflow_outcome", None)
        if outcome is not None and level == messages.SUCCESS:
            request.workflow_outcome = None
            outcome_level, text = outcome
            if outcome_level != messages.SUCCESS:
                outcome_level, text = messages.WARNING, _("Your changes were saved. %(refused)s") % {"refused": text}
            return super().message_user(request, text, outcome_level, extra_tags, fail_silently)
        return super().message_user(request, message, level, extra_tags, fail_silently)

    def response_add(self, request, obj, post_url_continue=None):
        self._requested_transition(request, obj)
        return super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        self._requested_transition(request, obj)
        return super().response_change(request, obj)

    def _bulk_transition(self, request, queryset, to_status, reason: str = "") -> None:
        """One message for the whole selection: what was done, and what was refused and why."""
        done, refused = [], []
        for obj in queryset:
            ok = self._transition(request, obj, to_status, reason=reason)
            (done if ok else refused).append(request.workflow_outcome[1] if not ok else str(obj))
            request.workflow_outcome = None
        if len(done) == 1 and not refused:
            text = TRANSITION_DONE[to_status] % {"name": done[0], "reason": reason}
        else:
            text = TRANSITION_DONE_MANY[to_status](len(done)) % {"n": len(done), "reason": reason} if done else ""
        if refused:
            level = messages.WARNING if done else messages.ERROR
            self.message_user(request, " ".join([text, *refused]).strip(), level)
        elif done:
            self.message_user(request, text, messages.SUCCESS)

    @admin.action(description=_("Submit the selected records for review"), permissions=["submit"])
    def submit_for_review(self, request, queryset):
        self._bulk_transition(request, queryset, Status.REVIEW)

    @admin.action(description=_("Publish the selected records"), permissions=["publish"])
    def publish(self, request, queryset):
        self._bulk_transition(request, queryset, Status.PUBLISHED)

    @admin.action(description=_("Withdraw the selected records…"), permissions=["publish"])
    def withdraw(self, request, queryset):
        form = ReasonForm(request.POST if request.POST.get("post") else None)
        if form.is_bound and form.is_valid():
            self._bulk_transition(request, queryset, Status.WITHDRAWN, reason=form.cleaned_data["reason"])
            return None
        return self._withdraw_confirmation(request, list(queryset), form, from_changelist=True)

    def withdraw_view(self, request, object_id):
        """Withdraw one record: the page names it, asks why, and waits for a confirmation."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not (
            self.has_change_permission(request, obj)
            and services.transition_allowed(user=request.user, from_status=obj.status, to_status=Status.WITHDRAWN)
        ):
            raise PermissionDenied(_("Only Editors withdraw published records."))
        form = ReasonForm(request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            self._transition(request, obj, Status.WITHDRAWN, reason=form.cleaned_data["reason"])
            level, text = request.workflow_outcome
            request.workflow_outcome = None
            self.message_user(request, text, level)
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])
            )
        return self._withdraw_confirmation(request, [obj], form, from_changelist=False)

    def _withdraw_confirmation(self, request, objects, form, from_changelist: bool):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Withdraw from the public site"),
            "opts": self.opts,
            "objects": objects,
            "form": form,
            "from_changelist": from_changelist,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "cancel_url": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            if from_changelist or len(objects) != 1
            else reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[objects[0].pk]),
        }
        return TemplateResponse(request, "admin/victims/withdraw_confirmation.html", context)

    @admin.action(description=_("Return the selected records to draft"), permissions=["publish"])
    def return_to_draft(self, request, queryset):
        self._bulk_transition(request, queryset, Status.DRAFT)

    def has_submit_permission(self, request):
        return request.user.has_perm(services.SUBMIT)

    def has_publish_permission(self, request):
        return request.user.has_perm(services.PUBLISH)

    # --- display ------------------------------------------------------------------------------
    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        return status_badge(obj.status)
