from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributionsConfig(AppConfig):
    name = "contributions"
    verbose_name = _("Contributions")

    def ready(self):
        # A merge of two people in the registry moves their contributions and candles too.
        from contributions import merging

        merging.register()
