"""Name normalisation for search: how people type Azerbaijani names, in any script.

PostgreSQL's ``unaccent`` does not fold ``ə`` and cannot know that "Mamedov", "Мамедов",
"Mammadov" and "Məmmədov" are one family name, so names are reduced here to a loose *search
key* stored in an indexed column (``Victim.search_document``) and compared with ``pg_trgm``.

The key is deliberately lossy, for recall: the letters Russian documents and Latin keyboards
write alike become one letter (``search_key``). Cyrillic is transliterated; h, x, kh and х are
one letter, as are q, k, g, ğ and gh; c, j, dzh, dj, zh, ж; ç and ch; ş and sh; ə, e, a and ä.
A y that only softens a vowel (я, ю, ё; "Kyarim", "Gyulnara") is dropped, a y standing for ы or
й is i; doubled letters collapse. What the letters of a name cannot say on both sides, the stored
document adds as *alternative spellings* of its words: ı written у (u), ğ left out between
vowels, h written г (g), ö written е (e). Trigram similarity to the keys then finds the near
matches, and similarity to a finer *spelling key* (``spelling_key``, stored after the keys)
ranks the exact spelling first among equal keys.
"""

from __future__ import annotations

import functools
import itertools
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

# The search key writes the iotated vowels with their y, which then goes wherever the Latin
# spelling's y goes ("Кярим" → "kyarim" → "karim", as "Kyarim" and "Kərim").
CYRILLIC_KEY = CYRILLIC | {"я": "ya", "ю": "yu", "ё": "yo"}

LATIN = {
    "ə": "a", "e": "a", "ä": "a", "ı": "i", "ö": "o", "ü": "u", "ş": "s", "ç": "c", "ğ": "g", "w": "v",
    "j": "c",
}  # fmt: skip

# After the spelling key's folding: x (х, kh) is h; q, g (ğ, gh, г) and k are k.
LATIN_KEY = {"x": "h", "q": "k", "g": "k"}

DIGRAPHS = [("dzh", "c"), ("dj", "c"), ("kh", "x"), ("sh", "s"), ("ch", "c"), ("gh", "g"), ("zh", "j")]

_not_letters = re.compile(r"[^a-z ]+")
_spaces = re.compile(r"\s+")
_doubles = re.compile(r"([a-z])\1+")
_iy_vowel = re.compile(r"iy(?=[aou])")
# y after a consonant or at the start of a word, before a vowel, only softens it (я, ю, ё, ья);
# y between i and a vowel is not written in Russian ("Aliyev" → "Алиев", "Seyidov" → "Сеидов").
_soft_y = re.compile(r"(?<![aiou])y(?=[aiou])|(?<=i)y(?=[aou])|(?<=[aou])y(?=i)")
# Any other y before a consonant or at the end is ы or й: i ("Gasymov", "Huseyn" as "Husein").
_y_as_i = re.compile(r"y(?![aiou])")

# Spellings a Russian document gives an Azerbaijani letter that no folding can reach from the
# other side (they would merge letters that are distinct everywhere else): ı written у, ğ left out
# between vowels, h written г, ö written е.
ALTERNATIVES = [
    (re.compile("ı"), "u"),
    (re.compile("(?<=[aəeiıoöuü])ğ(?=[aəeiıoöuü])"), ""),
    (re.compile("(?<![cdgksz])h"), "g"),  # not the h of kh, sh, ch, zh, gh, dzh
    (re.compile("ö"), "e"),
]
SPELLING_SEPARATOR = " / "


def fold_case(text: str) -> str:
    """Lower case that knows Azerbaijani İ (→ i) and keeps ı apart from i until folding."""
    return text.replace("İ", "i").replace("I", "ı").lower() if any(c in text for c in "ƏəıİŞşĞğ") else text.lower()


_TABLES = {id(CYRILLIC): str.maketrans(CYRILLIC), id(CYRILLIC_KEY): str.maketrans(CYRILLIC_KEY)}
_LATIN_TABLE = str.maketrans(LATIN)


def _latin_letters(text: str, cyrillic: dict[str, str]) -> str:
    """Case folded, Cyrillic transliterated, digraphs and Azerbaijani letters folded, a-z and spaces."""
    text = fold_case(text or "").translate(_TABLES.get(id(cyrillic)) or str.maketrans(cyrillic))
    for digraph, letter in DIGRAPHS:
        text = text.replace(digraph, letter)
    text = text.translate(_LATIN_TABLE)
    # Anything else with a diacritic (é, ñ, ...) loses it.
    if not text.isascii():
        text = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return _not_letters.sub(" ", text)


# Names repeat (the same given names, family names and patronymics over thousands of people): an
# import or the benchmark's generator keys the same words again and again.
_cached = functools.lru_cache(maxsize=50_000)


@_cached
def spelling_key(text: str) -> str:
    """A finer key that keeps the letters ``search_key`` merges (h and x; q, k and g), for ranking
    the exact spelling first ("Məmmədov" → "mamadov", "Xəlilov" → "xalilov", "Quliyev" → "quliav")."""
    text = _iy_vowel.sub("i", _latin_letters(text, CYRILLIC))
    text = _doubles.sub(r"\1", text)
    return _spaces.sub(" ", text).strip()


@_cached
def search_key(text: str) -> str:
    """The loose search key of a name or a query ("Məmmədov" → "mamadov", "Xəlilov",
    "Khalilov" and "Халилов" → "halilov", "Quliyev" and "Кулиев" → "kulia")."""
    text = _latin_letters(text, CYRILLIC_KEY)
    text = "".join(LATIN_KEY.get(ch, ch) for ch in text)
    text = _doubles.sub(r"\1", text)
    text = _y_as_i.sub("i", _soft_y.sub("", text))
    text = _doubles.sub(r"\1", text)
    return _spaces.sub(" ", text).strip()


def alternative_keys(name: str) -> list[str]:
    """Search keys of the spellings a Russian document may give the words of an Azerbaijani
    name besides the folded one ("Bağırov" → "bairov", "bakurov", "bairov"...), each once."""
    keys: dict[str, None] = {}
    for word in fold_case(name or "").split():
        keys.update(dict.fromkeys(_word_alternatives(word)))
    return list(keys)


@_cached
def _word_alternatives(word: str) -> tuple[str, ...]:
    """The alternative keys of one case-folded word, in the order alternative_keys gives them."""
    keys: dict[str, None] = {}
    key = search_key(word)
    rules = [(pattern, to) for pattern, to in ALTERNATIVES if pattern.search(word)]
    for count in range(1, len(rules) + 1):
        for chosen in itertools.combinations(rules, count):
            spelt = word
            for pattern, to in chosen:
                spelt = pattern.sub(to, spelt)
            alternative = search_key(spelt)
            if alternative and alternative != key:
                keys.setdefault(alternative, None)
    return tuple(keys)


def search_document(names: list[str]) -> str:
    """What is stored and indexed for a person's names: the search keys of every name form and the
    alternative spellings of their words, then (after `` / ``) the words of their spelling keys;
    each once."""
    keys = dict.fromkeys(key for name in names if (key := search_key(name)))
    for name in names:
        for alternative in alternative_keys(name):
            keys.setdefault(alternative, None)
    # Only for ranking among equal keys: each word once is enough (and keeps the document short).
    spellings = dict.fromkeys(word for name in names for word in spelling_key(name).split())
    if not keys:
        return ""
    return " | ".join(keys) + SPELLING_SEPARATOR + " ".join(spellings)


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
