"""Settings come from the environment; production refuses unsafe configurations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "-a-long-random-production-secret-for-tests-only"
# What production needs besides the secret key: the canonical origin and a real contact address.
PRODUCTION_ENV = {"SITE_URL": "https://memorial.example.org", "MEMORIAL_CONTACT_EMAIL": "curators@memorial.test"}


def run_django(env_overrides: dict[str, str], code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; {code}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_production_without_secret_key_fails_with_a_clear_message():
    result = run_django({"DJANGO_ENV": "production"}, "print('started')")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
    assert "started" not in result.stdout


def test_production_refuses_the_development_key():
    key = "insecure-development-key-never-use-in-production"
    result = run_django({"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": key}, "print('started')")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = run_django(
        {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": GOOD_KEY, "DJANGO_DEBUG": "true"}, "print('started')"
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG must be off" in result.stderr


def test_settings_read_the_environment():
    result = run_django(
        {
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": GOOD_KEY,
            **PRODUCTION_ENV,
            "DJANGO_ALLOWED_HOSTS": "memorial.example.org,www.memorial.example.org",
            "DJANGO_CSRF_TRUSTED_ORIGINS": "https://memorial.example.org",
            "DATABASE_URL": "postgres://someone:pw@db.example.org:5433/registry",
            "DJANGO_MEDIA_ROOT": "/srv/media",
            "DJANGO_STATIC_ROOT": "/srv/static",
            "DJANGO_TIME_ZONE": "Asia/Baku",
        },
        "d = settings.DATABASES['default']; "
        "print(settings.DEBUG, settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS, d['HOST'], d['PORT'], "
        "d['NAME'], str(settings.MEDIA_ROOT), str(settings.STATIC_ROOT), settings.TIME_ZONE, "
        "settings.SESSION_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS > 0)",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False", "['memorial.example.org',", "'www.memorial.example.org']", "['https://memorial.example.org']",
        "db.example.org", "5433", "registry", "/srv/media", "/srv/static", "Asia/Baku", "True", "True",
    ]  # fmt: skip


def test_development_turns_debug_on_and_uses_the_local_cluster():
    result = run_django({"DJANGO_ENV": "development"}, "print(settings.DEBUG, settings.DATABASES['default']['HOST'])")
    assert result.returncode == 0, result.stderr
    debug, host = result.stdout.split()
    assert debug == "True"
    assert host.endswith("/run")


def test_debug_is_off_by_default_outside_development(settings):
    assert settings.ENVIRONMENT == "test"
    assert settings.DEBUG is False


@pytest.mark.slow
def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="memorial.example.org",
        **PRODUCTION_ENV,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_manage_py_is_a_development_runner_and_wsgi_defaults_to_production():
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    manage = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", "from django.conf import settings; print(settings.ENVIRONMENT)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert manage.returncode == 0, manage.stderr
    assert manage.stdout.strip().splitlines()[-1] == "development"
    wsgi = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert wsgi.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in wsgi.stderr


@pytest.mark.django_db
def test_the_sites_connections_run_without_parallel_workers():
    """Parallel workers' start-up cost more than the site's short queries on a small server."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == "0"


def test_the_page_cache_is_on_in_production_and_off_under_debug():
    code = "print(settings.PAGE_CACHE_ENABLED)"
    production = run_django({"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": GOOD_KEY, **PRODUCTION_ENV}, code)
    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["True"]
    development = run_django({"DJANGO_ENV": "development"}, code)
    assert development.stdout.split() == ["False"]


PRODUCTION = {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": GOOD_KEY}


def test_production_refuses_to_start_without_an_https_site_url():
    code = "print('started', settings.SITE_URL)"
    contact = {"MEMORIAL_CONTACT_EMAIL": PRODUCTION_ENV["MEMORIAL_CONTACT_EMAIL"]}
    for site_url, message in [
        (None, "must be an origin"),
        ("http://memorial.example.org", "must start with https://"),
        ("https://memorial.example.org/memorial/", "origin only"),
        ("memorial.example.org", "must be an origin"),
    ]:
        env = {**PRODUCTION, **contact} | ({"SITE_URL": site_url} if site_url else {})
        result = run_django(env, code)
        assert result.returncode != 0, site_url
        assert "SITE_URL" in result.stderr and message in result.stderr, (site_url, result.stderr[-300:])
        assert "started" not in result.stdout
    started = run_django({**PRODUCTION, **contact, "SITE_URL": "https://memorial.example.org/"}, code)
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["started", "https://memorial.example.org"]
    # A site deliberately served over plain HTTP (the SSL redirect off, as the benchmarks do) may say so.
    plain = run_django(
        {**PRODUCTION, **contact, "SITE_URL": "http://127.0.0.1:8000", "DJANGO_SECURE_SSL_REDIRECT": "false"}, code
    )
    assert plain.returncode == 0, plain.stderr


def test_development_has_a_local_site_url():
    result = run_django({"DJANGO_ENV": "development"}, "print(settings.SITE_URL)")
    assert result.stdout.split() == ["http://127.0.0.1:8000"]


def test_production_refuses_an_example_org_contact_address():
    code = "print('started', settings.CONTACT_EMAIL)"
    site = {"SITE_URL": PRODUCTION_ENV["SITE_URL"]}
    for address in (None, "curators@example.org", "someone@memorial.example.org", "x@EXAMPLE.COM"):
        env = {**PRODUCTION, **site} | ({"MEMORIAL_CONTACT_EMAIL": address} if address else {})
        result = run_django(env, code)
        assert result.returncode != 0, address
        assert "MEMORIAL_CONTACT_EMAIL must be set" in result.stderr, address
        assert "started" not in result.stdout
    started = run_django({**PRODUCTION, **site, "MEMORIAL_CONTACT_EMAIL": "curators@notexample.org"}, code)
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["started", "curators@notexample.org"]
    # Outside production the placeholder is fine (make run, the tests).
    assert run_django({"DJANGO_ENV": "development"}, code).stdout.split() == ["started", "curators@example.org"]


def test_gunicorn_believes_forwarded_headers_from_the_sites_trusted_proxies_only():
    """gunicorn.conf.py: gunicorn's own scheme check trusts what DJANGO_TRUSTED_PROXIES names
    (gunicorn's default would trust any local process, whatever the site's configuration)."""
    code = "import runpy; print(repr(runpy.run_path('gunicorn.conf.py')['forwarded_allow_ips']))"

    def allowed(**env) -> str:
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FORWARDED_"))} | env
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert allowed() == "''"
    assert allowed(DJANGO_BEHIND_PROXY="true") == "'127.0.0.1/32,::1/128'"
    assert allowed(DJANGO_BEHIND_PROXY="true", DJANGO_TRUSTED_PROXIES="10.0.0.5,10.1.0.0/16,unix") == (
        "'10.0.0.5/32,10.1.0.0/16'"
    )
