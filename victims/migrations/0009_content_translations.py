"""Sources' notes become translatable, sources and reported figures say their original language,
and translated records keep, per language, when their text was translated.

Existing notes move to the field of their language. The initial sources and figures were written
in English (victims/content/); a source a curator added keeps the site's default language, which is
what a curator was most likely writing in.
"""

from django.db import migrations, models

INITIAL_SOURCE_KEYS = [
    "hrw1991", "docs1990", "time1990", "milli1994", "decree1998",
    "wiki-bj", "wiki-ml", "wiki-vilnius", "wiki-tbilisi",
]  # fmt: skip


def move_to_language_fields(apps, schema_editor):
    Source = apps.get_model("victims", "Source")
    ReportedFigure = apps.get_model("victims", "ReportedFigure")
    ReportedFigure.objects.update(original_language="en")
    Source.objects.filter(key__in=INITIAL_SOURCE_KEYS).update(original_language="en")
    for language in ("az", "en", "ru"):
        Source.objects.filter(original_language=language).update(**{f"notes_{language}": models.F("notes")})


def back_to_one_field(apps, schema_editor):
    Source = apps.get_model("victims", "Source")
    for language in ("az", "en", "ru"):
        Source.objects.filter(original_language=language).update(notes=models.F(f"notes_{language}"))


class Migration(migrations.Migration):

    dependencies = [
        ('victims', '0008_rebuild_search_documents'),
    ]

    operations = [
        migrations.AddField(
            model_name='event',
            name='translated_on',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='event',
            name='translated_on_az',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='event',
            name='translated_on_en',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='event',
            name='translated_on_ru',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalevent',
            name='translated_on',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalevent',
            name='translated_on_az',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalevent',
            name='translated_on_en',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalevent',
            name='translated_on_ru',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalreportedfigure',
            name='original_language',
            field=models.CharField(choices=[('az', 'Azerbaijani'), ('en', 'English'), ('ru', 'Russian')], default='az', help_text='The language the texts of this record were written in; the others are translations.', max_length=5, verbose_name='original language'),
        ),
        migrations.AddField(
            model_name='historicalreportedfigure',
            name='translated_on',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalreportedfigure',
            name='translated_on_az',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalreportedfigure',
            name='translated_on_en',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalreportedfigure',
            name='translated_on_ru',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='notes_az',
            field=models.TextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='notes_en',
            field=models.TextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='notes_ru',
            field=models.TextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='original_language',
            field=models.CharField(choices=[('az', 'Azerbaijani'), ('en', 'English'), ('ru', 'Russian')], default='az', help_text='The language the texts of this record were written in; the others are translations.', max_length=5, verbose_name='original language'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='translated_on',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='translated_on_az',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='translated_on_en',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='historicalsource',
            name='translated_on_ru',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='reportedfigure',
            name='original_language',
            field=models.CharField(choices=[('az', 'Azerbaijani'), ('en', 'English'), ('ru', 'Russian')], default='az', help_text='The language the texts of this record were written in; the others are translations.', max_length=5, verbose_name='original language'),
        ),
        migrations.AddField(
            model_name='reportedfigure',
            name='translated_on',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='reportedfigure',
            name='translated_on_az',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='reportedfigure',
            name='translated_on_en',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='reportedfigure',
            name='translated_on_ru',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='source',
            name='notes_az',
            field=models.TextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='source',
            name='notes_en',
            field=models.TextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='source',
            name='notes_ru',
            field=models.TextField(blank=True, null=True, verbose_name='notes'),
        ),
        migrations.AddField(
            model_name='source',
            name='original_language',
            field=models.CharField(choices=[('az', 'Azerbaijani'), ('en', 'English'), ('ru', 'Russian')], default='az', help_text='The language the texts of this record were written in; the others are translations.', max_length=5, verbose_name='original language'),
        ),
        migrations.AddField(
            model_name='source',
            name='translated_on',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='source',
            name='translated_on_az',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='source',
            name='translated_on_en',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.AddField(
            model_name='source',
            name='translated_on_ru',
            field=models.DateField(blank=True, help_text="When this language's text was translated from the original; empty for the original.", null=True, verbose_name='date translated'),
        ),
        migrations.RunPython(move_to_language_fields, back_to_one_field),
    ]
