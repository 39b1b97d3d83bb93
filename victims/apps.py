from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VictimsConfig(AppConfig):
    name = "victims"
    verbose_name = _("Registry")

    def ready(self) -> None:
        from django.db.models import signals

        from victims.exchange import admin_actions

        admin_actions.register()
        # A change to public content committed in this process shows on its next request
        # (bulk writes send no signal: other changes show within REGISTRY_GENERATION_TTL).
        for signal in (signals.post_save, signals.post_delete, signals.m2m_changed):
            signal.connect(_forget_generation, dispatch_uid=f"victims-forget-generation-{id(signal)}")


def _forget_generation(sender, **kwargs) -> None:
    if getattr(getattr(sender, "_meta", None), "app_label", None) in ("victims", "memorial"):
        from victims.caching import forget_generation_on_commit

        forget_generation_on_commit()
