"""The Human Rights Watch report the statement quotes: the registry's first source."""

from django.db import migrations


def add_report(apps, schema_editor):
    Source = apps.get_model("victims", "Source")
    Source.objects.get_or_create(
        key="hrw1991",
        defaults={
            "kind": "report",
            "title": "Conflict in the Soviet Union: Black January in Azerbaidzhan",
            "author": "Human Rights Watch/Helsinki and Memorial Society",
            "publisher": "Human Rights Watch",
            "year": 1991,
            "reliability": "secondary",
            "notes": "Published May 1991. ISBN 1-56432-027-8. The report quoted in the statement.",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("victims", "0003_roles")]
    operations = [migrations.RunPython(add_report, migrations.RunPython.noop)]
