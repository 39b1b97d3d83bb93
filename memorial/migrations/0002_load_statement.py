"""Store the commemorative statement shipped in memorial/content/statement.txt.

The text is kept as scanned, apart from the one scanning error "15™" (15th). It was written for
the fifteenth anniversary, in 2005; the month and day are not known, so the date is kept to the year.
"""

from django.db import migrations

from memorial.statement import load_shipped_statement


def load_statement(apps, schema_editor):
    load_shipped_statement(apps.get_model("memorial", "Statement"))


def remove_statement(apps, schema_editor):
    apps.get_model("memorial", "Statement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("memorial", "0001_initial")]
    operations = [migrations.RunPython(load_statement, remove_statement)]
