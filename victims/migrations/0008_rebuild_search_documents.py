"""Rebuild every person's stored search document with the current search key (victims.normalize):
Russian-style spellings (kh for h, k and g for q, y for ı, ya for ə, …), alternative spellings of
the words, and the spelling keys that rank the exact spelling first."""

from django.db import migrations

BATCH = 2000


def victim_names(victim, variants: list[str]) -> list[str]:
    # The name forms of victims.services.victim_search_names (historical models have no services).
    return [
        victim.display_name,
        f"{victim.family_name} {victim.given_name} {victim.patronymic}",
        f"{victim.given_name} {victim.family_name}",
        *variants,
    ]


def rebuild(apps, schema_editor):
    from victims.normalize import search_document

    Victim = apps.get_model("victims", "Victim")
    NameVariant = apps.get_model("victims", "NameVariant")
    db = schema_editor.connection.alias
    variants: dict[int, list[str]] = {}
    for victim_id, name in NameVariant.objects.using(db).order_by("id").values_list("victim_id", "name"):
        variants.setdefault(victim_id, []).append(name)
    fields = ("id", "display_name", "family_name", "given_name", "patronymic", "search_document")
    changed = []
    for victim in Victim.objects.using(db).only(*fields).order_by("id").iterator(chunk_size=BATCH):
        document = search_document(victim_names(victim, variants.get(victim.id, [])))
        if document != victim.search_document:
            victim.search_document = document
            changed.append(victim)
        if len(changed) >= BATCH:
            Victim.objects.using(db).bulk_update(changed, ["search_document"])
            changed = []
    Victim.objects.using(db).bulk_update(changed, ["search_document"])


class Migration(migrations.Migration):
    dependencies = [("victims", "0007_registry_generation_counter")]

    # Backwards there is nothing to undo: the older code reads the new documents as text.
    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop, elidable=True)]
