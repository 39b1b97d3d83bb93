"""The project's own PostgreSQL helper: starts, is reused, stops; works as root."""

import os
import subprocess
from pathlib import Path

import pytest

from common import localdb

pytestmark = pytest.mark.slow


@pytest.fixture
def checkout(tmp_path_factory):
    # A folder the postgres account can reach, like a checkout under /work or /home.
    base = Path("/tmp") / f"bjm-localdb-test-{os.getpid()}"
    base.mkdir(mode=0o755, exist_ok=True)
    yield base
    try:
        localdb.stop(base)
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


def test_start_reuse_and_stop(checkout):
    bindir = localdb.find_bindir()
    cluster = localdb.start(checkout, quiet=True)
    assert localdb.is_running(cluster, bindir)
    assert (cluster.socket_dir / f".s.PGSQL.{localdb.PORT}").exists()

    pid_file = cluster.data_dir / "postmaster.pid"
    first_pid = pid_file.read_text().split()[0]
    again = localdb.start(checkout, quiet=True)  # second call reuses the running server
    assert again == cluster
    assert pid_file.read_text().split()[0] == first_pid

    assert localdb.stop(checkout) is True
    assert not localdb.is_running(cluster, bindir)
    assert localdb.stop(checkout) is False


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when run as root")
def test_as_root_the_server_runs_as_the_postgres_account(checkout):
    cluster = localdb.start(checkout, quiet=True)
    owner = subprocess.run(
        ["stat", "-c", "%U", str(cluster.data_dir)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert owner == localdb.SERVER_USER
    pid = (cluster.data_dir / "postmaster.pid").read_text().split()[0]
    user = subprocess.run(["ps", "-o", "user=", "-p", pid], capture_output=True, text=True, check=True).stdout
    assert user.strip() == localdb.SERVER_USER


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when run as root")
def test_unreachable_checkout_falls_back_to_the_temporary_folder(tmp_path):
    private = Path("/tmp") / f"bjm-private-checkout-{os.getpid()}"
    private.mkdir(mode=0o700, exist_ok=True)  # like a clone under /root: postgres cannot enter
    try:
        root = localdb.prepare_root(private)
        assert not str(root).startswith(str(private))
        assert root.parent.name.startswith("black-january-memorial-")
        assert localdb.cluster_root(private) == root
    finally:
        subprocess.run(["rm", "-rf", str(private), str(localdb._fallback_root(private).parent)], check=False)


def test_missing_postgres_gives_install_advice(monkeypatch):
    monkeypatch.setattr(localdb, "BIN_CANDIDATES", [])
    monkeypatch.setattr(localdb.shutil, "which", lambda name: None)
    with pytest.raises(localdb.LocalDatabaseError, match="apt-get install postgresql"):
        localdb.find_bindir()
