"""URL reversing in the render: the remembered ``reverse`` (common.reversing) against Django's, in one
process, alternating request by request on the same database (bench/README.md, "URL reversing in
the render").

    .venv/bin/python -m bench.reversing [--rounds 150] [--pages person,home,registry,search,timeline]

"Old" bypasses the cache (every ``{% url %}``, switcher link and source link goes to ``reverse``, as
before common.reversing); "new" uses it. Person pages and searches rotate over many people and
names, each met once per mode, so a person's own URLs (its slug's) are reversed, not remembered;
only the URLs that are the same on many pages can be answered from the cache. Prints, per page and
mode, the in-process CPU per request (``time.process_time``) at p10/p50 and the number of
``reverse`` calls per request that reached the URL resolver.
"""

from __future__ import annotations

import argparse
import os
import time

from bench import env
from bench.report import percentile

PAGES = ("person", "home", "registry", "search", "timeline")
LANGUAGES = ("az", "en", "ru")


def urls(page: str, count: int) -> list[str]:
    """``count`` URLs of this page, spread over the three languages (and people, pages, names)."""
    from django.db.models import Count
    from django.urls import reverse
    from django.utils import translation

    from victims.models import Status, Victim

    published = Victim.objects.filter(status=Status.PUBLISHED)
    if page == "person":
        # People with sources first (the page reverses two URLs per source), then any.
        slugs = list(
            published.annotate(n=Count("citations")).filter(n__gte=2).order_by("id").values_list("slug", flat=True)[:count]
        )
    elif page == "search":
        names = published.order_by("id").values_list("family_name", flat=True).distinct()
        slugs = list(dict.fromkeys(names[: count * 3]))[:count]
    result = []
    for n in range(count):
        with translation.override(LANGUAGES[n % 3]):
            if page == "person":
                result.append(reverse("victims:victim_detail", kwargs={"slug": slugs[n % len(slugs)]}))
            elif page == "home":
                result.append(reverse("home"))
            elif page == "registry":
                result.append(reverse("victims:victim_list") + f"?page={n % 50 + 1}")
            elif page == "search":
                result.append(reverse("victims:victim_list") + f"?q={slugs[n % len(slugs)]}")
            elif page == "timeline":
                result.append(reverse("victims:event_list"))
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=150, help="requests per page and mode")
    parser.add_argument("--pages", default=",".join(PAGES))
    args = parser.parse_args(argv)
    env.configure(env.database_url())
    import django

    django.setup()
    from django.test import Client
    from django.urls.resolvers import URLResolver

    from common import reversing

    calls = [0]
    original = URLResolver._reverse_with_prefix

    def counted(self, *a, **kw):
        calls[0] += 1
        return original(self, *a, **kw)

    URLResolver._reverse_with_prefix = counted
    keyed = reversing._key
    modes = {"old": lambda *a: None, "new": keyed}
    client = Client()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'page':10} {'mode':4} {'CPU ms p10':>10} {'p50':>7} {'reverse/req':>11} {'bytes':>7} {'old-new p50 (pairs)':>20}")
    for page in args.pages.split(","):
        addresses = urls(page, args.rounds)
        for address in addresses[:6]:  # warm-up: templates, translations, the connection
            client.get(address)
        cpu = {"old": [], "new": []}
        reverses = {"old": [], "new": []}
        size = {}
        for n, address in enumerate(addresses):
            for mode in ("old", "new") if n % 2 else ("new", "old"):
                reversing._key = modes[mode]
                calls[0] = 0
                started = time.process_time()
                response = client.get(address)
                cpu[mode].append((time.process_time() - started) * 1000)
                reverses[mode].append(calls[0])
                assert response.status_code == 200, (address, response.status_code)
                size.setdefault(mode, set()).add(len(response.content))
        reversing._key = keyed
        # Each address was requested once in each mode, one after the other: the median of the
        # differences of those pairs is the least disturbed by the load's drift.
        paired = percentile([old - new for old, new in zip(cpu["old"], cpu["new"], strict=True)], 50)
        for mode in ("old", "new"):
            print(
                f"{page:10} {mode:4} {percentile(cpu[mode], 10):10.2f} {percentile(cpu[mode], 50):7.2f}"
                f" {sum(reverses[mode]) / len(reverses[mode]):11.1f} {max(size[mode]):7}"
                + (f" {paired:20.3f}" if mode == "new" else "")
            )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
