"""Turning the statement's stored text into the paragraphs shown on the home page.

The text was scanned from print: every line ends where the printed column ended, an empty line
separates paragraphs, and one page break left an empty line in the middle of a sentence. The
text is stored exactly as scanned (apart from the one fix); the paragraphs are restored here.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from common.january1990 import MEMORIAL_DAY

SHIPPED_TEXT = Path(__file__).resolve().parent / "content" / "statement.txt"
SCANNING_FIX = ("15™", "15th")
_SENTENCE_END = (".", "!", "?", "”", '"', "’", ":")
_QUOTE = re.compile(r'"([^"\n]+)"')
# The date in the English text and in its Azerbaijani and Russian translations.
_DATE = re.compile(r"\b(20 January 1990|1990-cı il yanvarın 20-də|20 января 1990 года)(?!\w)")
# The Azerbaijani and Russian translations of the shipped statement (statement.az.txt, …), and when
# they were made.
TRANSLATIONS = ("az", "ru")
TRANSLATED_ON = datetime.date(2026, 11, 30)


def shipped_statement(language: str = "en") -> dict[str, str]:
    """Title, subtitle and body of the statement file shipped with the project (fixed), or of its
    translation into ``language``."""
    if language == "en":
        text = SHIPPED_TEXT.read_text(encoding="utf-8").replace(*SCANNING_FIX)
    else:
        text = SHIPPED_TEXT.with_suffix(f".{language}.txt").read_text(encoding="utf-8")
    lines = text.strip().split("\n")
    title, subtitle = lines[0].strip(), lines[1].strip()
    body = "\n".join(lines[2:]).strip("\n")
    return {"title": title, "subtitle": subtitle, "body": body}


def paragraphs(body: str) -> list[str]:
    """Paragraphs restored from scanned lines: lines joined, blocks that end mid-sentence merged."""
    blocks = [
        " ".join(line.strip() for line in block.splitlines() if line.strip()) for block in re.split(r"\n\s*\n", body)
    ]
    merged: list[str] = []
    for block in filter(None, blocks):
        if merged and not merged[-1].endswith(_SENTENCE_END):
            merged[-1] = f"{merged[-1]} {block}"
        else:
            merged.append(block)
    return merged


def paragraphs_html(body: str, quote_cite: str = "") -> list[SafeString]:
    """Paragraphs as HTML: quotations in straight double quotes become ``<q>``, the date a ``<time>``."""
    cite = f' cite="{escape(quote_cite)}"' if quote_cite else ""
    rendered = []
    for paragraph in paragraphs(body):
        html = escape(paragraph).replace("&quot;", '"')
        html = _QUOTE.sub(lambda m: f'<q class="quotation"{cite}>{m.group(1)}</q>', html)
        html = _DATE.sub(rf'<time datetime="{MEMORIAL_DAY.isoformat()}">\1</time>', html)
        rendered.append(mark_safe(html))  # noqa: S308 - built from escaped text above
    return rendered


def load_shipped_statement(statement_model) -> bool:
    """Store the shipped statement unless a statement exists; True when it was created.

    Takes the model class so the data migration can pass its historical model. Only the
    English fields are set: English is the language the statement was written in.
    """
    if statement_model.objects.exists():
        return False
    shipped = shipped_statement()
    statement_model.objects.create(
        title_en=shipped["title"],
        subtitle_en=shipped["subtitle"],
        body_en=shipped["body"],
        occasion_en="The fifteenth anniversary of Black January",
        written_date=datetime.date(2005, 1, 1),
        written_precision="year",
        original_language="en",
        is_current=True,
    )
    return True


def add_shipped_translations(statement_model) -> int:
    """Give the shipped statement its shipped Azerbaijani and Russian translations; the number of
    languages added.

    Only a statement whose English text is still the shipped one gets them, and only in a language
    that has no title and no body yet: a curator's own text or translation is never replaced.
    """
    english = shipped_statement()
    added = 0
    for statement in statement_model.objects.filter(
        original_language="en", title_en=english["title"], body_en=english["body"]
    ):
        missing = [
            language
            for language in TRANSLATIONS
            if not (getattr(statement, f"title_{language}") or getattr(statement, f"body_{language}"))
        ]
        for language in missing:
            translation = shipped_statement(language)
            setattr(statement, f"title_{language}", translation["title"])
            setattr(statement, f"subtitle_{language}", translation["subtitle"])
            setattr(statement, f"body_{language}", translation["body"])
            setattr(statement, f"translated_on_{language}", TRANSLATED_ON)
        if missing:
            statement.save()
            added += len(missing)
    return added
