"""A streaming read replica of a local PostgreSQL cluster, made with ``pg_basebackup``.

The replica lives in a folder of its own (its data, a Unix socket folder and a log), replays the
primary's WAL over a replication connection, and answers read-only queries (hot standby).
"""

from __future__ import annotations

import os
import pwd
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from common import localdb


@dataclass(frozen=True)
class Replica(localdb.Cluster):
    """A cluster like the primary (data, socket folder), with a log of its own name."""

    @property
    def log_file(self) -> Path:
        return self.root / "replica.log"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return localdb._psql(self, localdb.find_bindir(), sql, database)


def _owned_by_server_user(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if localdb.running_as_root():
        os.chown(path, pwd.getpwnam(localdb.SERVER_USER).pw_uid, -1)


def create(primary: localdb.Cluster, root: Path) -> Replica:
    """Copy the running ``primary`` into ``root`` and start it as a hot standby."""
    bindir = localdb.find_bindir()
    replica = Replica(root)
    if replica.data_dir.exists():
        shutil.rmtree(replica.data_dir)
    for folder in (root, replica.socket_dir):
        _owned_by_server_user(folder)
    os.chmod(root, 0o755)
    localdb._run(
        [str(bindir / "pg_basebackup"), "-h", str(primary.socket_dir), "-p", str(localdb.PORT),
         "-U", localdb.SERVER_USER, "-D", str(replica.data_dir), "-R", "-X", "stream", "-c", "fast"],
        "pg_basebackup",
    )  # fmt: skip
    start(replica)
    return replica


def start(replica: Replica) -> None:
    bindir = localdb.find_bindir()
    options = f"-k {replica.socket_dir} -p {localdb.PORT} -c listen_addresses='' -c hot_standby=on"
    localdb._run(
        [str(bindir / "pg_ctl"), "-D", str(replica.data_dir), "-o", options, "-l", str(replica.log_file),
         "-w", "start"],
        "pg_ctl start (replica)",
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if replica.psql("SELECT pg_is_in_recovery()") == "t":
                return
        except localdb.LocalDatabaseError:
            pass
        time.sleep(0.2)
    raise localdb.LocalDatabaseError(f"the replica did not start; see {replica.log_file}")


def stop(replica: Replica) -> None:
    bindir = localdb.find_bindir()
    if (replica.data_dir / "postmaster.pid").exists():
        localdb._run([str(bindir / "pg_ctl"), "-D", str(replica.data_dir), "-m", "fast", "-w", "stop"],
                     "pg_ctl stop (replica)")  # fmt: skip


def wait_caught_up(replica: Replica, primary_lsn: str, timeout: float = 30) -> None:
    """Wait until the replica has replayed the primary's WAL up to ``primary_lsn``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if replica.psql(f"SELECT pg_last_wal_replay_lsn() >= '{primary_lsn}'::pg_lsn") == "t":
            return
        time.sleep(0.1)
    raise localdb.LocalDatabaseError("the replica did not catch up")
