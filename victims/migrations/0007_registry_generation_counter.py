# The registry generation (victims.caching) was the newest updated_at/history_date over the
# registry's tables. Those are stamped when a row is written, not when its transaction commits: a
# withdrawal committed after a newer edit did not move the maximum, and the withdrawn page stayed
# in the page cache. Now a deferred trigger on every table the public pages read gives the one
# row of victims_registrygeneration a fresh value while the transaction commits. The row lock
# orders writers at commit (held only for the commit itself), the value becomes visible together
# with the change, and a value from the sequence is never reused, whatever order commits happen in.

from django.db import migrations, models

# Every table whose rows a public page, count, sitemap or photo URL reads. A new public table needs
# the same triggers (tests/test_generation.py checks that every registry table has them).
PUBLIC_TABLES = [
    "memorial_statement",
    "victims_place",
    "victims_source",
    "victims_victim",
    "victims_namevariant",
    "victims_event",
    "victims_event_victims",
    "victims_citation",
    "victims_photo",
    "victims_reportedfigure",
]

FUNCTION = """
CREATE SEQUENCE victims_registry_generation_seq;
INSERT INTO victims_registrygeneration (id, value, changed_at)
VALUES (1, nextval('victims_registry_generation_seq'), clock_timestamp());

CREATE FUNCTION victims_bump_registry_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- Once per transaction and statement: a deferred trigger fires for every changed row, at
    -- commit (one statement), so a large import bumps the row once, not once per row.
    mark text := txid_current()::text || '@' || statement_timestamp()::text;
BEGIN
    IF current_setting('victims.generation_mark', true) IS DISTINCT FROM mark THEN
        INSERT INTO victims_registrygeneration (id, value, changed_at)
        VALUES (1, nextval('victims_registry_generation_seq'), clock_timestamp())
        ON CONFLICT (id) DO UPDATE SET value = EXCLUDED.value, changed_at = EXCLUDED.changed_at;
        PERFORM set_config('victims.generation_mark', mark, true);
    END IF;
    RETURN NULL;
END $$;
"""

DROP_FUNCTION = """
DROP FUNCTION IF EXISTS victims_bump_registry_generation();
DROP SEQUENCE IF EXISTS victims_registry_generation_seq;
"""


def triggers(table: str) -> str:
    return f"""
CREATE CONSTRAINT TRIGGER registry_generation_bump AFTER INSERT OR UPDATE OR DELETE ON {table}
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION victims_bump_registry_generation();
CREATE TRIGGER registry_generation_truncate AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION victims_bump_registry_generation();
"""


def drop_triggers(table: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS registry_generation_bump ON {table};
DROP TRIGGER IF EXISTS registry_generation_truncate ON {table};
"""


class Migration(migrations.Migration):
    dependencies = [
        ("victims", "0006_updated_at_indexes_and_generation_triggers"),
        ("memorial", "0002_load_statement"),
    ]

    operations = [
        migrations.CreateModel(
            name="RegistryGeneration",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("value", models.BigIntegerField(default=0)),
                ("changed_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "verbose_name": "registry generation",
                "verbose_name_plural": "registry generation",
            },
        ),
        migrations.RunSQL(FUNCTION, DROP_FUNCTION),
        migrations.RunSQL(
            "".join(triggers(table) for table in PUBLIC_TABLES),
            "".join(drop_triggers(table) for table in PUBLIC_TABLES),
        ),
    ]
