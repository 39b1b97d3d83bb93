"""Staff pages for Editors: the pairs of people that may be one (victims.duplicates), side by side
with why each was flagged; "not the same person" (remembered) or a merge with a preview where
each conflicting field is chosen."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from victims import merging, services
from victims.duplicates import duplicate_mark_different
from victims.models import DuplicatePair, DuplicateVerdict, Photo, Victim
from victims.staff_views import _context, permission_required

REASONS = {
    "names": gettext_lazy("Names alike (similarity %(similarity)s)"),
    "birth_agrees": gettext_lazy("Dates of birth agree"),
    "birth_differs": gettext_lazy("Dates of birth differ"),
    "death_agrees": gettext_lazy("Dates of death agree"),
    "death_differs": gettext_lazy("Dates of death differ"),
    "same_place_of_death": gettext_lazy("Same place of death"),
    "same_place_of_birth": gettext_lazy("Same place of birth"),
    "same_patronymic": gettext_lazy("Same patronymic"),
    "different_patronymic": gettext_lazy("Different patronymics"),
    "similar_photo": gettext_lazy("Near-identical photos (%(bits)s of 64 bits differ)"),
}
PER_PAGE = 25


def reason_texts(reasons: list[dict]) -> list[dict]:
    texts = []
    for reason in reasons:
        label = REASONS.get(reason.get("code"), reason.get("code", ""))
        texts.append({"text": str(label) % reason, "negative": reason.get("code", "").endswith(("differs", "different_patronymic"))})
    return texts


def _people():
    return Victim.objects.select_related("place_of_birth", "place_of_death").prefetch_related(
        "variants", Prefetch("photos", queryset=Photo.objects.order_by("-is_primary", "id"))
    )


@permission_required(services.PUBLISH)
def duplicates_view(request):
    """Open pairs, most likely first, a page at a time."""
    pairs = DuplicatePair.objects.filter(verdict=DuplicateVerdict.OPEN).order_by("-score", "id")
    page = Paginator(pairs, PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    people = _people().in_bulk({pk for pair in rows for pk in (pair.first_id, pair.second_id)})
    for pair in rows:
        pair.people = [people[pair.first_id], people[pair.second_id]]
        for person in pair.people:
            person.thumbs = [(photo.rendition_url("thumb", "jpeg"), photo.alt_text) for photo in person.photos.all()
                             if photo.renditions.get("thumb")]  # fmt: skip
        pair.reason_texts = reason_texts(pair.reasons)
    return render(request, "staff/duplicates.html", _context(request, title=_("Possible duplicates"), page=page,
                                                               pairs=rows))  # fmt: skip


@require_POST
@permission_required(services.PUBLISH)
def duplicate_different_view(request, pk: int):
    pair = get_object_or_404(DuplicatePair, pk=pk, verdict=DuplicateVerdict.OPEN)
    duplicate_mark_different(pair=pair, user=request.user)
    messages.success(request, _("Marked as two different people; the pair will not be proposed again."))
    return HttpResponseRedirect(reverse("staff:duplicates"))


@require_http_methods(["GET", "POST"])
@permission_required(services.PUBLISH)
def duplicate_merge_view(request, pk: int):
    """Preview: which record is kept, every conflicting field with both values to choose from."""
    pair = get_object_or_404(DuplicatePair, pk=pk, verdict=DuplicateVerdict.OPEN)
    people = _people().in_bulk([pair.first_id, pair.second_id])
    keep_pk = request.POST.get("keep") or request.GET.get("keep") or str(pair.first_id)
    if keep_pk not in {str(pair.first_id), str(pair.second_id)}:
        keep_pk = str(pair.first_id)
    keep = people[int(keep_pk)]
    merged = people[pair.second_id if keep.pk == pair.first_id else pair.first_id]
    try:
        plan = merging.victim_merge_plan(keep=keep, merged=merged)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(reverse("staff:duplicates"))
    if request.method == "POST" and "confirm" in request.POST:
        choices = {name: "merged" for name in plan.conflicts if request.POST.get(f"field-{name}") == "merged"}
        try:
            merging.victim_merge(keep=keep, merged=merged, user=request.user, choices=choices)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(merged)s was merged into %(keep)s.") % {"merged": merged, "keep": keep})
            return HttpResponseRedirect(reverse("admin:victims_victim_change", args=[keep.pk]))
    conflicts = [
        {"name": name, "label": Victim._meta.get_field(name).verbose_name,
         "keep": _shown(keep, name), "merged": _shown(merged, name)}
        for name in plan.conflicts
    ]  # fmt: skip
    return render(request, "staff/duplicate_merge.html", _context(
        request, title=_("Merge two records"), pair=pair, keep=keep, merged=merged, plan=plan, conflicts=conflicts,
        filled=[Victim._meta.get_field(name).verbose_name for name in plan.filled],
    ))  # fmt: skip


def _shown(victim: Victim, name: str) -> str:
    """A field's value as the preview shows it (dates with their precision, choices by label)."""
    if name in ("birth_date", "death_date"):
        return getattr(victim, name.replace("_date", "_display"))
    display = getattr(victim, f"get_{name}_display", None)
    value = display() if display else getattr(victim, name)
    return str(value) if value not in (None, "") else "—"
