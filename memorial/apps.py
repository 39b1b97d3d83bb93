from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemorialConfig(AppConfig):
    name = "memorial"
    verbose_name = _("Memorial site")

    def ready(self):
        from memorial.twofactor import name_the_models

        name_the_models()
