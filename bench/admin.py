"""The admin at the largest size: the people's change list, its search, and one change form.

A benchmark superuser is signed in with ``force_login``; production requires a second factor
for staff, so the session is also verified with a confirmed django-otp static device (the OTP
middleware checks it on every request, as for a real curator).
"""

from __future__ import annotations

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench import generate
from bench.report import Table, percentile

USERNAME = "bench-admin"


def signed_in_client() -> Client:
    from django.contrib.auth import get_user_model

    user, created = get_user_model().objects.get_or_create(
        username=USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "bench@example.org"}
    )
    if created:
        user.set_unusable_password()
        user.save()
    client = Client()
    client.force_login(user)
    try:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_static.models import StaticDevice
    except ImportError:
        return client
    device, _ = StaticDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def measure(size: int, *, repeats: int = 15, log=print) -> list[dict]:
    client = signed_in_client()
    changelist = reverse("admin:victims_victim_changelist")
    p = generate.person(0)
    from victims.models import Victim

    victim = Victim.objects.filter(slug=p.slug()).first()
    pages = {
        "change list": changelist,
        "change list search": f"{changelist}?q={generate.plain(p.family_name)}",
        "change list filtered": f"{changelist}?status__exact=published&category__exact=killed",
        "change form": reverse("admin:victims_victim_change", args=[victim.pk]) if victim else None,
    }
    table = Table(
        f"Admin at {size:,} people (in-process, signed-in superuser, {repeats} requests each)",
        [("page", 22), ("status", 6), ("p50 ms", 8), ("p95 ms", 8), ("CPU ms", 7), ("queries", 7), ("url", 60)],
    )
    rows = []
    for name, url in pages.items():
        if not url:
            continue
        response = client.get(url)  # warm-up
        if response.status_code != 200:
            rows.append({"size": size, "page": name, "url": url, "status": response.status_code})
            table.row(name, str(response.status_code), "-", "-", "-", "-", f"{url} → {response.get('Location', '')}")
            continue
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries = len(captured.captured_queries)  # read now: the next request clears the log
        times, cpu = [], []
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        row = {
            "size": size, "page": name, "url": url, "status": 200,
            "p50_ms": round(percentile(times, 50), 1), "p95_ms": round(percentile(times, 95), 1),
            # This process's CPU time per request (p50): what other work on the machine changes least.
            "cpu_ms": round(percentile(cpu, 50), 1), "queries": queries,
        }  # fmt: skip
        rows.append(row)
        table.row(name, "200", row["p50_ms"], row["p95_ms"], row["cpu_ms"], row["queries"], url)
    return rows
