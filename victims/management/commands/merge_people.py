"""Merge two records of one person: ``manage.py merge_people KEEP MERGED [--dry-run]``.

KEEP and MERGED are UUIDs or slugs (a former slug works too). Name variants, citations, photos
and events move to the kept record, and so do the rows other apps register a mover for
(contributions and candles, victims.merging.register_mover); where both records fill a field, the kept record's value
wins; fields the kept record leaves empty are filled from the merged one. The merged record
takes the status ``merged`` and its addresses redirect to the kept one (victims.merging).
One transaction; ``--dry-run`` prints what would move and writes nothing.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from victims.management.users import user_option
from victims.merging import victim_merge, victim_merge_plan
from victims.models import Victim, VictimSlug


def find_person(key: str) -> Victim:
    """The person a UUID, a slug or a former slug names; CommandError when none does."""
    try:
        victim = Victim.objects.filter(uuid=uuid.UUID(key)).first()
    except ValueError:
        victim = Victim.objects.filter(slug=key).first()
        if victim is None:
            former = VictimSlug.objects.filter(slug=key).select_related("victim").first()
            victim = former.victim if former else None
    if victim is None:
        raise CommandError(f"No person with the UUID or slug {key!r}.")
    return victim


class Command(BaseCommand):
    help = "Merge the record MERGED into the record KEEP (UUIDs or slugs); the kept record's values win."

    def add_arguments(self, parser):
        parser.add_argument("keep", help="UUID or slug of the record to keep.")
        parser.add_argument("merged", help="UUID or slug of the duplicate to merge into it.")
        parser.add_argument("--dry-run", action="store_true", help="Print what would move; write nothing.")
        parser.add_argument("--user", help="Record this username (an Editor) in both records' history.")

    def handle(self, *args, **options):
        keep, merged = find_person(options["keep"]), find_person(options["merged"])
        try:
            if options["dry_run"]:
                plan = victim_merge_plan(keep=keep, merged=merged)
            else:
                plan = victim_merge(keep=keep, merged=merged, user=user_option(options["user"]))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if options["verbosity"] >= 1:
            for line in plan.lines():
                self.stdout.write(line)
            self.stdout.write("Dry run: nothing was written." if options["dry_run"] else "Merged.")
