"""The three roles curators work in, as groups with their permissions.

Curator: adds and edits drafts, submits them for review. Editor: also publishes, withdraws,
sees history and exports. Data staff: exports and imports, and may only view records otherwise.
Superusers have every permission.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RECORDS = ["victim", "namevariant", "event", "place", "source", "citation", "photo", "reportedfigure"]
HISTORY = [f"historical{model}" for model in RECORDS]

ROLES: dict[str, list[str]] = {
    "Curator": [f"{action}_{model}" for model in RECORDS for action in ("add", "change", "view")]
    + ["delete_namevariant", "delete_citation", "delete_photo", "delete_victim", "delete_event", "submit_victim"],
    "Editor": [f"{action}_{model}" for model in RECORDS for action in ("add", "change", "view", "delete")]
    + [f"view_{model}" for model in HISTORY]
    + ["submit_victim", "publish_victim", "export_registry", "view_exportlog"],
    "Data staff": [f"view_{model}" for model in RECORDS] + ["export_registry", "import_registry"],
}


# Imported rows held back as likely duplicates (victims.HeldBackRow): Data staff, who import, and
# Editors, who decide on duplicates, see and resolve them. Added by their own migration (0015), after
# the model exists: the permissions do not exist yet when 0003 runs roles_sync().
HELD_BACK_ROLES: dict[str, list[str]] = {
    "Data staff": ["view_heldbackrow", "change_heldbackrow"],
    "Editor": ["view_heldbackrow", "change_heldbackrow", "view_historicalheldbackrow"],
}


# What each role may do, in a sentence (the staff form, the forbidden page).
ROLE_DESCRIPTIONS = {
    "Curator": _("Adds people and events as drafts, edits drafts and records in review, and submits them for review."),
    "Editor": _(
        "Does what a Curator does, and also publishes, withdraws and returns records to draft, sees the "
        "history and exports the registry."
    ),
    "Data staff": _(
        "Sees every record, exports the registry and imports people from spreadsheets; changes nothing by hand."
    ),
}
ROLE_NAMES = {"Curator": _("Curator"), "Editor": _("Editor"), "Data staff": _("Data staff")}


def roles_sync(group_model, permission_model) -> None:
    """Create the role groups and give each exactly its permissions (models may be historical)."""
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = permission_model.objects.filter(content_type__app_label="victims", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found for role {name}: {sorted(missing)}")
        group.permissions.set(permissions)


def held_back_roles_sync(group_model, permission_model) -> None:
    """Give the role groups their permissions on held-back import rows (models may be historical)."""
    for name, codenames in HELD_BACK_ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        permissions = permission_model.objects.filter(content_type__app_label="victims", codename__in=codenames)
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions not found for role {name}: {sorted(missing)}")
        group.permissions.add(*permissions)
