"""Settings come from the environment; production refuses unsafe configurations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 20 + "-a-long-random-production-secret-for-tests-only"


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
    production = run_django({"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": GOOD_KEY}, code)
    assert production.returncode == 0, production.stderr
    assert production.stdout.split() == ["True"]
    development = run_django({"DJANGO_ENV": "development"}, code)
    assert development.stdout.split() == ["False"]
