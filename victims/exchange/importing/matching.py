"""Matching parsed rows to the registry: the person a row's UUID names (or a new one), the places,
sources and events it refers to, its slug, the model's own rules and the publication rule, and
what a row would change."""

from __future__ import annotations

import re
import uuid as uuid_module
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

from victims.exchange.columns import CITATIONS, LANGUAGES, VARIANTS
from victims.exchange.importing.parsing import PLACE_FIELDS, TEXT_FIELDS, ParsedRow, variant_key
from victims.models import Citation, Event, NameVariant, Place, Source, Status, Victim
from victims.normalize import slug_text
from victims.services import record_check_publication

SLUG_TRIES = 10
MAX_LENGTHS = {
    **{name: Victim._meta.get_field(name).max_length for name in
       ["slug", "family_name", "given_name", "patronymic", "display_name", "nationality",
        *[f"occupation_{lang}" for lang in LANGUAGES]]},
    "variant": NameVariant._meta.get_field("name").max_length,
    "locator": Citation._meta.get_field("locator").max_length,
    "supports": Citation._meta.get_field("supports").max_length,
}  # fmt: skip
# What an import may change on a person, compared before writing so that an unchanged row writes nothing.
COMPARED_FIELDS = [
    "slug", *TEXT_FIELDS, "gender", "birth_date", "birth_precision", "death_date", "death_precision", "death_time",
    "age_recorded", "age", "category", "status", "original_language",
    *[f"{name}_id" for name in PLACE_FIELDS],
]  # fmt: skip
EventVictims = Event.victims.through


@dataclass
class Stored:
    """What the registry holds for the people a chunk's rows name, as plain tuples: prefetching
    model instances built a queryset per person and relation and took about half of an unchanged
    import."""

    people: dict[uuid_module.UUID, Victim] = field(default_factory=dict)
    variants: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)
    citations: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)
    events: dict[int, set[int]] = field(default_factory=dict)
    slug_owners: dict[str, uuid_module.UUID] = field(default_factory=dict)

    @classmethod
    def load(cls, rows: list[ParsedRow]) -> Stored:
        stored = cls(people={v.uuid: v for v in Victim.objects.filter(uuid__in=[p.uuid for p in rows if p.uuid])})
        pks = [v.pk for v in stored.people.values()]
        for victim_id, *variant in NameVariant.objects.filter(victim_id__in=pks).values_list(
            "victim_id", "name", "script", "kind"
        ):
            stored.variants.setdefault(victim_id, []).append(tuple(variant))
        for victim_id, *citation in (
            Citation.objects.filter(victim_id__in=pks)
            .order_by("id")
            .values_list("victim_id", "source_id", "locator", "supports")
        ):
            stored.citations.setdefault(victim_id, []).append(tuple(citation))
        for victim_id, event_id in EventVictims.objects.filter(victim_id__in=pks).values_list("victim_id", "event_id"):
            stored.events.setdefault(victim_id, set()).add(event_id)
        explicit_slugs = [p.values["slug"] for p in rows if "slug" in p.values]
        stored.slug_owners = dict(Victim.objects.filter(slug__in=explicit_slugs).values_list("slug", "uuid"))
        return stored


@dataclass
class Change:
    """What an update row changes on a stored person."""

    columns: list[str]
    variants: bool
    citations: bool
    events: bool


class Matcher:
    """The registry's side of one import: its places, sources and events (loaded once) and what
    earlier rows of the file claimed (UUIDs, slugs)."""

    def __init__(self, *, user, may_publish: bool) -> None:
        self.user = user
        self.may_publish = may_publish
        self.places = dict(Place.objects.values_list("slug", "pk"))
        self.place_slugs = {pk: slug for slug, pk in self.places.items()}
        self.sources = dict(Source.objects.values_list("key", "pk"))
        self.events = {str(uuid): pk for uuid, pk in Event.objects.values_list("uuid", "pk")}
        self.seen_uuids: dict[uuid_module.UUID, int] = {}
        self.slug_rows: dict[str, int] = {}
        self.slug_next: dict[str, int] = {}

    def match(self, parsed: ParsedRow, stored: Stored) -> tuple[Victim, dict | None]:
        """The person ``parsed`` describes, with the row applied (not saved), and the compared
        columns as they were (None for a new person); problems go on the row."""
        number = parsed.raw.number
        if parsed.uuid:
            if parsed.uuid in self.seen_uuids:
                parsed.problem("uuid", _("The same UUID is on row %(row)d.") % {"row": self.seen_uuids[parsed.uuid]})
            self.seen_uuids.setdefault(parsed.uuid, number)
        self._resolve_references(parsed)
        slug = parsed.values.get("slug")
        if slug:
            owner = stored.slug_owners.get(slug)
            if owner is not None and owner != parsed.uuid:
                parsed.problem("slug", _("Another person already has this slug."))
            if slug in self.slug_rows:
                parsed.problem("slug", _("The same slug is on row %(row)d.") % {"row": self.slug_rows[slug]})
            self.slug_rows.setdefault(slug, number)
        victim = stored.people.get(parsed.uuid) if parsed.uuid else None
        before = None
        if victim is None:
            victim = Victim(uuid=parsed.uuid or uuid_module.uuid4(), created_by=self.user, updated_by=self.user)
            self._apply(parsed, victim, new=True)
        else:
            before = {name: getattr(victim, name) for name in COMPARED_FIELDS}
            self._apply(parsed, victim, new=False)
        self._validate(parsed, victim)
        if not parsed.problems:
            self._check_publication(
                parsed, victim, stored_status=before["status"] if before else None,
                stored_citations=len(stored.citations.get(victim.pk, [])) if victim.pk else 0,
            )  # fmt: skip
        return victim, before

    def changes(self, parsed: ParsedRow, victim: Victim, before: dict, stored: Stored) -> Change:
        columns = [name.removesuffix("_id") for name in COMPARED_FIELDS if getattr(victim, name) != before[name]]
        variants = parsed.variants is not None and variant_key(parsed.variants) != variant_key(
            stored.variants.get(victim.pk, [])
        )
        citations = parsed.citations is not None and [
            (self.sources[key], locator, supports) for key, locator, supports in parsed.citations
        ] != stored.citations.get(victim.pk, [])
        # Links to events are only added: an export leaves out events it did not include (drafts,
        # a filter), so a missing link in the file does not mean the link should go.
        events = parsed.events is not None and not {self.events[e] for e in parsed.events} <= stored.events.get(
            victim.pk, set()
        )
        columns += [VARIANTS] * variants + [CITATIONS] * citations + ["events"] * events
        return Change(columns, variants, citations, events)

    def _resolve_references(self, parsed: ParsedRow) -> None:
        for column, slug in parsed.places.items():
            if slug and slug not in self.places:
                parsed.problem(column, _("Unknown place “%(slug)s”; use the slug of a place in the registry.") % {"slug": slug})  # fmt: skip
        for key, _locator, _supports in parsed.citations or []:
            if key and key not in self.sources:
                parsed.problem(CITATIONS, _("Unknown source key “%(key)s”.") % {"key": key})
        for event in parsed.events or []:
            if event not in self.events:
                parsed.problem("events", _("Unknown event “%(uuid)s”.") % {"uuid": event})

    def _apply(self, parsed: ParsedRow, victim: Victim, *, new: bool) -> None:
        values = dict(parsed.values)
        status = values.pop("status", None)
        for name, value in values.items():
            if value == "" and getattr(victim, name, None) is None:
                continue  # translation columns are nullable: empty in the file is the same as NULL here
            setattr(victim, name, value)
        for column, slug in parsed.places.items():
            setattr(victim, f"{column}_id", self.places.get(slug) if slug else None)
        if new:
            victim.status = status if (status and self.may_publish) else Status.DRAFT
        elif status and self.may_publish:
            victim.status = status

    @staticmethod
    def _validate(parsed: ParsedRow, victim: Victim) -> None:
        """The model's own rules (``clean()``) and the column lengths; choices, dates and numbers were
        checked while parsing. ``clean_fields()`` is not used: it costs a third of an import's time
        and would refuse an empty family name that ``clean()`` allows beside a given name."""
        for column, value in parsed.values.items():
            limit = MAX_LENGTHS.get(column)
            if limit and value and len(value) > limit:
                parsed.problem(column, _("At most %(limit)d characters.") % {"limit": limit})
        for name, _script, _kind in parsed.variants or []:
            if len(name) > MAX_LENGTHS["variant"]:
                parsed.problem(VARIANTS, _("A spelling has at most %(limit)d characters.") % {"limit": MAX_LENGTHS["variant"]})  # fmt: skip
        for _key, locator, supports in parsed.citations or []:
            if len(locator) > MAX_LENGTHS["locator"] or len(supports) > MAX_LENGTHS["supports"]:
                parsed.problem(CITATIONS, _("A locator has at most %(locator)d characters, what it supports at most %(supports)d.") % {  # fmt: skip
                    "locator": MAX_LENGTHS["locator"], "supports": MAX_LENGTHS["supports"]})  # fmt: skip
        if parsed.problems:
            return
        try:
            victim.clean()
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                column = {"birth_precision": "birth_date", "death_precision": "death_date", "__all__": ""}.get(
                    column, column
                )
                for message in messages:
                    parsed.problem(column, message)

    @staticmethod
    def _check_publication(parsed: ParsedRow, victim: Victim, *, stored_status, stored_citations: int) -> None:
        """The registry's publication rule, reported on the row: a person who becomes published, or
        stays published while the file removes every citation, needs at least one citation."""
        cited = len(parsed.citations) if parsed.citations is not None else stored_citations
        if victim.status != Status.PUBLISHED or cited or (stored_status == Status.PUBLISHED and not stored_citations):
            return
        try:
            record_check_publication(victim, was_published=False, citation_count=cited)
        except ValidationError as error:
            parsed.problem(CITATIONS, error.messages[0])

    def assign_slugs(self, victims: list[Victim]) -> None:
        """Give new people without a slug one made from the name, unique in the registry and the file."""
        wanted = []
        for victim in victims:
            if not victim.slug:
                base = slugify(slug_text(f"{victim.given_name} {victim.family_name}"))[:180] or "person"
                wanted.append((victim, base))
        candidates = {f"{base}-{n}" if n > 1 else base for _v, base in wanted for n in range(1, SLUG_TRIES + 1)}
        taken = set(Victim.objects.filter(slug__in=candidates).values_list("slug", flat=True)) | set(self.slug_rows)
        for victim, base in wanted:
            n = self.slug_next.get(base, 1)
            while (slug := f"{base}-{n}" if n > 1 else base) in taken:
                n += 1
                if n > SLUG_TRIES and base not in self.slug_next:
                    n = self._highest_suffix(base) + 1
            self.slug_next[base] = n + 1
            taken.add(slug)
            victim.slug = slug

    @staticmethod
    def _highest_suffix(base: str) -> int:
        slugs = Victim.objects.filter(slug__regex=rf"^{re.escape(base)}-[0-9]+$").values_list("slug", flat=True)
        return max([int(s.rsplit("-", 1)[1]) for s in slugs] or [1])
