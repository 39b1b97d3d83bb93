from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemorialConfig(AppConfig):
    name = "memorial"
    verbose_name = _("Memorial site")
