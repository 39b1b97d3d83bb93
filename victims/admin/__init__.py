"""The curators' admin of the registry (registered on import)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from victims.admin import heldback, records, reference, staff  # noqa: F401

admin.site.site_header = _("Black January Memorial: the registry")
admin.site.site_title = _("Black January Memorial")
admin.site.index_title = _("Keeping the registry")
