"""The data quality page for Editors: what records still lack, each a count and a link to the
admin list it filters (victims.quality)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.translation import gettext as _

from common.partialdates import Precision, format_partial_date
from victims import services
from victims.quality import events_period, quality_report
from victims.staff_views import _context, permission_required


@permission_required(services.PUBLISH)
def quality_view(request):
    first, last = events_period()
    return render(request, "staff/quality.html", _context(
        request, title=_("Data quality"), lines=quality_report(),
        period_first=format_partial_date(first, Precision.DAY), period_last=format_partial_date(last, Precision.DAY),
    ))  # fmt: skip
