"""Staff accounts in the admin: one "Add staff member" form (name, email, role, password) that
makes a staff account with its role, a user list with roles, and a sign-in error that says when
an account exists but is not staff."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from victims.roles import ROLE_DESCRIPTIONS, ROLE_NAMES, ROLES

User = get_user_model()


def role_name(group: Group) -> str:
    return str(ROLE_NAMES.get(group.name, group.name))


class RoleField(forms.ModelChoiceField):
    """A role (group) to choose, each with the sentence that says what it may do."""

    widget = forms.RadioSelect

    def label_from_instance(self, group):
        return format_html("<strong>{}</strong>: {}", role_name(group), ROLE_DESCRIPTIONS.get(group.name, ""))


class StaffCreationForm(AdminUserCreationForm):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    email = forms.EmailField(label=_("Email address"))
    role = RoleField(
        label=_("Role"),
        queryset=Group.objects.filter(name__in=list(ROLES)).order_by("name"),
        empty_label=None,
        help_text=_("A superuser may change it later, or give several roles, on the account's page."),
    )

    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "first_name", "last_name", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("An account with this email address exists already."), code="duplicate_email")
        return email

    def save(self, commit=True):
        user = super().save(commit=False)
        user.is_staff = True  # the point of this form: a staff member signs in to the admin
        if commit:
            user.save()
            self.save_m2m()
            user.groups.set([self.cleaned_data["role"]])
        return user


class StaffUserAdmin(UserAdmin):
    add_form = StaffCreationForm
    add_fieldsets = (
        (None, {"fields": ("first_name", "last_name", "email", "role")}),
        (_("Signing in"), {"fields": ("username", "usable_password", "password1", "password2")}),
    )
    list_display = ("username", "full_name", "email", "roles", "is_staff", "is_superuser", "is_active")
    list_filter = ("groups", "is_staff", "is_superuser", "is_active")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def add_view(self, request, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "title": _("Add staff member")}
        return super().add_view(request, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if not change and "role" in form.cleaned_data:
            form.instance.groups.set([form.cleaned_data["role"]])

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return obj.get_full_name() or "—"

    @admin.display(description=_("roles"))
    def roles(self, obj):
        names = [role_name(group) for group in obj.groups.all()]
        if obj.is_superuser:
            names.insert(0, str(_("Superuser")))
        return ", ".join(names) or "—"


class StaffAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in: an account that exists but is not staff is told so (only after its
    correct password, so this reveals nothing to someone guessing)."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "not_staff": _(
            "This account exists but is not a staff account, so it cannot sign in here. "
            "Ask a superuser to give it staff access."
        ),
    }

    def confirm_login_allowed(self, user):
        if not user.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")
        if not user.is_staff:
            raise ValidationError(self.error_messages["not_staff"], code="not_staff")


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
admin.site.login_form = StaffAuthenticationForm
