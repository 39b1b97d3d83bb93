"""How to cite a person's record: APA, MLA, Chicago and BibTeX, with the permanent URL and the date
it was accessed. The page is the same for every visitor on a given day (the page cache keys on the
day), so the access date is that day."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.partialdates import Precision, format_partial_date
from victims.models import Victim


@dataclass(frozen=True)
class Citations:
    url: str
    accessed: datetime.date
    apa: str
    mla: str
    chicago: str
    bibtex: str


def _date(value: datetime.date) -> str:
    return format_partial_date(value, Precision.DAY)


_MONTH_DAY = {"en": "F j", "az": "j F", "ru": "j E"}  # APA's "(2026, November 30)", per language


def _month_day(value: datetime.date) -> str:
    language = (get_language() or "en").split("-")[0]
    text = formats.date_format(value, _MONTH_DAY.get(language, "F j"))
    return text if language == "en" else text.lower()


def _bibtex_escape(text: str) -> str:
    return re.sub(r"([{}\\%&$#_])", r"\\\1", text)


def record_citations(victim: Victim, url: str, *, accessed: datetime.date | None = None) -> Citations:
    """The ways to cite ``victim``'s page at ``url`` (its permanent address), accessed on ``accessed``."""
    accessed = accessed or timezone.localdate()
    site = str(settings.SITE_NAME)
    name = str(victim)
    changed = timezone.localdate(victim.updated_at) if victim.updated_at else accessed
    year = changed.year
    apa = _("%(site)s. (%(year)s, %(date)s). %(name)s. %(site)s. Retrieved %(accessed)s, from %(url)s") % {
        "site": site, "year": year, "date": _month_day(changed), "name": name, "accessed": _date(accessed), "url": url,
    }  # fmt: skip
    mla = _("“%(name)s.” %(site)s, %(date)s, %(url)s. Accessed %(accessed)s.") % {
        "name": name, "site": site, "date": _date(changed), "url": url, "accessed": _date(accessed),
    }  # fmt: skip
    chicago = _("%(site)s. “%(name)s.” Last modified %(date)s. Accessed %(accessed)s. %(url)s.") % {
        "site": site, "name": name, "date": _date(changed), "accessed": _date(accessed), "url": url,
    }  # fmt: skip
    key = "bjm-" + re.sub(r"[^a-z0-9]+", "-", victim.slug.lower()).strip("-")
    bibtex = "\n".join([
        f"@misc{{{key},",
        f"  author = {{{{{_bibtex_escape(site)}}}}},",
        f"  title = {{{_bibtex_escape(name)}}},",
        f"  year = {{{year}}},",
        f"  howpublished = {{{_bibtex_escape(site)}}},",
        f"  url = {{{url}}},",
        f"  urldate = {{{accessed.isoformat()}}},",
        "}",
    ])  # fmt: skip
    return Citations(url=url, accessed=accessed, apa=apa, mla=mla, chicago=chicago, bibtex=bibtex)
