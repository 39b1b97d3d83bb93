"""The pieces of the several-machine stack, each against its real server on 127.0.0.1: Redis for
the shared caches and sessions, a streaming read replica of the project's PostgreSQL cluster.

A Redis outage must not take the site down (reads are misses, writes are dropped, one warning per
interval); the replica must take public reads only while it has replayed every commit the page is
keyed on, so a withdrawal never waits for replication, and a replica that stops leaves the primary
answering.
"""

from __future__ import annotations

import logging
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from common import localdb
from common.cache import ResilientRedisCache
from stack import replica as replicas
from tests.deployed import GENERATION_TTL, get, gunicorn, production_environment
from tests.factories import CitationFactory, VictimFactory
from victims import services
from victims.models import Victim

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    server = shutil.which("redis-server")
    if not server:
        pytest.fail("redis-server is missing: run 'make services' (apt-get install redis-server)")
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.05)
    process.kill()
    pytest.fail("redis-server did not start")


@pytest.fixture
def redis_server(tmp_path):
    port = free_port()
    state = {"process": start_redis(port, tmp_path), "url": f"redis://127.0.0.1:{port}/0"}

    def restart():
        stop()
        state["process"] = start_redis(port, tmp_path)

    def stop():
        state["process"].terminate()
        state["process"].wait(10)

    state["restart"], state["stop"] = restart, stop
    yield state
    if state["process"].poll() is None:
        stop()


def _cache(url: str) -> ResilientRedisCache:
    return ResilientRedisCache(url, {"OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.5}})


def test_two_servers_share_the_redis_cache_and_survive_its_restart(redis_server, caplog):
    one, other = _cache(redis_server["url"]), _cache(redis_server["url"])
    one.set("page:synthetic", b"<html>rendered once</html>", 60)
    assert other.get("page:synthetic") == b"<html>rendered once</html>"

    redis_server["stop"]()
    with caplog.at_level(logging.WARNING, logger="memorial.cache"):
        assert other.get("page:synthetic") is None  # a miss, not an error
        assert other.get("page:synthetic", "default") == "default"
        other.set("page:synthetic", b"kept nowhere", 60)  # dropped
        assert other.incr("rate:127.0.0.1", 1) == 1  # a rate limit that cannot count lets it through
    warnings = [r for r in caplog.records if r.name == "memorial.cache"]
    assert len(warnings) <= 1, "an outage is logged once per interval, not per call"

    redis_server["restart"]()
    other.set("page:synthetic", b"again", 60)
    assert one.get("page:synthetic") == b"again"


def test_the_site_serves_pages_through_a_redis_outage(transactional_db, redis_server, tmp_path):
    person = VictimFactory(family_name="Redissinaq")
    CitationFactory(victim=person)
    environment = production_environment(tmp_path, REDIS_URL=redis_server["url"])
    with gunicorn(environment, tmp_path / "gunicorn.log") as server:
        url = server.url(f"/en/victims/{person.slug}/")
        assert get(url)[0] == 200
        assert get(url)[1].get("X-Cache") == "HIT"
        redis_server["stop"]()
        for _ in range(6):
            status, headers, body = get(url)
            assert status == 200 and "Redissinaq" in body.decode()
            assert headers.get("X-Cache") != "HIT"
        redis_server["restart"]()
        get(url)
        assert get(url)[1].get("X-Cache") == "HIT", "Redis is used again by itself"
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log


# --- The read replica ---------------------------------------------------------------------------


@pytest.fixture
def replica(transactional_db):
    """A streaming replica of the cluster that holds the test database (the project's own)."""
    if "DATABASE_URL" in __import__("os").environ:
        pytest.skip("the replica is made from the project's own cluster; DATABASE_URL names another server")
    primary = localdb.Cluster(localdb.cluster_root())
    root = Path(tempfile.mkdtemp(prefix="memorial-replica-", dir="/tmp"))
    made = replicas.create(primary, root)
    try:
        yield made
    finally:
        replicas.stop(made)
        shutil.rmtree(root, ignore_errors=True)


def _primary_lsn() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


def _replica_clients(made, database: str) -> int:
    return int(made.psql(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' "
        f"AND datname = '{database}' AND pid <> pg_backend_pid()"
    ))  # fmt: skip


def test_public_reads_use_the_replica_only_while_it_has_every_commit(replica, tmp_path, editor):
    person = VictimFactory(family_name="Replikasınaq")
    CitationFactory(victim=person)
    database = connection.settings_dict["NAME"]
    replicas.wait_caught_up(replica, _primary_lsn())
    environment = production_environment(tmp_path, DATABASE_REPLICA_URL=replica.database_url(database))
    with gunicorn(environment, tmp_path / "gunicorn.log") as server:
        url = server.url(f"/en/victims/{person.slug}/")
        time.sleep(GENERATION_TTL + 0.2)
        for _ in range(4):
            assert get(url, {"Cache-Control": "no-cache"})[0] == 200
        assert _replica_clients(replica, database) > 0, "public pages read from the replica"

        # The replica stops replaying: a withdrawal on the primary must not wait for it.
        replica.psql("SELECT pg_wal_replay_pause()")
        services.victim_withdraw(victim=Victim.objects.get(pk=person.pk), user=editor)
        time.sleep(GENERATION_TTL + 0.2)
        statuses = {get(url)[0] for _ in range(8)}
        assert statuses == {404}, statuses
        listing = get(server.url("/en/victims/"))[2].decode()
        assert "Replikasınaq" not in listing

        # The replica goes away while workers still trust it (within the generation's TTL): pages
        # that were never rendered (new searches) are read again from the primary, never a 503.
        replica.psql("SELECT pg_wal_replay_resume()")
        replicas.wait_caught_up(replica, _primary_lsn())
        time.sleep(GENERATION_TTL + 0.2)
        assert get(server.url("/en/victims/?q=warmup"))[0] == 200
        replicas.stop(replica)
        statuses = [get(server.url(f"/en/victims/?q=sinaq{n}"))[0] for n in range(8)]
        assert set(statuses) == {200}, statuses
        for path in ("/en/", "/en/victims/", f"/en/victims/{person.slug}/"):
            status = get(server.url(path))[0]
            assert status in (200, 404) and (status == 404) == path.endswith(f"{person.slug}/"), (path, status)
        # The admin never reads from the replica: its login page answers with the replica down.
        assert get(server.url("/admin/login/"))[0] == 200
    log = (tmp_path / "gunicorn.log").read_text()
    assert "Traceback" not in log, log


# --- The whole stack: nginx in front of two application servers ---------------------------------


@pytest.fixture
def whole_stack(transactional_db):
    """``make stack`` on free ports, serving the test database (primary and its replica)."""
    if "DATABASE_URL" in __import__("os").environ:
        pytest.skip("the stack's replica is made from the project's own cluster")
    from stack import __main__ as stack_main
    from stack.servers import Folder, Ports

    # The servers' unprivileged users (postgres, nginx's workers) must reach the folder.
    root = Path(tempfile.mkdtemp(prefix="memorial-stack-", dir="/tmp"))
    root.chmod(0o755)
    folder, ports = Folder(root), Ports.free()
    env = stack_main.up(folder, ports, database=connection.settings_dict["NAME"], log=lambda *_: None)
    try:
        yield folder, ports, env
    finally:
        stack_main.down(folder)
        shutil.rmtree(root, ignore_errors=True)


def _stack_storages(env: dict[str, str]) -> dict:
    """The stack's two buckets, as its application servers see them."""
    common = {"endpoint_url": env["MEDIA_S3_ENDPOINT_URL"], "region_name": "us-east-1", "default_acl": None,
              "access_key": env["AWS_ACCESS_KEY_ID"], "secret_key": env["AWS_SECRET_ACCESS_KEY"], "file_overwrite": False}  # fmt: skip
    return {
        "default": {"BACKEND": "common.storage.MediaS3Storage",
                    "OPTIONS": {**common, "bucket_name": env["MEDIA_S3_BUCKET"], "querystring_auth": False}},
        "private": {"BACKEND": "storages.backends.s3.S3Storage",
                    "OPTIONS": {**common, "bucket_name": env["PRIVATE_S3_BUCKET"], "querystring_auth": True}},
    }  # fmt: skip


def test_the_stack_serves_through_nginx_survives_a_lost_server_and_withdraws_within_its_bound(
    whole_stack, editor, settings
):
    folder, ports, env = whole_stack
    person = VictimFactory(family_name="Yığınsınaq")
    CitationFactory(victim=person)
    # A photo through the image pipeline into the stack's S3 bucket (moto), as a curator's upload.
    settings.STORAGES = {**settings.STORAGES, **_stack_storages(env)}
    from tests.public_fixtures import add_photo

    photo = add_photo(person, alt_text="Synthetic placeholder drawing")
    rendition = photo.renditions["card"]["webp"]
    assert rendition.startswith(f"photos/{photo.uuid}/")
    base = f"http://127.0.0.1:{ports.nginx}"
    url = f"{base}/en/victims/{person.slug}/"

    status, headers, body = get(url)
    assert status == 200 and "Yığınsınaq" in body.decode()
    assert f"/media/{rendition}" in body.decode()
    image = get(f"{base}/media/{rendition}")
    assert image[0] == 200 and image[1]["Content-Type"] == "image/webp" and image[2][:4] == b"RIFF"
    assert get(f"{base}/media/{photo.original.name}")[0] != 200, "originals are never served"
    assert get(url)[1].get("X-Proxy-Cache") == "HIT"
    static = get(f"{base}/static/css/site.css")
    assert static[0] == 200 and "immutable" in static[1].get("Cache-Control", "")
    # An oversize upload is refused by nginx before it reaches Django.
    big = urllib_post(f"{base}/admin/login/", b"x" * (17 * 1024 * 1024))
    assert big == 413

    # One application server dies: no request fails.
    folder.stop("app1", signal.SIGKILL)
    statuses = [get(f"{base}/en/victims/?page=1&q=sinaq{n}")[0] for n in range(12)]
    assert set(statuses) == {200}, statuses

    # A withdrawal saved elsewhere leaves nginx's cache within its bound: 1 s there, 1 s of the
    # generation's TTL, one render.
    services.victim_withdraw(victim=Victim.objects.get(pk=person.pk), user=editor)
    time.sleep(2 * GENERATION_TTL + 0.5)
    statuses = {get(url)[0] for _ in range(6)}
    assert statuses == {404}, statuses
    assert get(f"{base}/media/{rendition}")[0] == 404, "a withdrawn person's photo leaves the bucket's address too"

    # Redis restarts: the site keeps serving, and uses Redis again by itself.
    folder.stop("redis")
    assert get(f"{base}/en/")[0] == 200
    from stack import servers

    servers.start_redis(folder, ports.redis)
    assert get(f"{base}/en/events/")[0] == 200
    for name in ("app2", "nginx"):
        assert "Traceback" not in folder.log(name).read_text() if folder.log(name).exists() else True


def urllib_post(url: str, data: bytes) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/octet-stream"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 — loopback only
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (ConnectionResetError, BrokenPipeError):
        return 413  # nginx may close the connection while the body is still being sent


def test_behind_nginx_the_media_view_hands_the_file_to_nginx(db, client, settings):
    """With photos on local disk, Django only decides: nginx sends the file (X-Accel-Redirect)."""
    from tests.public_fixtures import add_photo

    settings.MEDIA_ACCEL_REDIRECT = "/internal-media/"
    photo = add_photo(VictimFactory(), alt_text="Synthetic placeholder drawing")
    path = photo.renditions["card"]["jpeg"]
    response = client.get(f"/media/{path}")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/internal-media/{path}"
    assert response["Content-Type"] == "image/jpeg" and response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"
