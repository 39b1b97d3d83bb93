"""The admin home's "What needs me now": for each role, what waits for it, with counts and links.

Each provider takes the request and yields :class:`WorkItem`\\ s for the signed-in user; the home
page shows them in order. A later part of the registry (public contributions waiting for a
curator, for example) adds its own with :func:`worklist_provider`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from victims import services
from victims.models import Event, Photo, Victim
from victims.staff_views import pending_import


@dataclass(frozen=True)
class WorkItem:
    text: str  # "3 people are in review"
    count: int
    url: str


Provider = Callable[[object], Iterable[WorkItem]]
PROVIDERS: list[Provider] = []


def worklist_provider(provider: Provider) -> Provider:
    """Register ``provider`` (a function of the request) for the admin home."""
    PROVIDERS.append(provider)
    return provider


def worklist(request) -> list[WorkItem]:
    """What waits for the signed-in user, from every provider."""
    return [item for provider in PROVIDERS for item in provider(request)]


def _changelist(model, query: str) -> str:
    return f"{reverse(f'admin:victims_{model._meta.model_name}_changelist')}?{query}"


@worklist_provider
def records_in_review(request) -> Iterable[WorkItem]:
    """Editors: records submitted for review."""
    if not request.user.has_perm(services.PUBLISH):
        return
    people, events = Victim.objects.in_review().count(), Event.objects.in_review().count()
    if people:
        text = ngettext("%(n)d person is in review", "%(n)d people are in review", people) % {"n": people}
        yield WorkItem(text, people, _changelist(Victim, "status__exact=review"))
    if events:
        text = ngettext("%(n)d event is in review", "%(n)d events are in review", events) % {"n": events}
        yield WorkItem(text, events, _changelist(Event, "status__exact=review"))


@worklist_provider
def records_returned_to_draft(request) -> Iterable[WorkItem]:
    """Curators: records an Editor sent back to draft."""
    user = request.user
    if not user.has_perm(services.SUBMIT) or (user.has_perm(services.PUBLISH) and not user.is_superuser):
        return
    people, events = Victim.objects.returned_to_draft().count(), Event.objects.returned_to_draft().count()
    if people:
        text = ngettext("%(n)d person was returned to draft", "%(n)d people were returned to draft", people) % {
            "n": people
        }
        yield WorkItem(text, people, _changelist(Victim, "returned=yes"))
    if events:
        text = ngettext("%(n)d event was returned to draft", "%(n)d events were returned to draft", events) % {
            "n": events
        }
        yield WorkItem(text, events, _changelist(Event, "returned=yes"))


@worklist_provider
def photos_waiting(request) -> Iterable[WorkItem]:
    """Curators and Editors: people with a photo waiting for approval (a visitor's photo)."""
    if not request.user.has_perm("victims.change_photo"):
        return
    people = Victim.objects.filter(pk__in=Photo.objects.filter(is_published=False).values("victim_id")).count()
    if people:
        text = ngettext(
            "%(n)d person has a photo waiting for approval", "%(n)d people have photos waiting for approval", people
        ) % {"n": people}
        yield WorkItem(text, people, _changelist(Victim, "photos=unapproved"))


@worklist_provider
def import_waiting(request) -> Iterable[WorkItem]:
    """Data staff: an uploaded file held back until its preview is confirmed."""
    if not request.user.has_perm("victims.import_registry"):
        return
    pending = pending_import(request)
    if pending is not None:
        text = _("The import of “%(file)s” is held back until you confirm it") % {"file": pending[1]["name"]}
        yield WorkItem(text, 1, reverse("staff:import_preview"))


# Public contributions waiting for a curator (a later issue) register their provider here.
