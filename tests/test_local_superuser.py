"""`make run` prints where to log in: the admin at the address it serves (HOST and PORT), not a
fixed port 8000."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db


def test_the_printed_admin_address_is_the_one_served(settings):
    out = io.StringIO()
    call_command("ensure_local_superuser", "--site-url", "http://127.0.0.1:8123", stdout=out)
    assert "Log in at http://127.0.0.1:8123/admin/ as 'admin'" in out.getvalue()


def test_without_an_address_the_site_url_is_used(settings):
    settings.SITE_URL = "http://localhost:8124"
    out = io.StringIO()
    call_command("ensure_local_superuser", stdout=out)
    assert "Log in at http://localhost:8124/admin/ as" in out.getvalue()


def test_make_passes_its_host_and_port_to_the_command():
    result = subprocess.run(
        ["make", "-n", "superuser", "PORT=8123", "HOST=127.0.0.2"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    [line] = [line for line in result.stdout.splitlines() if "ensure_local_superuser" in line]
    assert line.endswith("ensure_local_superuser --site-url http://127.0.0.2:8123")


def test_make_run_builds_links_for_the_address_it_serves():
    result = subprocess.run(["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = [line for line in result.stdout.splitlines() if "runserver" in line or "publish_dataset" in line]
    assert len(lines) == 2
    assert all(line.startswith("SITE_URL=http://127.0.0.1:8123 ") for line in lines), lines


def test_a_site_url_given_wins():
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8123", "SITE_URL=https://memorial.example.org"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    [line] = [line for line in result.stdout.splitlines() if "runserver" in line]
    assert line.startswith("SITE_URL=https://memorial.example.org ")
