"""Reliability: health checks, the calm 503 page, and recovery after a database outage.

The outage test runs its own throwaway PostgreSQL cluster (never the shared one), a real server
process on it, stops the cluster under the running server and starts it again.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import OperationalError

from common import localdb
from memorial import health

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _fresh_migration_cache():
    health._migrations_checked.update(at=0.0, pending=True)
    yield
    health._migrations_checked.update(at=0.0, pending=True)


def test_healthz_answers_without_the_database(client):
    # No django_db mark: any database access here would fail the test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_the_database_and_migrations(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "migrations": "applied"}


@pytest.mark.django_db
def test_readyz_is_unavailable_while_a_migration_is_pending(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, targets: [("victims.9999_pending", False)])
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == "pending"


@pytest.mark.django_db
def test_readyz_caches_the_migration_check_briefly(client, monkeypatch):
    from django.db.migrations.executor import MigrationExecutor

    calls = []
    original = MigrationExecutor.migration_plan
    monkeypatch.setattr(MigrationExecutor, "migration_plan", lambda self, t: calls.append(1) or original(self, t))
    for _ in range(3):
        assert client.get("/readyz").status_code == 200
    assert len(calls) == 1


@pytest.mark.django_db
def test_a_database_error_in_a_public_page_gives_the_calm_503_page(client, monkeypatch):
    from memorial import views

    def broken(self, **kwargs):
        raise OperationalError("connection to server on socket failed: No such file or directory")

    monkeypatch.setattr(views.HomeView, "get_context_data", broken)
    response = client.get("/en/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "temporarily unavailable" in html
    assert "Traceback" not in html and "socket" not in html and "OperationalError" not in html


def test_the_503_page_renders_without_the_database(rf):
    # No django_db mark: a query while rendering would fail the test.
    from django.utils import translation

    from memorial.security import render_unavailable

    with translation.override("en"):
        response = render_unavailable(rf.get("/en/"))
    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Nothing has been lost" in html


# --- A real outage ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:  # noqa: S310 — loopback only
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def throwaway_cluster():
    """A PostgreSQL cluster of this test's own, in a folder the server's account can reach."""
    base = Path(tempfile.mkdtemp(prefix="memorial-outage-", dir="/tmp"))
    base.chmod(0o755)
    cluster = localdb.start(base, quiet=True)
    try:
        yield base, cluster
    finally:
        localdb.stop(base)
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(localdb.cluster_root(base), ignore_errors=True)


@pytest.mark.slow
def test_database_outage_gives_503_and_the_site_recovers_by_itself(throwaway_cluster, tmp_path):
    base, cluster = throwaway_cluster
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_ENV="test",
        DATABASE_URL=cluster.url,
        DJANGO_MEDIA_ROOT=str(tmp_path / "media"),
        DJANGO_PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
    )
    manage = [sys.executable, "manage.py"]
    migrated = subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = fetch(base_url + "/healthz")
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "server.log").read_text()
                time.sleep(0.3)
        assert status == 200
        assert fetch(base_url + "/en/")[0] == 200
        assert fetch(base_url + "/en/victims/")[0] == 200
        assert fetch(base_url + "/readyz")[0] == 200

        localdb.stop(base)
        for url in ("/en/", "/en/victims/", "/az/"):
            status, html = fetch(base_url + url)
            assert status == 503, (url, html[:500])
            if url.startswith("/en/"):
                assert "The memorial is temporarily unavailable" in html
            assert "Traceback" not in html and "OperationalError" not in html
        assert fetch(base_url + "/readyz")[0] == 503
        assert fetch(base_url + "/healthz")[0] == 200

        localdb.start(base, quiet=True)
        # The same server process, without a restart: the next requests reconnect.
        assert fetch(base_url + "/en/")[0] == 200
        assert fetch(base_url + "/en/victims/")[0] == 200
        assert fetch(base_url + "/readyz")[0] == 200
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    server_log = (tmp_path / "server.log").read_text()
    assert "Traceback" not in server_log, server_log


# --- The soak script (bench/soak.py): its arguments and its bounded load loop -------------------


def test_soak_arguments_are_bounded():
    from bench import soak

    args = soak.parse([])
    assert (args.seconds, args.connections) == (60, 64)
    for bad in (["--seconds", "0"], ["--seconds", "86400"], ["--connections", "0"], ["--connections", "5000"]):
        with pytest.raises(SystemExit):
            soak.parse(bad)


def test_soak_python_client_stops_at_its_deadline_and_counts_server_errors():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from bench import soak

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            status = 500 if self.path == "/boom" else 404 if self.path == "/missing" else 200
            body = b"x" * 100
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        result = soak.run_threads(server.server_port, ["/ok", "/boom", "/missing"], seconds=1, connections=4)
        elapsed = time.monotonic() - started
    finally:
        server.shutdown()
    assert elapsed < 5
    assert result["requests"] > 10
    assert result["5xx"] > 0 and result["4xx"] > 0
    assert result["5xx"] + result["4xx"] < result["requests"]
    assert result["socket_errors"] == 0
    assert result["p99_ms"] is not None


def test_soak_reads_worker_memory():
    from bench import soak

    assert soak.rss_mb(os.getpid()) > 10
    assert soak.rss_mb(2**22 + 12345) is None


# --- Found by the outside probe (issue 13, items 5 and 8) ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_health_probes_answer_plain_http_with_the_ssl_redirect_on(client, settings, url):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(url)
    assert response.status_code == 200
    assert client.get("/en/").status_code == 301  # the site itself still redirects


@pytest.fixture
def outage_log():
    from memorial.security import database_outage_log

    database_outage_log.reset()
    yield database_outage_log
    database_outage_log.reset()


@pytest.mark.django_db
def test_a_database_outage_is_logged_once_per_interval_not_per_request(
    client, monkeypatch, caplog, settings, outage_log
):
    import logging

    from memorial import views

    def broken(self, **kwargs):
        raise OperationalError("connection to server on socket failed: No such file or directory")

    monkeypatch.setattr(views.HomeView, "get_context_data", broken)

    class Unreachable:
        def cursor(self):
            raise OperationalError("connection to server on socket failed: No such file or directory")

    monkeypatch.setattr("memorial.health.connections", {"default": Unreachable()})  # nor can readyz
    settings.DATABASE_OUTAGE_LOG_SECONDS = 3600
    settings.PAGE_CACHE_ENABLED = False  # in the test's transaction the dropped connection stays closed
    with caplog.at_level(logging.WARNING):
        for _ in range(20):
            assert client.get("/en/").status_code == 503
            assert client.get("/readyz").status_code == 503
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert [record.getMessage() for record in errors] == [
        "Database unavailable for /en/: connection to server on socket failed: No such file or directory"
    ]
    # After the interval, one line says how many 503s were not logged.
    settings.DATABASE_OUTAGE_LOG_SECONDS = 0
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        client.get("/en/")
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and "(and 39 more requests answered 503 since the last report)" in errors[0]


@pytest.mark.django_db
def test_other_server_errors_are_still_logged_by_django(client, monkeypatch, caplog, settings, outage_log):
    import logging

    from memorial import views

    def broken(self, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views.AboutView, "get_context_data", broken)
    client.raise_request_exception = False
    with caplog.at_level(logging.WARNING):
        assert client.get("/en/about/").status_code == 500
    assert any(record.name == "django.request" and record.levelno == logging.ERROR for record in caplog.records)


def wsgi_call(method: str, path: str) -> tuple[str, dict, bytes]:
    """What gunicorn receives from the WSGI application (the test client drops a HEAD body itself)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections
    from django.test import RequestFactory

    environ = RequestFactory().generic(method, path, HTTP_ACCEPT_LANGUAGE="en").environ
    started = {}
    # As Django's test client does: the test's transaction keeps its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        body = WSGIHandler()(
            environ, lambda status, headers, exc_info=None: started.update(status=status, headers=headers)
        )
        try:
            content = b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return started["status"], dict(started["headers"]), content


@pytest.mark.django_db
def test_a_head_request_gets_the_get_headers_and_no_body():
    from tests.factories import VictimFactory
    from tests.public_fixtures import add_photo

    photo = add_photo(VictimFactory(), alt_text_en="A grey placeholder drawing")
    for path in ("/en/", "/en/", "/en/about/", "/healthz", "/robots.txt", photo.rendition_url("card", "jpeg")):
        get_status, get_headers, get_body = wsgi_call("GET", path)
        status, headers, body = wsgi_call("HEAD", path)
        assert status == get_status == "200 OK", path
        assert body == b"", path
        assert get_body, path
        assert headers.get("Content-Length") == get_headers.get("Content-Length") == str(len(get_body)), path
