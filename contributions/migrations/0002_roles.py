"""Curators and Editors moderate contributions; see contributions.roles."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from contributions.roles import contribution_roles_sync


def add_permissions(apps, schema_editor):
    app_config = apps.get_app_config("contributions")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    contribution_roles_sync(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


class Migration(migrations.Migration):
    dependencies = [
        ("contributions", "0001_initial"),
        ("victims", "0003_roles"),
    ]
    operations = [migrations.RunPython(add_permissions, migrations.RunPython.noop)]
