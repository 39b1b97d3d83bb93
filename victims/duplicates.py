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

The whole registry is scored by ``manage.py find_duplicates``; after that, a change of one person
(names, dates, places, patronymic, name variants, photos) rescored only that person's pairs once
the change commits (:func:`duplicates_rescore_on_commit`, called by victims.services and
victims.merging). Merged and withdrawn people are not proposed: their open pairs are removed.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations, islice, product

from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import Substr
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
    patronymic_words: frozenset[str] = frozenset()  # every spelling's key of the patronymic's words


def patronymic_words(patronymic: str) -> frozenset[str]:
    return frozenset(word for key in name_keys(patronymic) for word in key.split())


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


@functools.lru_cache(maxsize=100_000)
def trigrams(key: str) -> frozenset[str]:
    """pg_trgm's trigrams of a key: each word padded with two spaces before and one after (kept:
    the same keys are compared many times)."""
    grams: set[str] = set()
    for word in key.split():
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return frozenset(grams)


def name_similarity(keys_a: set[str], keys_b: set[str]) -> float:
    """The best trigram similarity between any name form of one and any of the other."""
    if keys_a & keys_b:
        return 1.0  # one spelling in common: nothing can score higher
    best = 0.0
    for a in keys_a:
        grams_a = trigrams(a)
        for b in keys_b:
            grams_b = trigrams(b)
            if grams_a and grams_b:
                common = len(grams_a & grams_b)
                best = max(best, common / (len(grams_a) + len(grams_b) - common))
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


def photos_hash_missing(*, victim_id: int | None = None) -> int:
    """Hash every photo of a person (or of ``victim_id``) that has no hash yet; returns how many were hashed."""
    done = 0
    photos = Photo.objects.filter(victim__isnull=False, phash="")
    if victim_id is not None:
        photos = photos.filter(victim_id=victim_id)
    for photo in photos.only("pk", "original").iterator(chunk_size=200):
        Photo.objects.filter(pk=photo.pk).update(phash=photo_hash(photo))
        done += 1
    return done


# --- The whole registry ---------------------------------------------------------------------------


NOT_SCORED = (Status.MERGED, Status.WITHDRAWN)  # people never proposed: merged away, or taken off by an Editor


def people_for_scoring(pks: set[int] | None = None) -> dict[int, Person]:
    """Every person scored (or those of ``pks``), with their name keys and photo hashes (three queries)."""
    people: dict[int, Person] = {}
    scored = Victim.objects.exclude(status__in=NOT_SCORED)
    if pks is not None:
        scored = scored.filter(pk__in=pks)
    rows = scored.values_list(
        "pk", "display_name", "family_name", "given_name", "patronymic", "birth_date", "birth_precision",
        "death_date", "death_precision", "place_of_birth_id", "place_of_death_id",
    )  # fmt: skip
    for pk, display, family, given, patronymic, birth, birth_p, death, death_p, born_at, died_at in rows.iterator():
        forms = {display, f"{family} {given}", f"{given} {family}"}
        people[pk] = Person(
            pk=pk, name_keys={key for form in forms for key in name_keys(form)},
            patronymic_key=search_key(patronymic), patronymic_words=patronymic_words(patronymic),
            birth=(birth, birth_p), death=(death, death_p),
            place_of_birth=born_at, place_of_death=died_at,
        )  # fmt: skip
    variants = NameVariant.objects.exclude(victim__status__in=NOT_SCORED)
    photos = Photo.objects.filter(victim__isnull=False).exclude(phash="").exclude(victim__status__in=NOT_SCORED)
    if pks is not None:
        variants, photos = variants.filter(victim_id__in=pks), photos.filter(victim_id__in=pks)
    for victim_id, name in variants.values_list("victim_id", "name"):
        if victim_id in people:
            people[victim_id].name_keys.update(name_keys(name))
    for victim_id, phash in photos.values_list("victim_id", "phash"):
        if victim_id in people:
            people[victim_id].photo_hashes.append(int(phash, 16))
    return people


# The keys of "oğlu"/"оглы" and "qızı"/"кызы": a patronymic's marker, shared by half the registry.
PATRONYMIC_MARKERS = frozenset({"oklu", "okli", "kizi"})


def person_blocks(person: Person) -> set[tuple]:
    """The blocks a person belongs to: a pair of words of a name key (their first letters), a band
    of a photo hash. The patronymic's words are left out of the name blocks (a display name holds
    the patronymic, and every son of Əli would share the block of "əli oğlu")."""
    blocks: set[tuple] = set()
    ignored = PATRONYMIC_MARKERS | person.patronymic_words | set(person.patronymic_key.split())
    for key in person.name_keys:
        words = sorted(word for word in key.split() if word not in ignored)
        for first, second in combinations(words, 2):
            blocks.add(("name", first[:3], second[:2]))
    for phash in person.photo_hashes:
        for band in range(PHASH_BANDS):
            blocks.add(("photo", band, (phash >> (16 * band)) & 0xFFFF))
    return blocks


def candidate_pairs(people: dict[int, Person]) -> set[tuple[int, int]]:
    """Pairs worth scoring: the same first letters of a family and a given name key (in any name
    form), or a shared band of a photo hash."""
    blocks: dict[tuple, set[int]] = defaultdict(set)
    for person in people.values():
        for block in person_blocks(person):
            blocks[block].add(person.pk)
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


# --- One person -----------------------------------------------------------------------------------

# The name candidates of one person come from the stored search documents (victims.normalize:
# the keys of every name form and their alternative spellings): people with a word starting as
# each word of one of the person's name blocks does. That is a little wider than sharing a block
# (the two words may come from different forms), so the blocks are compared again in Python.


def _name_candidates(person: Person) -> set[int]:
    match = Q()
    for _kind, first, second in sorted(block for block in person_blocks(person) if block[0] == "name"):
        match |= Q(search_document__regex=rf"(^|[ |]){re.escape(first)}") & Q(
            search_document__regex=rf"(^|[ |]){re.escape(second)}"
        )
    if not match:
        return set()
    found = Victim.objects.exclude(status__in=NOT_SCORED).exclude(pk=person.pk).filter(match)
    return set(found.values_list("pk", flat=True))


def _photo_candidates(person: Person) -> set[int]:
    """People with a photo sharing a 16-bit band of one of the person's photo hashes (a hash is 16
    hexadecimal digits; band 0 is the last four)."""
    if not person.photo_hashes:
        return set()
    parts = {f"part{band}": Substr("phash", 16 - 4 * (band + 1) + 1, 4) for band in range(PHASH_BANDS)}
    photos = Photo.objects.filter(victim__isnull=False).exclude(phash="").exclude(victim_id=person.pk)
    photos = photos.exclude(victim__status__in=NOT_SCORED).annotate(**parts)
    match = Q()
    for band in range(PHASH_BANDS):
        wanted = {f"{phash:016x}"[16 - 4 * (band + 1) : 16 - 4 * band] for phash in person.photo_hashes}
        match |= Q(**{f"part{band}__in": wanted})
    return set(photos.filter(match).values_list("victim_id", flat=True))


def _drop_open_pairs(victim_id: int) -> int:
    return DuplicatePair.objects.filter(
        Q(first_id=victim_id) | Q(second_id=victim_id), verdict=DuplicateVerdict.OPEN
    ).delete()[0]


@transaction.atomic
def duplicates_rescore_person(*, victim_id: int, threshold: float = THRESHOLD) -> dict[str, int]:
    """Score one person's pairs again, as :func:`duplicates_refresh` scores the registry's: open
    pairs at or above ``threshold`` are created or updated, the person's other open pairs removed
    (all of them when the person is merged, withdrawn or gone); "not the same person" stays."""
    people = people_for_scoring({victim_id})
    person = people.get(victim_id)
    if person is None:
        return {"compared": 0, "proposed": 0, "removed": _drop_open_pairs(victim_id)}
    others = people_for_scoring(_name_candidates(person) | _photo_candidates(person))
    mine = person_blocks(person)
    decided = set(
        DuplicatePair.objects.filter(Q(first_id=victim_id) | Q(second_id=victim_id))
        .exclude(verdict=DuplicateVerdict.OPEN)
        .values_list("first_id", "second_id")
    )
    found: dict[tuple[int, int], tuple[float, list[dict]]] = {}
    compared = 0
    for other in others.values():
        pair = (min(victim_id, other.pk), max(victim_id, other.pk))
        if pair in decided or not (mine & person_blocks(other)):
            continue
        compared += 1
        score, reasons = score_pair(people[victim_id] if pair[0] == victim_id else other,
                                    other if pair[0] == victim_id else people[victim_id])  # fmt: skip
        if score >= threshold:
            found[pair] = (score, reasons)
    existing = {
        (p.first_id, p.second_id): p
        for p in DuplicatePair.objects.filter(Q(first_id=victim_id) | Q(second_id=victim_id), verdict=DuplicateVerdict.OPEN)
    }  # fmt: skip
    stale = [p.pk for key, p in existing.items() if key not in found]
    DuplicatePair.objects.filter(pk__in=stale).delete()
    for (first, second), (score, reasons) in found.items():
        DuplicatePair.objects.update_or_create(
            first_id=first, second_id=second, defaults={"score": score, "reasons": reasons}
        )
    return {"compared": compared, "proposed": len(found), "removed": len(stale)}


# More people than this changed in one transaction (an import): their pairs are left to
# ``find_duplicates`` rather than rescored one by one in the request that committed them.
RESCORE_AT_MOST = 100

logger = logging.getLogger(__name__)


class _Pending:
    """The people of the current transaction whose pairs are rescored when it commits."""

    def __init__(self):
        self.ids: set[int] = set()
        self.photos: set[int] = set()

    def run(self) -> None:
        if getattr(connection, "_duplicates_pending", None) is self:
            connection._duplicates_pending = None
        try:
            for victim_id in sorted(self.photos):
                photos_hash_missing(victim_id=victim_id)
            if len(self.ids) > RESCORE_AT_MOST:
                logger.warning("%d people changed at once: run manage.py find_duplicates to rescore them", len(self.ids))
                return
            for victim_id in sorted(self.ids):
                duplicates_rescore_person(victim_id=victim_id)
        except Exception:
            # The change itself is committed; the next change or find_duplicates scores again.
            logger.exception("Rescoring the duplicates of people %s failed", sorted(self.ids))


def duplicates_rescore_on_commit(victim_id: int | None, *, photos: bool = False) -> None:
    """Once the current transaction commits, rescore the person's pairs (``photos``: hash the
    person's photos that have none first); each person once per transaction. A failure is logged
    and never undoes the saved change (the next change, or ``find_duplicates``, scores again)."""
    if victim_id is None:
        return
    pending = getattr(connection, "_duplicates_pending", None)
    if pending is None or not any(entry[1] == pending.run for entry in connection.run_on_commit):
        # None yet, or registered in a transaction (or savepoint) that was rolled back.
        pending = _Pending()
        connection._duplicates_pending = pending
        if connection.in_atomic_block:
            transaction.on_commit(pending.run)
        else:
            pending.ids.add(victim_id)
            if photos:
                pending.photos.add(victim_id)
            pending.run()
            return
    pending.ids.add(victim_id)
    if photos:
        pending.photos.add(victim_id)


def duplicates_forget_person(*, victim_id: int) -> int:
    """Remove the open pairs of a person no longer proposed (merged or withdrawn), in the current
    transaction; pairs marked "not the same person" are kept."""
    return _drop_open_pairs(victim_id)


@transaction.atomic
def duplicate_mark_different(*, pair: DuplicatePair, user) -> DuplicatePair:
    """An Editor says the two are not the same person: remembered, never proposed again."""
    pair.verdict, pair.decided_by, pair.decided_at = DuplicateVerdict.DIFFERENT, user, timezone.now()
    pair.save(update_fields=["verdict", "decided_by", "decided_at"])
    return pair
