"""Name normalisation for search: how people type Azerbaijani names, in any script.

PostgreSQL's ``unaccent`` does not fold ``ə`` and cannot know that "Mamedov", "Мамедов",
"Mammadov" and "Məmmədov" are one family name, so names are reduced here to a loose *search
key* stored in an indexed column (``Victim.search_document``) and compared with ``pg_trgm``.

The key is deliberately lossy, for recall: Cyrillic is transliterated; digraphs typed on Latin
keyboards are folded (kh→x, sh→s, ch→c, gh→g, zh→j); ə, e and a become one letter, as do ı, i
and y between i and a vowel; doubled letters collapse. Ranking by trigram similarity then puts
the closest spellings first.
"""

from __future__ import annotations

import re
import unicodedata

CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "o", "ж": "j", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "x", "ц": "s", "ч": "c", "ш": "s", "щ": "s", "ъ": "", "ы": "i", "ь": "",
    "э": "e", "ю": "u", "я": "a",
    # Azerbaijani Cyrillic (1939–1991)
    "ә": "e", "ғ": "g", "ҝ": "g", "ҹ": "c", "һ": "h", "ө": "o", "ү": "u", "ј": "y", "і": "i",
}  # fmt: skip

LATIN = {
    "ə": "a", "e": "a", "ä": "a", "ı": "i", "ö": "o", "ü": "u", "ş": "s", "ç": "c", "ğ": "g", "q": "g",
    "w": "v", "j": "c",
}  # fmt: skip

DIGRAPHS = [("dzh", "c"), ("dj", "c"), ("kh", "x"), ("sh", "s"), ("ch", "c"), ("gh", "g"), ("zh", "j")]

_not_letters = re.compile(r"[^a-z ]+")
_spaces = re.compile(r"\s+")
_doubles = re.compile(r"([a-z])\1+")
_iy_vowel = re.compile(r"iy(?=[aou])")


def fold_case(text: str) -> str:
    """Lower case that knows Azerbaijani İ (→ i) and keeps ı apart from i until folding."""
    return text.replace("İ", "i").replace("I", "ı").lower() if any(c in text for c in "ƏəıİŞşĞğ") else text.lower()


def search_key(text: str) -> str:
    """The loose search key of a name or a query ("Məmmədov" → "mamadov")."""
    text = fold_case(text or "")
    text = "".join(CYRILLIC.get(ch, ch) for ch in text)
    text = text.replace("ё", "o")
    for digraph, letter in DIGRAPHS:
        text = text.replace(digraph, letter)
    text = "".join(LATIN.get(ch, ch) for ch in text)
    # Anything else with a diacritic (é, ñ, ...) loses it.
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    text = _not_letters.sub(" ", text)
    text = _iy_vowel.sub("i", text)
    text = _doubles.sub(r"\1", text)
    return _spaces.sub(" ", text).strip()


def search_document(names: list[str]) -> str:
    """The keys of every name form of a person, each once, in a stable order."""
    seen: dict[str, None] = {}
    for name in names:
        key = search_key(name)
        if key:
            seen.setdefault(key, None)
    return " | ".join(seen)


AZ_ALPHABET = "A B C Ç D E Ə F G Ğ H X I İ J K Q L M N O Ö P R S Ş T U Ü V Y Z".split()


def initial_letter(name: str) -> str:
    """The letter of the Azerbaijani alphabet a name is filed under ("" when it has none)."""
    name = (name or "").strip()
    if not name:
        return ""
    first = name[0]
    upper = {"i": "İ", "ı": "I"}.get(first, first.upper())
    return upper if upper in AZ_ALPHABET else ""


ASCII_SLUG = {"ə": "e", "ı": "i", "ş": "sh", "ç": "ch", "ğ": "gh", "ö": "o", "ü": "u", "x": "x", "q": "q"}


def slug_text(text: str) -> str:
    """ASCII text for a readable slug: Azerbaijani letters spelt out, Cyrillic transliterated."""
    text = fold_case(text or "")
    out = []
    for ch in text:
        if ch in ASCII_SLUG:
            out.append(ASCII_SLUG[ch])
        elif ch in CYRILLIC:
            out.append(CYRILLIC[ch])
        else:
            out.append(ch)
    return "".join(out)
