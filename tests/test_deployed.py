"""The public site as it is deployed: gunicorn, the production settings, persistent database
connections (``CONN_MAX_AGE`` left at its deployed default), hashed static files, behind a proxy
that terminates TLS.

The in-process tests run every request on the test's own connection, which earlier tests have
already used for everything; here each worker starts with a fresh connection of its own, and the
test cuts the workers' connections as a restarted database or a pooler would.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import translation

from tests.public_fixtures import public_records

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
HOST = "memorial.test"


def database_url() -> str:
    """The test database, as a ``DATABASE_URL`` for another process."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{quote(db['HOST'] or '', safe='')}{port}/{quote(db['NAME'], safe='')}"


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("static")


def production_environment(static_root: Path, media_root: Path) -> dict[str, str]:
    """As the README deploys it; DJANGO_BEHIND_PROXY because the test plays the TLS proxy."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "PAGE_CACHE"))}
    environment.update({
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_BEHIND_PROXY": "true",
        "SITE_URL": f"https://{HOST}",
        "MEMORIAL_CONTACT_EMAIL": f"curators@{HOST}",
        "DATABASE_URL": database_url(),
        "DJANGO_STATIC_ROOT": str(static_root),
        "DJANGO_MEDIA_ROOT": str(media_root),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(media_root.parent / "private"),
        "DJANGO_LOG_LEVEL": "ERROR",
    })  # fmt: skip
    return environment


class Gunicorn:
    """``gunicorn config.wsgi`` with two workers on a port the system chooses."""

    def __init__(self, environment: dict[str, str], log: Path):
        self.environment, self.log = environment, log
        self.port = 0

    def __enter__(self) -> Gunicorn:
        command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2", "--bind", "127.0.0.1:0",
                   "--log-level", "info", "--timeout", "60"]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=self.environment, stdout=self.log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.process.returncode}):\n{self.log.read_text()}")
            listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log.read_text())
            booted = self.log.read_text().count("Booting worker")
            if listening and booted == 2:
                self.port = int(listening.group(1))
                return self
            time.sleep(0.2)
        self.process.kill()
        pytest.fail(f"gunicorn did not start within 60 s:\n{self.log.read_text()}")

    def __exit__(self, *exc) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def get(self, path: str, *, https: bool = True) -> tuple[int, dict[str, str], str]:
        """GET ``path`` as the TLS proxy forwards it (or, with ``https=False``, as plain HTTP)."""
        headers = {"Host": HOST, "Accept-Language": "en"}
        if https:
            headers["X-Forwarded-Proto"] = "https"
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            client.request("GET", path, headers=headers)
            response = client.getresponse()
            body = response.read()
            kind = response.getheader("Content-Type", "")
            return response.status, dict(response.getheaders()), body.decode() if kind.startswith("text/") else ""
        finally:
            client.close()


def cut_worker_connections() -> int:
    """Terminate every other session of the test database, as a database restart would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def deployed(transactional_db, static_root, settings, tmp_path):
    """Gunicorn serving the test database: committed data (transactional_db) is what it sees."""
    environment = production_environment(static_root, Path(settings.MEDIA_ROOT))
    if not (static_root / "staticfiles.json").exists():
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
                       cwd=ROOT, env=environment, check=True, timeout=300)  # fmt: skip
    with Gunicorn(environment, tmp_path / "gunicorn.log") as server:
        yield server
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log


def test_public_flows_on_gunicorn_as_deployed(deployed):
    records = public_records()
    person = records["person"]
    with translation.override("en"):
        registry = reverse("victims:victim_list")
        pages = {
            "home": (reverse("home"), "Black January"),
            "registry": (registry, person.display_name),
            "search": (f"{registry}?q=mammadov", person.display_name),
            "search, Cyrillic": (f"{registry}?{urlencode({'q': 'Мамедов'})}", person.display_name),
            "search finding nobody": (f"{registry}?q=Zyxwtestova", "No published record matches"),
            "person": (person.get_absolute_url(), "A synthetic biography"),
            "timeline": (reverse("victims:event_list"), records["event"].title),
            "sources": (reverse("victims:source_list"), records["source"].title),
            "statistics": (reverse("victims:statistics"), "<svg"),
        }
    photo = person.photos.get().rendition_url("full", "jpeg")

    for name, (path, expected) in pages.items():
        status, _headers, body = deployed.get(path)
        assert (status, expected in body) == (200, True), f"{name}: {path} answered {status}"
    status, headers, _body = deployed.get(photo)
    assert (status, headers.get("Content-Type")) == (200, "image/jpeg")
    status, _headers, body = deployed.get("/en/no-such-page/")
    assert status == 404 and "<html" in body

    # Plain HTTP is sent to HTTPS; the production settings are really in force.
    status, headers, _body = deployed.get(reverse("home"), https=False)
    assert status == 301 and headers["Location"].startswith(f"https://{HOST}/")

    # Fresh connections in workers that have already served the pages (and keep a search's count
    # in their cache): each URL below is new to the page cache, so the view runs again.
    assert cut_worker_connections() >= 1
    for round_ in range(3):
        cut_worker_connections()
        status, _headers, body = deployed.get(f"{registry}?q=Zyxwtestova&page=1&round={round_}")
        assert status == 200 and "No published record matches" in body
        cut_worker_connections()
        status, _headers, body = deployed.get(f"{registry}?q=mammadov&round={round_}")
        assert status == 200 and person.display_name in body
