"""Obviously synthetic people for the benchmarks, in realistic proportions.

Every generated person is marked three times so that nobody can mistake one for a real victim:
``nationality="synthetic"``, the patronymic "Sınaq oğlu"/"Sınaq qızı" ("test son/daughter") in the
name, and the biography "Synthetic record for benchmarking." (in each language). Names are built
from syllable lists; the slug ends in ``-synthetic-<n>``. Places are "Synthetic street 3",
"Synthetic hospital 1"; photos are generated colour fields, not pictures of anybody.

Person ``n`` is always generated the same way (``random.Random(n)``), so filling a registry from
1,000 to 10,000 people keeps the first 1,000 as they were. People are written in batches by
``victims.services.victims_bulk_create``, which derives their columns, versions and history as for
any other write.
"""

from __future__ import annotations

import datetime
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from common.january1990 import FIRST_DAY, LAST_DAY, MEMORIAL_DAY
from common.partialdates import Precision
from victims.normalize import slug_text

MARKER = "synthetic"
BIOGRAPHY = {
    "en": "Synthetic record for benchmarking.",
    "az": "Sınaq üçün yaradılmış sintetik qeyd.",
    "ru": "Синтетическая запись для нагрузочного теста.",
}
BATCH = 2000
REASON = "Synthetic benchmark data"

# Syllables that make names which read as Azerbaijani but belong to nobody.
FAMILY_HEADS = ["Qə", "Şə", "Çə", "Xə", "Rə", "Tə", "Gü", "Nə", "Bə", "Ay", "El", "Fə", "Hə", "Sü", "Zə", "Və", "Dö",
                "Lə", "Ka", "İl", "Ül", "Mü", "Ca", "Pə"]  # fmt: skip
FAMILY_MIDDLES = ["rif", "lil", "rzə", "xan", "bəy", "sən", "mir", "dal", "yar", "qul", "nəz", "çin", "ğan", "töv",
                  "müş", "vil", "rəm", "zil", "şad", "gər", "təl", "kur", "sal", "bud"]  # fmt: skip
GIVEN_HEADS = ["Ay", "Nu", "Fə", "Sə", "El", "Tu", "Gü", "Rə", "Zi", "Ül", "Xa", "Qa", "Çi", "Şa", "İl", "Ö", "Ba",
               "Ya", "Mə", "Də"]  # fmt: skip
GIVEN_TAILS = ["tən", "lar", "rıd", "şən", "gül", "nur", "çin", "xan", "məz", "dar", "vər", "ruz", "lay", "sim",
               "bəy", "qut", "fər", "zal"]  # fmt: skip
OCCUPATIONS = ["worker", "student", "driver", "engineer", "teacher", "doctor", "nurse", "pensioner", ""]

# Soviet-era Russian spelling of Azerbaijani letters (Məmmədov → Мамедов style).
TO_CYRILLIC = {
    "a": "а", "b": "б", "c": "дж", "ç": "ч", "d": "д", "e": "е", "ə": "а", "f": "ф", "g": "г", "ğ": "г", "h": "г",
    "x": "х", "ı": "ы", "i": "и", "j": "ж", "k": "к", "q": "г", "l": "л", "m": "м", "n": "н", "o": "о", "ö": "е",
    "p": "п", "r": "р", "s": "с", "ş": "ш", "t": "т", "u": "у", "ü": "ю", "v": "в", "y": "й", "z": "з",
}  # fmt: skip
# Russian-Latin transliteration (Məmmədov → Mamedov style) and plain diacritic-free typing.
TO_RUSSIAN_LATIN = {"ə": "a", "ş": "sh", "ç": "ch", "ğ": "g", "ı": "y", "ö": "yo", "ü": "yu", "x": "kh", "q": "g",
                    "c": "dzh", "j": "zh"}  # fmt: skip
TO_PLAIN = {"ə": "a", "ş": "s", "ç": "c", "ğ": "g", "ı": "i", "ö": "o", "ü": "u", "İ": "I", "Ə": "A", "Ş": "S",
            "Ç": "C", "Ğ": "G", "Ö": "O", "Ü": "U"}  # fmt: skip


def _lower(text: str) -> str:
    return text.replace("İ", "i").replace("I", "ı").lower()


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def cyrillic(name: str) -> str:
    """The Russian-style Cyrillic spelling of a generated Azerbaijani name."""
    return " ".join(_capital("".join(TO_CYRILLIC.get(ch, ch) for ch in _lower(word))) for word in name.split())


def russian_latin(name: str) -> str:
    """The Russian-Latin spelling ("Mamedov") of a generated name."""
    return " ".join(_capital("".join(TO_RUSSIAN_LATIN.get(ch, ch) for ch in _lower(word))) for word in name.split())


def plain(name: str) -> str:
    """The name typed on a keyboard without Azerbaijani letters ("Məmmədov" → "Mammadov")."""
    return "".join(TO_PLAIN.get(ch, ch) for ch in name)


def misspell(name: str, rng: random.Random) -> str:
    """One letter dropped from the middle of the longest word of a diacritic-free name."""
    words = plain(name).split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) >= 5:
        position = rng.randrange(2, len(word) - 1)
        words[longest] = word[:position] + word[position + 1 :]
    return " ".join(words)


@dataclass
class Person:
    """One generated person before it is written (plain values, cheap to make)."""

    index: int
    family_name: str
    given_name: str
    patronymic: str
    gender: str
    fields: dict = field(default_factory=dict)
    variants: list[tuple[str, str, str]] = field(default_factory=list)  # (name, script, kind)
    citations: int = 1
    photo: bool = False
    event: bool = False

    def slug(self) -> str:
        return f"{slugify(slug_text(f'{self.given_name} {self.family_name}'))}-{MARKER}-{self.index}"


def _pick(rng: random.Random, weighted: list[tuple[object, float]]):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def person(index: int) -> Person:
    """Person number ``index``: always the same for the same index."""
    rng = random.Random(index)
    gender = _pick(rng, [("male", 0.84), ("female", 0.13), ("unknown", 0.03)])
    stem = rng.choice(FAMILY_HEADS) + "".join(rng.choice(FAMILY_MIDDLES) for _ in range(rng.choice([1, 1, 2])))
    suffix = {"male": ["ov", "ov", "li"], "female": ["ova", "ova", "li"], "unknown": ["li"]}[gender]
    family_name = stem + rng.choice(suffix)
    given_name = rng.choice(GIVEN_HEADS) + rng.choice(GIVEN_TAILS)
    patronymic = {"male": "Sınaq oğlu", "female": "Sınaq qızı"}.get(gender, "Sınaq")
    p = Person(index, family_name, given_name, patronymic, gender)

    # Death: mostly the night of 19-20 January 1990, some of wounds later, a few known only to the month.
    death_day = _pick(
        rng,
        [(MEMORIAL_DAY, 0.78), (FIRST_DAY, 0.08), (datetime.date(1990, 1, 21), 0.06),
         (None, 0.06), ("month", 0.02)],
    )  # fmt: skip
    category = _pick(rng, [("killed", 0.9), ("missing", 0.02), ("wounded", 0.02), ("detained", 0.01), (None, 0.05)])
    if death_day is None:  # died later, of wounds
        death_date, death_precision = LAST_DAY + datetime.timedelta(days=rng.randrange(60)), "day"
        category = "died_of_wounds"
    elif death_day == "month":
        death_date, death_precision = datetime.date(1990, 1, 1), Precision.MONTH
    else:
        death_date, death_precision = death_day, Precision.DAY
    category = category or "killed"
    death_time = None
    if death_precision == Precision.DAY and death_date <= datetime.date(1990, 1, 21) and rng.random() < 0.3:
        death_time = datetime.time(rng.choice([22, 23, 0, 1, 2, 3]), rng.randrange(0, 60, 5))

    # Age 7-80, skewed young (most were young men).
    age = min(80, 7 + int(rng.gammavariate(2.4, 8.5)))
    birth_kind = _pick(rng, [("day", 0.6), ("year", 0.25), (None, 0.15)])
    birth_date, birth_precision, age_recorded = None, "", None
    if birth_kind == "day" and death_precision == Precision.DAY:
        latest = death_date.replace(year=death_date.year - age)
        birth_date = latest - datetime.timedelta(days=rng.randrange(1, 365))
        birth_precision = Precision.DAY
    elif birth_kind == "year":
        birth_date, birth_precision, age_recorded = datetime.date(1990 - age - 1, 1, 1), Precision.YEAR, age
    else:
        age_recorded = age

    status = _pick(rng, [("published", 0.94), ("draft", 0.03), ("review", 0.02), ("withdrawn", 0.01)])
    p.fields = {
        "gender": gender,
        "category": category,
        "death_date": death_date,
        "death_precision": death_precision,
        "death_time": death_time,
        "birth_date": birth_date,
        "birth_precision": birth_precision,
        "age_recorded": age_recorded,
        "status": status,
        "occupation_en": rng.choice(OCCUPATIONS),
        "place_of_death": rng.randrange(12),  # index into the generated places
        "burial": rng.random() < 0.9,
        "published_days_ago": rng.randrange(3 * 365),
    }
    full = f"{family_name} {given_name}"
    for kind in rng.sample(["russian", "transliteration", "az_latin"], k=_pick(rng, [(0, 0.3), (1, 0.35), (2, 0.25),
                                                                                    (3, 0.1)])):  # fmt: skip
        if kind == "russian":
            p.variants.append((cyrillic(full), "cyrillic", "russian"))
        elif kind == "transliteration":
            p.variants.append((russian_latin(full), "latin", "transliteration"))
        else:
            p.variants.append((plain(full), "latin", "az_latin"))
    # Spellings that coincide (a name with no Azerbaijani letters) are kept once.
    seen = {full}
    p.variants = [v for v in p.variants if not (v[0] in seen or seen.add(v[0]))]
    p.variants.sort(key=lambda v: (v[2], v[0]))  # NameVariant.Meta.ordering: kind, name
    p.citations = _pick(rng, [(1, 0.5), (2, 0.35), (3, 0.15)])
    p.photo = rng.random() < 0.2
    p.event = rng.random() < 0.02
    return p


# --- Places, sources, photos -----------------------------------------------------------------


def bench_places() -> list:
    """Twelve generated places of death (streets and hospitals) and the burial place."""
    from victims.models import Place

    baku = Place.objects.filter(slug="baku").first()
    places = []
    for n in range(12):
        kind, en, az, ru = (
            ("street", f"Synthetic street {n + 1}", f"Sınaq küçəsi {n + 1}", f"Тестовая улица {n + 1}")
            if n < 9
            else ("hospital", f"Synthetic hospital {n - 8}", f"Sınaq xəstəxanası {n - 8}", f"Тестовая больница {n - 8}")
        )
        place, _ = Place.objects.get_or_create(
            slug=f"synthetic-{kind}-{n + 1}",
            defaults={"kind": kind, "name_en": en, "name_az": az, "name_ru": ru, "parent": baku},
        )
        places.append(place)
    return places


def burial_place():
    from victims.models import Place

    return (
        Place.objects.filter(slug="martyrs-lane").first()
        or Place.objects.get_or_create(
            slug="synthetic-cemetery",
            defaults={"kind": "cemetery", "name_en": "Synthetic cemetery"},
        )[0]
    )


def bench_sources() -> list:
    """The registry's sources (the shipped bibliography); one synthetic source if there are none."""
    from victims.models import Source

    sources = list(Source.objects.order_by("id"))
    if not sources:
        sources = [
            Source.objects.create(key="synthetic-source", kind="book", title="Synthetic source for benchmarking")
        ]
    return sources


RENDITIONS = {"thumb": (160, 200), "card": (320, 400), "full": (640, 800)}
PHOTO_SETS = 6


def bench_photo_files(media_root: Path | None = None, private_root: Path | None = None) -> list[dict]:
    """A handful of small generated images (colour fields, a few KB each), reused by every photo.

    Returns, per image set, the ``renditions`` JSON a Photo stores, its size and its original's path.
    """
    from PIL import Image, ImageDraw

    media_root = Path(media_root or settings.MEDIA_ROOT)
    private_root = Path(private_root or settings.PRIVATE_MEDIA_ROOT)
    sets = []
    for n in range(PHOTO_SETS):
        rng = random.Random(1000 + n)
        colour = tuple(rng.randrange(60, 200) for _ in range(3))
        base = Image.new("RGB", RENDITIONS["full"], colour)
        draw = ImageDraw.Draw(base)
        for _ in range(4):
            x, y = rng.randrange(0, 560), rng.randrange(0, 720)
            draw.ellipse((x, y, x + 80, y + 80), fill=tuple(rng.randrange(0, 256) for _ in range(3)))
        renditions = {}
        for size, (w, h) in RENDITIONS.items():
            image = base.resize((w, h))
            entry: dict = {"width": w, "height": h}
            for fmt, ext in (("webp", "webp"), ("jpeg", "jpg")):
                rel = f"photos/synthetic/{n}/{size}.{ext}"
                path = media_root / rel
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    image.save(path, quality=60)
                entry[fmt] = rel
            renditions[size] = entry
        original = f"originals/synthetic/{n}.jpg"
        if not (private_root / original).exists():
            (private_root / original).parent.mkdir(parents=True, exist_ok=True)
            base.save(private_root / original, quality=70)
        sets.append({"renditions": renditions, "original": original, "width": 640, "height": 800})
    return sets


# --- Writing ---------------------------------------------------------------------------------


def synthetic_count() -> int:
    from victims.models import Victim

    return Victim.objects.filter(nationality=MARKER).count()


def build_victim(p: Person, *, places: list, burial, now: datetime.datetime):
    from victims.models import Victim

    f = p.fields
    victim = Victim(
        slug=p.slug(),
        family_name=p.family_name,
        given_name=p.given_name,
        patronymic=p.patronymic,
        gender=f["gender"],
        birth_date=f["birth_date"],
        birth_precision=f["birth_precision"],
        death_date=f["death_date"],
        death_precision=f["death_precision"],
        death_time=f["death_time"],
        age_recorded=f["age_recorded"],
        place_of_death=places[f["place_of_death"]],
        burial_place=burial if f["burial"] else None,
        nationality=MARKER,
        category=f["category"],
        occupation_en=f["occupation_en"],
        biography_en=BIOGRAPHY["en"],
        biography_az=BIOGRAPHY["az"],
        biography_ru=BIOGRAPHY["ru"],
        original_language="az",
        status=f["status"],
        published_at=(now - datetime.timedelta(days=f["published_days_ago"]))
        if f["status"] in ("published", "withdrawn")
        else None,
    )
    return victim


def fill(target: int, *, log=print, batch: int = BATCH) -> dict:
    """Add synthetic people until the registry holds ``target`` of them; returns counts and timing.

    A registry holding more than ``target`` synthetic people is refused (ValueError): the runner
    recreates the benchmark database instead, so that the figures describe exactly ``target`` people.
    """
    from victims import services
    from victims.models import Citation, Event, NameVariant, Photo, Victim

    started = time.perf_counter()
    existing = synthetic_count()
    if existing > target:
        raise ValueError(f"the registry already holds {existing} synthetic people, more than {target}")
    places, burial, sources = bench_places(), burial_place(), bench_sources()
    photo_sets = bench_photo_files()
    # People are linked to the events of the night itself (20 January 1990), as curators would.
    night = Event.objects.filter(status="published", start_date=MEMORIAL_DAY).order_by("id")
    events = list(night[:3]) or list(Event.objects.filter(status="published").order_by("start_date", "id")[:3])
    now = timezone.now()
    counts = {"victims": 0, "variants": 0, "citations": 0, "photos": 0, "event_links": 0}
    for start in range(existing, target, batch):
        people = [person(i) for i in range(start, min(start + batch, target))]
        with transaction.atomic():
            variants = [[NameVariant(name=n, script=s, kind=k) for n, s, k in p.variants] for p in people]
            citations = [
                [Citation(source=sources[(p.index + c) % len(sources)], locator=f"p. {1 + p.index % 300}",
                          supports="date of death") for c in range(p.citations)]
                for p in people
            ]  # fmt: skip
            victims = services.victims_bulk_create(
                victims=[build_victim(p, places=places, burial=burial, now=now) for p in people],
                variants=variants,
                citations=citations,
                reason=REASON,
                when=now,
            )
            photos, links = [], []
            for p, v in zip(people, victims, strict=True):
                if p.photo:
                    s = photo_sets[p.index % len(photo_sets)]
                    photos.append(
                        Photo(
                            victim=v,
                            original=s["original"],
                            is_primary=True,
                            width=s["width"],
                            height=s["height"],
                            renditions=s["renditions"],
                            alt_text_en="Synthetic placeholder image",
                            alt_text_az="Sınaq üçün şəkil",
                            alt_text_ru="Тестовое изображение",
                            credit="Generated for benchmarking",
                        )  # fmt: skip
                    )
                if p.event and events:
                    links.append(Event.victims.through(event=events[p.index % len(events)], victim=v))
            Photo.objects.bulk_create(photos)
            Event.victims.through.objects.bulk_create(links)
        counts["victims"] += len(victims)
        counts["variants"] += sum(map(len, variants))
        counts["citations"] += sum(map(len, citations))
        counts["photos"] += len(photos)
        counts["event_links"] += len(links)
        log(f"  generated {start + len(people)}/{target}")
    with connection.cursor() as cursor:  # fresh statistics, or the planner guesses for an empty table
        for model in (Victim, NameVariant, Citation, Photo, Event.victims.through):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
    pending = flush_search_index()
    seconds = time.perf_counter() - started
    return {
        "target": target,
        "gin_pending_pages_flushed": pending,
        "added": counts,
        "seconds": round(seconds, 2),
        "people_per_second": round(counts["victims"] / seconds) if counts["victims"] else None,
    }


def flush_search_index(index: str = "victim_search_trgm") -> int | None:
    """Move the GIN index's pending list into the index proper; the number of pending pages it held.

    Rows inserted in bulk wait in the pending list (``fastupdate``) until autovacuum or a 4 MB
    overflow; while thousands wait there the planner prices the index out and searches scan the
    whole table (0.5 ms → 300 ms at 14,000 people). The benchmarks measure the steady state.
    """
    from django.db import DatabaseError, transaction

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT gin_clean_pending_list(to_regclass(%s))", [index])
            return cursor.fetchone()[0]
    except DatabaseError:  # not a GIN index (any more)
        return None
