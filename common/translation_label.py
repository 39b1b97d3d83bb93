"""The label of a text shown in translation.

Texts are written in one language (the record's ``original_language``) and translated into the
others. A page that shows a translation says so: from which original, when it was translated (and
when the original was written, where that is known), with the original one click away.
A page in the original's own language carries no label.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common.partialdates import format_partial_date

# Whole sentences per original language, so that each translation can be grammatical:
# (with both dates, with the translation's date, with the original's date, with neither).
SENTENCES = {
    "az": (
        _("Translated from the Azerbaijani original (%(original_date)s) on %(date)s."),
        _("Translated from the Azerbaijani original on %(date)s."),
        _("Translated from the Azerbaijani original (%(original_date)s)."),
        _("Translated from the Azerbaijani original."),
    ),
    "en": (
        _("Translated from the English original (%(original_date)s) on %(date)s."),
        _("Translated from the English original on %(date)s."),
        _("Translated from the English original (%(original_date)s)."),
        _("Translated from the English original."),
    ),
    "ru": (
        _("Translated from the Russian original (%(original_date)s) on %(date)s."),
        _("Translated from the Russian original on %(date)s."),
        _("Translated from the Russian original (%(original_date)s)."),
        _("Translated from the Russian original."),
    ),
}
LINK_TEXTS = {
    "az": _("Read the original in Azerbaijani"),
    "en": _("Read the original in English"),
    "ru": _("Read the original in Russian"),
}


@dataclass(frozen=True)
class TranslationLabel:
    """What a page says about a text it shows in translation."""

    original_language: str
    translated_on: datetime.date | None = None
    original_date: str = ""

    @property
    def sentence(self) -> str:
        both, translated, written, neither = SENTENCES[self.original_language]
        date = format_partial_date(self.translated_on, "day") if self.translated_on else ""
        if date and self.original_date:
            return str(both) % {"original_date": self.original_date, "date": date}
        if date:
            return str(translated) % {"date": date}
        if self.original_date:
            return str(written) % {"original_date": self.original_date}
        return str(neither)

    @property
    def link_text(self) -> str:
        return str(LINK_TEXTS[self.original_language])


def translation_label(record, field: str, *, language: str | None = None, original_date: str = ""):
    """The label of ``record``'s ``field`` as shown in ``language`` (default: the active one), or
    None when the text is the original or there is no text in that language (the fallback note
    of ``common.translation_fallback`` covers that case)."""
    requested = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    original = getattr(record, "original_language", "") or ""
    if original not in SENTENCES or original == requested or not getattr(record, f"{field}_{requested}", None):
        return None
    return TranslationLabel(original, getattr(record, f"translated_on_{requested}", None), original_date)


def translation_labels(records: Iterable, field: str, *, original_date: str = "") -> list[TranslationLabel]:
    """The distinct labels of ``records``' ``field`` in the active language, in first-seen order
    (usually one: a list translated at one time)."""
    labels: list[TranslationLabel] = []
    for record in records:
        label = translation_label(record, field, original_date=original_date)
        if label and label not in labels:
            labels.append(label)
    return labels
