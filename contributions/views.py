"""The visitors' pages: forms on pages of their own (never on the cached public pages), the
thank-you and privacy pages, and the withdrawal link from the confirmation email."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from common.partialdates import iso_partial_date
from contributions import ratelimit, services
from contributions.forms import CandleMessageForm, CorrectionForm, PhotoForm, TestimonyForm
from contributions.models import ContributionStatus, Kind
from victims.models import Victim

SUBMISSIONS_PER_HOUR = 5


def too_many(request):
    return render(request, "contributions/too_many.html", status=429)


class ContributionFormView(FormView):
    template_name = "contributions/form.html"
    kind = Kind.TESTIMONY
    victim = None

    def dispatch(self, request, *args, **kwargs):
        if "slug" in kwargs:
            self.victim = get_object_or_404(Victim.objects.published(), slug=kwargs["slug"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind=self.kind, victim=self.victim, **kwargs)

    def form_valid(self, form):
        if form.honeypot_tripped:  # a robot: answered as if accepted, nothing kept
            return redirect("contributions:thanks")
        if ratelimit.over_limit(
            self.request, scope="submit", limit=getattr(settings, "CONTRIBUTIONS_PER_HOUR", SUBMISSIONS_PER_HOUR)
        ):
            return too_many(self.request)
        contribution = form.save(commit=False)
        contribution.kind, contribution.victim, contribution.language = self.kind, self.victim, get_language()
        try:
            services.contribution_submit(contribution=contribution, upload=form.cleaned_data.get("upload"))
        except ValidationError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        return redirect("contributions:thanks")


class TestimonyView(ContributionFormView):
    form_class = TestimonyForm
    kind = Kind.TESTIMONY


class CorrectionView(ContributionFormView):
    form_class = CorrectionForm
    kind = Kind.CORRECTION

    def get_initial(self):
        v = self.victim
        return {
            "family_name": v.family_name, "given_name": v.given_name, "patronymic": v.patronymic,
            "birth_date": iso_partial_date(v.birth_date, v.birth_precision),
            "death_date": iso_partial_date(v.death_date, v.death_precision),
        }  # fmt: skip


class PhotoView(ContributionFormView):
    form_class = PhotoForm
    kind = Kind.PHOTO


class CandleMessageView(ContributionFormView):
    """A message left with a candle: shown under the others once a curator approves it."""

    form_class = CandleMessageForm
    kind = Kind.CANDLE_MESSAGE

    def get_context_data(self, **kwargs):
        approved = self.victim.contributions.filter(kind=Kind.CANDLE_MESSAGE, status=ContributionStatus.ACCEPTED)
        return super().get_context_data(candle_messages=approved.only("message", "created_at"), **kwargs)


class ThanksView(TemplateView):
    template_name = "contributions/thanks.html"


class PrivacyView(TemplateView):
    template_name = "contributions/privacy.html"


@never_cache
def withdraw(request, token: str):
    """The link in the sender's email: a page that asks, then withdraws on POST."""
    contribution = services.contribution_by_token(token=token)
    if contribution is None:
        return render(request, "contributions/withdraw.html", {"unknown": True}, status=404)
    done = contribution.status == ContributionStatus.WITHDRAWN
    error = None
    if request.method == "POST" and not done:
        try:
            services.contribution_withdraw(contribution=contribution)
            done = True
        except ValidationError as refused:
            error = refused.messages[0]
    return render(request, "contributions/withdraw.html", {"contribution": contribution, "done": done, "error": error})
