"""The site as deployed, for tests: gunicorn with the production settings on a free port of
127.0.0.1, serving the test's own (committed) database."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

GENERATION_TTL = 1.0  # the deployed default, as the README states it


def database_url(conf: dict | None = None) -> str:
    conf = conf or connection.settings_dict
    host = quote(conf["HOST"] or "", safe="")
    user = quote(conf["USER"] or "", safe="")
    password = f":{quote(conf['PASSWORD'], safe='')}" if conf["PASSWORD"] else ""
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{conf['NAME']}"


def production_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    environment = {
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "synthetic-test-key-" + "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DATABASE_URL": database_url(),
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "DJANGO_SETTINGS_MODULE": os.environ.get("DEPLOYED_SETTINGS_MODULE", "config.settings"),
        "PAGE_CACHE_ENABLED": "true",
        "REGISTRY_GENERATION_TTL": str(GENERATION_TTL),
        # What production refuses to start without (a real contact address, the canonical origin).
        "MEMORIAL_CONTACT_EMAIL": "curators@memorial.test",
        "SITE_URL": "https://memorial.test",
    }
    environment.update(extra)
    return environment


def collect_static(environment: dict[str, str]) -> None:
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=settings.BASE_DIR, env={**os.environ, **environment}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert collected.returncode == 0, collected.stderr


@contextmanager
def gunicorn(environment: dict[str, str], log: Path, workers: int = 2):
    from bench.load import Gunicorn

    collect_static(environment)
    with Gunicorn(environment, workers=workers, log=log, ready_path="/healthz") as server:
        yield server


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={"Host": "127.0.0.1", **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — loopback only
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()
