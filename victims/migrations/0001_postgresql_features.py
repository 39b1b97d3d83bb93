"""PostgreSQL features the registry relies on: trigram similarity, unaccent, and the ICU
collation that sorts in Azerbaijani alphabetical order (C Ç … E Ə … I İ … S Ş …)."""

from django.contrib.postgres.operations import CreateCollation, TrigramExtension, UnaccentExtension
from django.db import migrations


class Migration(migrations.Migration):
    initial = True
    dependencies = []
    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        CreateCollation("az", provider="icu", locale="az"),
    ]
