from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VictimsConfig(AppConfig):
    name = "victims"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from victims.exchange import admin_actions

        admin_actions.register()
