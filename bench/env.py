"""The benchmark's own database and environment, set up before Django starts.

The benchmarks never touch the development database: they use ``BENCH_DATABASE_URL`` when set,
otherwise a database ``memorial_bench`` in the project's own PostgreSQL cluster. Django runs
with the production settings (DEBUG off, the hashed static files of WhiteNoise), a throwaway
secret key, and static and media folders of its own under ``var/bench/``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DB = "memorial_bench"
VAR = BASE_DIR / "var" / "bench"
STATIC_ROOT = VAR / "static"
MEDIA_ROOT = VAR / "media"
PRIVATE_ROOT = VAR / "private"
HOSTS = "127.0.0.1,localhost,testserver"


def database_url() -> str:
    """``BENCH_DATABASE_URL``, or the ``memorial_bench`` database of the project's cluster (created if missing)."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        return url
    from common import localdb

    cluster = localdb.start(quiet=True)
    localdb.ensure_database(cluster, localdb.find_bindir(), BENCH_DB)
    return cluster.database_url(BENCH_DB)


def recreate_database() -> bool:
    """Drop and create the benchmark database of the project's cluster; False with BENCH_DATABASE_URL."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return False
    from django.db import connections

    from common import localdb

    connections.close_all()
    cluster = localdb.Cluster(localdb.cluster_root())
    bindir = localdb.find_bindir()
    localdb._psql(cluster, bindir, f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
    localdb.ensure_database(cluster, bindir, BENCH_DB)
    return True


def production_environment(url: str) -> dict[str, str]:
    """The environment of the benchmarked site: production settings on loopback, plain HTTP."""
    for folder in (STATIC_ROOT, MEDIA_ROOT, PRIVATE_ROOT):
        folder.mkdir(parents=True, exist_ok=True)
    return {
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOSTS,
        "SITE_URL": "http://127.0.0.1",
        "MEMORIAL_CONTACT_EMAIL": "curators@bench.invalid",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_LOG_LEVEL": "ERROR",
        "DATABASE_URL": url,
        "DJANGO_STATIC_ROOT": str(STATIC_ROOT),
        "DJANGO_MEDIA_ROOT": str(MEDIA_ROOT),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(PRIVATE_ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # In-process sections time the views themselves (the load section turns the page cache on
        # for its cached pass) and count every query a page issues, the generation's too (gunicorn
        # runs with the deployed default of 1 s).
        "PAGE_CACHE_ENABLED": "false",
        "REGISTRY_GENERATION_TTL": "0",
        # wrk loads the API from one address: the limit is counted (its cost is measured), never reached.
        "API_RATE_LIMIT": "1000000000",
    }


def served(environment: dict[str, str], *, page_cache: bool = True) -> dict[str, str]:
    """The environment of a gunicorn serving the site as deployed: the generation read once a
    second per worker, the page cache on (or off, for the uncached pass)."""
    return {**environment, "PAGE_CACHE_ENABLED": str(page_cache).lower(), "REGISTRY_GENERATION_TTL": "1"}


def configure(url: str) -> dict[str, str]:
    """Put the benchmark's environment into this process (call before ``django.setup()``)."""
    environment = production_environment(url)
    os.environ.update(environment)
    return environment


def prepare(log=print) -> None:
    """Migrate the benchmark database, load the initial content, compile messages, collect static files."""
    from django.core.management import CommandError, call_command

    log("Migrating the benchmark database and loading the initial content")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_initial_content", verbosity=0)
    log("Compiling messages and collecting static files into var/bench/static")
    try:
        call_command("compilemessages", ignore=[".venv", "var"], verbosity=0)
    except CommandError as error:  # no gettext: the pages fall back to the English source strings
        log(f"compilemessages: {error}")
    call_command("collectstatic", interactive=False, verbosity=0)
