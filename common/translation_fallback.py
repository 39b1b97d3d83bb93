"""Per-record language fallback for the texts curators write.

Curators write a record in one language (its ``original_language``) and translate it later.
A page in another language shows the current language's text when there is one; otherwise the
record's original language, then any language that has a text, with a small note saying so.
The page is never left empty, and the text keeps its own ``lang`` so screen readers read it
with the right voice.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

# Whole sentences per language, so that each translation can be grammatical.
FALLBACK_NOTES = {
    "az": _("Not yet translated; shown in Azerbaijani."),
    "en": _("Not yet translated; shown in English."),
    "ru": _("Not yet translated; shown in Russian."),
}


@dataclass(frozen=True)
class Translated:
    """One field's text as shown in ``requested``, and the language it is actually in."""

    text: str
    language: str
    requested: str

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return bool(self.text)

    @property
    def is_fallback(self) -> bool:
        return bool(self.text) and self.language != self.requested

    @property
    def note(self) -> str:
        """The sentence shown beside a fallback text ("" when the text is in the page's language)."""
        if not self.is_fallback:
            return ""
        return str(FALLBACK_NOTES.get(self.language) or _("Not yet translated; shown in the original language."))

    @property
    def language_name(self) -> str:
        """The name of the text's language in the page's language ("English", "İngilis", …)."""
        return str(get_language_info(self.language)["name_translated"]) if self.language else ""


def _codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def translated(obj, field: str, *, language: str | None = None, original: str | None = None) -> Translated:
    """The text of ``obj.<field>`` for ``language`` (default: the active one), with fallback.

    ``original`` names the language to fall back to first; by default the record's own
    ``original_language``.
    """
    requested = (language or get_language() or settings.LANGUAGE_CODE).split("-")[0]
    original = original or getattr(obj, "original_language", "") or ""
    order = [requested, original, *_codes()]
    seen: set[str] = set()
    for code in order:
        if not code or code in seen:
            continue
        seen.add(code)
        text = getattr(obj, f"{field}_{code}", None)
        if text:
            return Translated(text=str(text), language=code, requested=requested)
    return Translated(text="", language=requested, requested=requested)
