"""Finding people entered twice: pairs scored by names, dates, places, patronymic and photos.

A pair's score starts from the similarity of the two people's names, compared over every name
form each has (the search key of ``victims.normalize``, so "Məmmədov", "Mamedov" and "Мамедов"
agree) as trigram sets, like pg_trgm's ``similarity``. Facts then add to it or take from it:

- dates of birth and of death compared at the coarser of the two precisions (a year agrees with
  any day of that year): agreeing adds, disagreeing takes much away;
- the same place of death or of birth adds;
- the patronymic (the father's name) compared by its key: the same adds, a different one takes
  much away (two brothers share a family name, never a father's name and a given name);
- photos whose perceptual hashes (``imagehash.phash`` of the original) differ in few bits add
  enough to flag the pair on their own: the same portrait is often filed under two spellings.

Only people in the same *block* (the first letters of family and given name keys, or a shared
band of a photo hash) are compared, so the work grows with the size of the blocks, not with the
square of the registry.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations, islice, product

from django.db import transaction
from django.utils import timezone

from common.partialdates import Precision
from victims.models import DuplicatePair, DuplicateVerdict, NameVariant, Photo, Status, Victim
from victims.normalize import alternative_keys, search_key

THRESHOLD = 0.75  # a pair at or above it is proposed to the Editors
PHOTO_NEAR_BITS = 8  # of 64: a re-encoded, resized or slightly cropped copy stays well within
PHASH_BANDS = 4  # a photo hash cut in four bands of 16 bits: two near copies share at least one

WEIGHTS = {
    "birth_agrees": 0.15,
    "birth_differs": -0.45,
    "death_agrees": 0.05,
    "death_differs": -0.3,
    "same_place_of_death": 0.05,
    "same_place_of_birth": 0.1,
    "same_patronymic": 0.15,
    "different_patronymic": -0.35,
    "similar_photo": THRESHOLD,  # enough on its own
}


@dataclass
class Person:
    """What the scoring reads of one person."""

    pk: int
    name_keys: set[str]
    patronymic_key: str = ""
    birth: tuple[datetime.date | None, str] = (None, "")
    death: tuple[datetime.date | None, str] = (None, "")
    place_of_birth: int | None = None
    place_of_death: int | None = None
    photo_hashes: list[int] = field(default_factory=list)


def name_keys(name: str) -> set[str]:
    """The search keys of a name form, with the alternative spellings a Russian document may give
    its words ("Hüseynov Kərim" → "huseinov karim", "guseinov karim"), at most 8."""
    options = []
    for word in (name or "").split():
        key = search_key(word)
        if key:
            options.append([key, *alternative_keys(word)])
    keys = {" ".join(words) for words in islice(product(*options), 8)} if options else set()
    return keys


def trigrams(key: str) -> set[str]:
    """pg_trgm's trigrams of a key: each word padded with two spaces before and one after."""
    grams: set[str] = set()
    for word in key.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def name_similarity(keys_a: set[str], keys_b: set[str]) -> float:
    """The best trigram similarity between any name form of one and any of the other."""
    best = 0.0
    for a in keys_a:
        grams_a = trigrams(a)
        for b in keys_b:
            grams_b = trigrams(b)
            if grams_a and grams_b:
                best = max(best, len(grams_a & grams_b) / len(grams_a | grams_b))
    return best


def dates_agree(a: tuple[datetime.date | None, str], b: tuple[datetime.date | None, str]) -> bool | None:
    """Whether two partial dates can be the same day (None when either is unknown)."""
    (date_a, precision_a), (date_b, precision_b) = a, b
    if not date_a or not date_b:
        return None
    precisions = {precision_a, precision_b}
    if Precision.YEAR in precisions or not precisions <= {Precision.DAY, Precision.MONTH, Precision.YEAR}:
        return date_a.year == date_b.year
    if Precision.MONTH in precisions:
        return (date_a.year, date_a.month) == (date_b.year, date_b.month)
    return date_a == date_b


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def score_pair(a: Person, b: Person) -> tuple[float, list[dict]]:
    """The pair's score and why: a list of reasons (``{"code": ..., ...}``) in the order they count."""
    similarity = name_similarity(a.name_keys, b.name_keys)
    reasons: list[dict] = [{"code": "names", "similarity": round(similarity, 2)}]
    score = similarity
    for what in ("birth", "death"):
        agree = dates_agree(getattr(a, what), getattr(b, what))
        if agree is not None:
            code = f"{what}_agrees" if agree else f"{what}_differs"
            score += WEIGHTS[code]
            reasons.append({"code": code})
    for what in ("place_of_death", "place_of_birth"):
        if getattr(a, what) and getattr(a, what) == getattr(b, what):
            score += WEIGHTS[f"same_{what}"]
            reasons.append({"code": f"same_{what}"})
    if a.patronymic_key and b.patronymic_key:
        same = name_similarity({a.patronymic_key}, {b.patronymic_key}) >= 0.5
        code = "same_patronymic" if same else "different_patronymic"
        score += WEIGHTS[code]
        reasons.append({"code": code})
    near = min((hamming(x, y) for x in a.photo_hashes for y in b.photo_hashes), default=None)
    if near is not None and near <= PHOTO_NEAR_BITS:
        score += WEIGHTS["similar_photo"]
        reasons.append({"code": "similar_photo", "bits": near})
    return round(score, 3), reasons


# --- Photos -------------------------------------------------------------------------------------


def photo_hash(photo: Photo) -> str:
    """The perceptual hash of a photo's original, 16 hexadecimal digits."""
    import imagehash  # numpy and scipy: loaded only by the duplicate search
    from PIL import Image

    with photo.original.open("rb") as handle, Image.open(handle) as image:
        return str(imagehash.phash(image))


def photos_hash_missing() -> int:
    """Hash every photo of a person that has no hash yet; returns how many were hashed."""
    done = 0
    for photo in Photo.objects.filter(victim__isnull=False, phash="").only("pk", "original").iterator(chunk_size=200):
        Photo.objects.filter(pk=photo.pk).update(phash=photo_hash(photo))
        done += 1
    return done


# --- The whole registry ---------------------------------------------------------------------------


def people_for_scoring() -> dict[int, Person]:
    """Every person not merged, with their name keys and photo hashes (three queries)."""
    people: dict[int, Person] = {}
    rows = Victim.objects.exclude(status=Status.MERGED).values_list(
        "pk", "display_name", "family_name", "given_name", "patronymic", "birth_date", "birth_precision",
        "death_date", "death_precision", "place_of_birth_id", "place_of_death_id",
    )  # fmt: skip
    for pk, display, family, given, patronymic, birth, birth_p, death, death_p, born_at, died_at in rows.iterator():
        forms = {display, f"{family} {given}", f"{given} {family}"}
        people[pk] = Person(
            pk=pk, name_keys={key for form in forms for key in name_keys(form)},
            patronymic_key=search_key(patronymic), birth=(birth, birth_p), death=(death, death_p),
            place_of_birth=born_at, place_of_death=died_at,
        )  # fmt: skip
    for victim_id, name in NameVariant.objects.exclude(victim__status=Status.MERGED).values_list("victim_id", "name"):
        if victim_id in people:
            people[victim_id].name_keys.update(name_keys(name))
    photos = Photo.objects.filter(victim__isnull=False).exclude(phash="").exclude(victim__status=Status.MERGED)
    for victim_id, phash in photos.values_list("victim_id", "phash"):
        if victim_id in people:
            people[victim_id].photo_hashes.append(int(phash, 16))
    return people


def candidate_pairs(people: dict[int, Person]) -> set[tuple[int, int]]:
    """Pairs worth scoring: the same first letters of a family and a given name key (in any name
    form), or a shared band of a photo hash."""
    blocks: dict[tuple, set[int]] = defaultdict(set)
    for person in people.values():
        for key in person.name_keys:
            words = sorted(key.split())
            for first, second in combinations(words, 2):
                blocks[("name", first[:3], second[:2])].add(person.pk)
        for phash in person.photo_hashes:
            for band in range(PHASH_BANDS):
                blocks[("photo", band, (phash >> (16 * band)) & 0xFFFF)].add(person.pk)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        if len(members) > 1:
            pairs.update(combinations(sorted(members), 2))
    return pairs


@transaction.atomic
def duplicates_refresh(*, threshold: float = THRESHOLD) -> dict[str, int]:
    """Score the registry again: open pairs at or above ``threshold`` are created or updated,
    open pairs below it (or with a merged person) removed; pairs marked "not the same person"
    are kept as they are and never reopened."""
    people = people_for_scoring()
    decided = set(
        DuplicatePair.objects.exclude(verdict=DuplicateVerdict.OPEN).values_list("first_id", "second_id")
    )
    found: dict[tuple[int, int], tuple[float, list[dict]]] = {}
    candidates = candidate_pairs(people)
    for pair in candidates:
        if pair in decided:
            continue
        score, reasons = score_pair(people[pair[0]], people[pair[1]])
        if score >= threshold:
            found[pair] = (score, reasons)
    open_pairs = DuplicatePair.objects.filter(verdict=DuplicateVerdict.OPEN)
    existing = {(p.first_id, p.second_id): p for p in open_pairs}
    stale = [p.pk for key, p in existing.items() if key not in found]
    DuplicatePair.objects.filter(pk__in=stale).delete()
    now = timezone.now()
    updated, created = [], []
    for (first, second), (score, reasons) in found.items():
        if (first, second) in existing:
            pair = existing[(first, second)]
            pair.score, pair.reasons, pair.scored_at = score, reasons, now
            updated.append(pair)
        else:
            created.append(DuplicatePair(first_id=first, second_id=second, score=score, reasons=reasons))
    DuplicatePair.objects.bulk_update(updated, ["score", "reasons", "scored_at"], batch_size=1000)
    DuplicatePair.objects.bulk_create(created, batch_size=1000)
    return {"people": len(people), "compared": len(candidates), "proposed": len(found), "removed": len(stale)}


@transaction.atomic
def duplicate_mark_different(*, pair: DuplicatePair, user) -> DuplicatePair:
    """An Editor says the two are not the same person: remembered, never proposed again."""
    pair.verdict, pair.decided_by, pair.decided_at = DuplicateVerdict.DIFFERENT, user, timezone.now()
    pair.save(update_fields=["verdict", "decided_by", "decided_at"])
    return pair
