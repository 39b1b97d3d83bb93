"""The Azerbaijani and Russian translations of the shipped statement (memorial/content/statement.az.txt
and statement.ru.txt), added to an install whose statement is still the shipped English one."""

from django.db import migrations

from memorial.statement import add_shipped_translations


def add_translations(apps, schema_editor):
    add_shipped_translations(apps.get_model("memorial", "Statement"))


class Migration(migrations.Migration):
    dependencies = [("memorial", "0003_translation_dates")]
    operations = [migrations.RunPython(add_translations, migrations.RunPython.noop)]
