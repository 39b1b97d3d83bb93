"""Shared fixtures: users in each role, a real Chromium through Playwright, a live server."""

from __future__ import annotations

import email
import os
import socket
import time
from email.policy import default as default_policy
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# there unless told that the code around it is synchronous (it is).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _english_unless_asked():
    """Tests read English messages unless they ask for a language: otherwise the site's default
    language (Azerbaijani), or whichever language the last request activated in this thread,
    would decide what a validation message says."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """The test client as an English-speaking browser (Accept-Language: en). Tests of other
    languages use the /az/ and /ru/ addresses or send their own header."""
    from django.test import Client

    return Client(headers={"Accept-Language": "en"})


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded files of a test go to its own folder, never the developer's media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.DATASET_ROOT = tmp_path / "opendata"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private", "base_url": None},
        },
    }


@pytest.fixture(autouse=True)
def _site_content(request):
    """Transactional tests (the live server's) start from an emptied database: put back what the
    data migrations made (the statement, the roles) and the initial timeline."""
    if "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
        return
    from django.contrib.auth.models import Permission
    from django.core.management import call_command

    from contributions.roles import contribution_roles_sync
    from memorial.models import Statement
    from memorial.statement import add_shipped_translations, load_shipped_statement
    from victims.roles import held_back_roles_sync, roles_sync

    request.getfixturevalue("transactional_db")
    load_shipped_statement(Statement)
    add_shipped_translations(Statement)
    roles_sync(Group, Permission)
    contribution_roles_sync(Group, Permission)
    held_back_roles_sync(Group, Permission)
    call_command("load_initial_content", verbosity=0)


def make_user(django_user_model, username: str, role: str | None = None, **extra):
    user = django_user_model.objects.create_user(
        username=username, password="correct horse battery staple", is_staff=True, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def curator(db, django_user_model):
    return make_user(django_user_model, "curator", "Curator")


@pytest.fixture
def editor(db, django_user_model):
    return make_user(django_user_model, "editor", "Editor")


@pytest.fixture
def data_staff(db, django_user_model):
    return make_user(django_user_model, "datastaff", "Data staff")


@pytest.fixture
def superuser(db, django_user_model):
    return django_user_model.objects.create_superuser(username="root", password="correct horse battery staple")


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run 'make browser' (apt-get install chromium).")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """Save a screenshot under test-artifacts/screenshots/ (ignored by git) and return its path."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, full_page: bool = True) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture(autouse=True)
def _empty_caches():
    """Every test starts with empty caches: two tests with equally empty registries share a
    registry generation, and one test's settings must not decide the next one's page."""
    from django.core.cache import caches

    from victims.caching import forget_generation

    for cache in caches.all():
        cache.clear()
    forget_generation()
    yield


@pytest.fixture(autouse=True)
def _generation_moves_inside_the_test_transaction(request):
    """The registry generation moves when a transaction commits (a deferred trigger, migration
    0007). A test that runs inside one transaction never commits, so there the triggers fire at
    each statement instead, as if each statement committed. The commit-time behaviour itself is
    tested with real commits on several connections (tests/test_generation.py)."""
    marker = request.node.get_closest_marker("django_db")
    names = request.fixturenames
    if "db" not in names and marker is None:
        return
    if "transactional_db" in names or "live_server" in names or (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS registry_generation_bump IMMEDIATE")


class Inbox:
    """What the test's SMTP server received (``X-Envelope-To`` added)."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 OK"

    def wait(self, n: int, timeout: float = 10) -> list:
        end = time.monotonic() + timeout
        while len(self.messages) < n and time.monotonic() < end:
            time.sleep(0.05)
        return self.messages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server (aiosmtpd) on a free port, the site's mailer pointed at it; the inbox."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": controller.hostname, "port": controller.port, "timeout": 10},
        }
    }
    settings.SITE_URL = "https://memorial.example.org"
    yield inbox
    controller.stop()


@pytest.fixture(scope="module")
def axe():
    """axe-core for ``tests.test_accessibility.audit``, loaded once per test module."""
    module = pytest.importorskip("axe_playwright_python.sync_playwright")
    return module.Axe()
