"""Reads of the registry. Every public read starts from ``published()``."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib.postgres.lookups import TrigramWordSimilar
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connections, models
from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.query import ModelIterable
from django.db.models.sql.where import WhereNode

from victims.normalize import SPELLING_SEPARATOR, search_key, spelling_key

PUBLISHED = "published"


class WorkflowQuerySet(models.QuerySet):
    """Reads of the publication workflow, for the admin's "what needs me now"."""

    def in_review(self):
        """Records waiting for an Editor."""
        return self.filter(status="review")

    def returned_to_draft(self):
        """Drafts that had already been submitted (an Editor sent them back): the Curators' turn."""
        submitted_once = self.model.history.filter(status__in=["review", PUBLISHED, "withdrawn"]).values("id")
        return self.filter(status="draft", pk__in=submitted_once)


PRIMARY_PHOTO_IN_ROW = "primary_photo_in_row"


class PrimaryPhotoInRowIterable(ModelIterable):
    """People whose primary photo came in their own row (``VictimQuerySet.with_primary_photo_in_row``),
    each with it as ``primary_photos`` (a list of at most one photo), as the prefetch gives it."""

    def __iter__(self):
        photo = self.queryset.model._meta.get_field("photos").related_model
        db = self.queryset.db
        names = None  # every row's object has the same keys (_primary_photo_sql)
        for person in super().__iter__():
            row = person.__dict__.pop(PRIMARY_PHOTO_IN_ROW, None)
            if row:
                # from_db takes the values in the order of the model's fields (a JSON object has its own).
                if names is None:
                    names = [field.attname for field in photo._meta.concrete_fields if field.attname in row]
                person.primary_photos = [photo.from_db(db, names, [row[name] for name in names])]
            else:
                person.primary_photos = []
            yield person


@functools.cache
def _primary_photo_sql(people_model, photo_model, db: str) -> str:
    """The subquery of ``with_primary_photo_in_row`` (written once per process and database)."""
    photos = photo_model._meta
    people = people_model._meta
    quote = connections[db].ops.quote_name
    columns = ["id", "renditions", *(f"alt_text_{code}" for code, _name in settings.LANGUAGES)]
    pairs = ", ".join(f"'{column}', {quote(photos.get_field(column).column)}" for column in columns)
    # Names from the models' metadata, quoted: nothing here comes from a request.
    return (
        f"SELECT jsonb_build_object({pairs}) FROM {quote(photos.db_table)}"  # noqa: S608
        f" WHERE {quote(photos.get_field('victim').column)} = {quote(people.db_table)}.{quote(people.pk.column)}"
        f" AND {quote(photos.get_field('is_primary').column)} AND {quote(photos.get_field('is_published').column)}"
    )


class VictimQuerySet(WorkflowQuerySet):
    def _related(self, name: str) -> models.QuerySet:
        """All rows of the model behind the relation ``name``, found through the relation so that
        this module need not import victims.models (which imports it)."""
        return self.model._meta.get_field(name).related_model._default_manager.all()

    def published(self) -> VictimQuerySet:
        """Only what visitors may see."""
        return self.filter(status=PUBLISHED)

    def with_primary_photo(self) -> VictimQuerySet:
        """Prefetch each person's primary photo (at most one) as ``primary_photos``."""
        photos = self._related("photos")
        return self.prefetch_related(
            Prefetch("photos", queryset=photos.published().filter(is_primary=True), to_attr="primary_photos")
        )

    def with_primary_photo_in_row(self) -> VictimQuerySet:
        """Each person's primary photo (at most one: a constraint) as ``primary_photos``, read in the
        person's own row: the columns a name card shows of it, the rest deferred. (A prefetch is a
        second query; building it, or the same subquery as an ORM expression, took a sixth of a
        registry page's time.)"""
        sql = _primary_photo_sql(self.model, self._related("photos").model, self.db)
        photo = RawSQL(f"({sql})", (), output_field=models.JSONField())  # noqa: S611 - no parameters, names quoted
        queryset = self.annotate(**{PRIMARY_PHOTO_IN_ROW: photo})
        queryset._iterable_class = PrimaryPhotoInRowIterable
        return queryset

    # The columns a name card shows (victims.templatetags.public.victim_card). Loading the whole
    # row (biographies in three languages) took a third of a registry page's time.
    CARD_FIELDS = ("id", "slug", "display_name", "given_name", "patronymic", "family_name", "death_date",
                   "death_precision", "age", "original_language")  # fmt: skip

    def for_list(self) -> VictimQuerySet:
        """What a list of names needs: the card's columns and the primary photo."""
        return self.only(*self.CARD_FIELDS).with_primary_photo_in_row()

    # What a person is in the open data's lists (victims.api): the card plus sex, category, dates.
    SUMMARY_FIELDS = (*CARD_FIELDS, "uuid", "gender", "category", "birth_date", "birth_precision",
                      "place_of_death__slug", "place_of_death__name_az", "place_of_death__name_en",
                      "place_of_death__name_ru")  # fmt: skip

    def for_summary(self) -> VictimQuerySet:
        """What a list in the public API needs: a person's summary columns, place of death, primary photo."""
        return self.select_related("place_of_death").only(*self.SUMMARY_FIELDS).with_primary_photo()

    def for_detail(self) -> VictimQuerySet:
        """Everything a person's record shows (the API; the person page reads victims.pagedata), in a fixed number of queries."""
        return self.select_related("place_of_birth", "place_of_death", "burial_place").prefetch_related(
            "variants",
            Prefetch("photos", queryset=self._related("photos").published().order_by("-is_primary", "id")),
            Prefetch("citations", queryset=self._related("citations").select_related("source").order_by("id")),
            Prefetch("events", queryset=self._related("events").published().order_by("start_date", "start_time")),
        )

    def search(self, query: str) -> VictimQuerySet:
        """People whose names or name variants resemble ``query``, best matches first.

        Compares the query's search key with the stored keys by trigram word similarity
        (``%>``, served by the GIN index on ``search_document``); among equally near keys, the
        closest spelling (``spelling_key``, the document's last part) comes first.
        """
        key = search_key(query)
        if not key:
            return self.none()
        spellings = Func(
            F("search_document"), Value(SPELLING_SEPARATOR), Value(2), function="split_part", output_field=TextField()
        )
        return (
            self.filter(search_document__trigram_word_similar=key)
            .annotate(
                similarity=TrigramWordSimilarity(key, "search_document"),
                spelling_similarity=TrigramWordSimilarity(spelling_key(query), spellings),
            )
            .order_by("-similarity", "-spelling_similarity", "family_name", "given_name", "id")
        )


class UnestimatedKey(Func):
    """A search key sent as a one-row sub-select: PostgreSQL plans the statement without estimating
    how many documents it matches (see :func:`unestimated_search`)."""

    template = "(SELECT %(expressions)s::text)"
    output_field = TextField()


def unestimated_search(queryset: models.QuerySet) -> models.QuerySet:
    """``queryset`` with the key of its search (``search_document %> key``) as a sub-select, when
    it is ordered by similarity first (``search``'s own order); otherwise ``queryset`` itself.

    To estimate how many documents match a constant key, PostgreSQL's planner runs the word
    similarity against the column's statistics (about a hundred sampled documents): 1.4 ms of a
    one-word search's 9 ms of SQL at 100,000 people, on every statement, for an estimate no plan
    needs when the statement reads and scores every match anyway, as one ordered by similarity
    must (no index gives that order). A sub-select's value is not known while planning: the same
    rows, unestimated; the index scans it all the same. A search sorted by name, date or age keeps
    its key estimated: with a limit it could stop early, and the estimate keeps an ordered walk of
    the name index (testing every person, for a rare name) out of its plan.
    """
    if tuple(queryset.query.order_by[:1]) != ("-similarity",):
        return queryset
    clone = queryset.all()
    clone.query.where = _unestimated(clone.query.where)
    return clone


def _unestimated(node):
    if isinstance(node, WhereNode):
        copy = node.create(connector=node.connector, negated=node.negated)
        copy.children = [_unestimated(child) for child in node.children]
        return copy
    if isinstance(node, TrigramWordSimilar) and isinstance(node.rhs, str):
        return TrigramWordSimilar(node.lhs, UnestimatedKey(Value(node.rhs)))
    return node


class EventQuerySet(WorkflowQuerySet):
    def published(self) -> EventQuerySet:
        return self.filter(status=PUBLISHED)

    def for_timeline(self) -> EventQuerySet:
        return self.select_related("place").order_by("start_date", "start_time", "id")


class PlaceQuerySet(models.QuerySet):
    def public(self) -> PlaceQuerySet:
        """Places a published person or event refers to: a place named only by a draft stays unseen."""
        # The people and events models, found through the relations (this module is imported by victims.models).
        people = self.model._meta.get_field("deaths").related_model._default_manager.published()
        events = self.model._meta.get_field("events").related_model._default_manager.published()
        return self.filter(
            Exists(people.filter(place_of_death=OuterRef("pk")))
            | Exists(people.filter(place_of_birth=OuterRef("pk")))
            | Exists(people.filter(burial_place=OuterRef("pk")))
            | Exists(events.filter(place=OuterRef("pk")))
        )


class SourceQuerySet(models.QuerySet):
    def with_public_citation_counts(self) -> SourceQuerySet:
        """Annotate how many published people and events cite each source."""
        return self.annotate(
            victim_count=Count("citations__victim", filter=Q(citations__victim__status=PUBLISHED), distinct=True),
            event_count=Count("citations__event", filter=Q(citations__event__status=PUBLISHED), distinct=True),
        )


class PhotoQuerySet(models.QuerySet):
    def published(self) -> PhotoQuerySet:
        """Photos approved for publication (a visitor's photo waits unapproved)."""
        return self.filter(is_published=True)

    def public(self) -> PhotoQuerySet:
        """Approved photos of published people and events: what the media addresses serve."""
        return self.published().filter(Q(victim__status=PUBLISHED) | Q(event__status=PUBLISHED))
