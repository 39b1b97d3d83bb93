"""Who moderates contributions: Curators and Editors see the queue and move submissions on;
Editors also read the history. Added to the registry's role groups (victims.roles)."""

from __future__ import annotations

ROLES: dict[str, list[str]] = {
    "Curator": ["view_contribution", "change_contribution", "view_candle"],
    "Editor": ["view_contribution", "change_contribution", "view_candle", "view_historicalcontribution"],
}


def contribution_roles_sync(group_model, permission_model) -> None:
    """Give the role groups their contribution permissions (models may be historical)."""
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = permission_model.objects.filter(content_type__app_label="contributions", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found for role {name}: {sorted(missing)}")
        group.permissions.add(*permissions)
