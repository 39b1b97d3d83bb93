"""The project's own PostgreSQL cluster, used whenever ``DATABASE_URL`` is not set.

``python -m common.localdb start`` creates the cluster on first use (``initdb``), starts it
(``pg_ctl``) listening only on a Unix socket in a private folder, and creates the ``memorial``
database. A second ``start`` finds the running server and reuses it. ``stop`` stops it,
``status`` says whether it runs, ``url`` prints the ``DATABASE_URL`` that reaches it.

PostgreSQL refuses to run as root. When this runs as root, the server runs as the unprivileged
``postgres`` account; if that account cannot reach the checkout (a clone under ``/root``, say),
the cluster lives under the system's temporary folder instead, keyed to the checkout's path.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "memorial"
PORT = 5432
SERVER_USER = "postgres"
BIN_CANDIDATES = [
    "/usr/lib/postgresql/{v}/bin",
    "/usr/pgsql-{v}/bin",
    "/opt/homebrew/opt/postgresql@{v}/bin",
    "/usr/local/opt/postgresql@{v}/bin",
]

MISSING_POSTGRES = (
    "PostgreSQL was not found on this machine. The memorial keeps its data in PostgreSQL and, "
    "when DATABASE_URL is not set, runs a private cluster with the server binaries (initdb, pg_ctl) "
    "of a local installation. Install the server with contrib (Debian/Ubuntu: "
    "'apt-get install postgresql postgresql-contrib'; Fedora: 'dnf install postgresql-server "
    "postgresql-contrib'; macOS: 'brew install postgresql@16'), or set DATABASE_URL to an existing "
    "PostgreSQL 14+ database whose user may create the pg_trgm and unaccent extensions."
)


class LocalDatabaseError(RuntimeError):
    """The local cluster could not be created, started or stopped."""


@dataclass(frozen=True)
class Cluster:
    root: Path

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "run"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def url(self) -> str:
        return self.database_url(DATABASE_NAME)

    def database_url(self, database: str) -> str:
        """The ``DATABASE_URL`` of another database of this cluster (benchmarks, the stack)."""
        return f"postgres://{SERVER_USER}@{quote(str(self.socket_dir), safe='')}:{PORT}/{database}"


def running_as_root() -> bool:
    return os.geteuid() == 0


def find_bindir() -> Path:
    """The folder holding initdb and pg_ctl, or LocalDatabaseError with install advice."""
    candidates: list[Path] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    for version in range(18, 12, -1):
        candidates.extend(Path(p.format(v=version)) for p in BIN_CANDIDATES)
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise LocalDatabaseError(MISSING_POSTGRES)


def _server_user_can_use(folder: Path) -> bool:
    if not running_as_root():
        return True
    probe = subprocess.run(
        ["runuser", "-u", SERVER_USER, "--", "test", "-w", str(folder)], capture_output=True, check=False
    )
    return probe.returncode == 0


def cluster_root(base_dir: Path = BASE_DIR) -> Path:
    """Where the cluster lives: ``var/postgres`` in the checkout, else a folder keyed to it in /tmp.

    Pure: it only looks. The choice is remembered in ``var/postgres-location`` by ``prepare_root``.
    """
    marker = base_dir / "var" / "postgres-location"
    if marker.exists():
        return Path(marker.read_text().strip())
    return base_dir / "var" / "postgres"


def _fallback_root(base_dir: Path) -> Path:
    key = hashlib.sha256(str(base_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"black-january-memorial-{key}" / "postgres"


def prepare_root(base_dir: Path = BASE_DIR) -> Path:
    """Create the cluster's folder where the server's user can write, and remember the choice."""
    var = base_dir / "var"
    var.mkdir(exist_ok=True)
    marker = var / "postgres-location"
    if marker.exists():
        root = Path(marker.read_text().strip())
        if root.exists():
            return root
    root = var / "postgres"
    root.mkdir(exist_ok=True)
    if running_as_root():
        uid = pwd.getpwnam(SERVER_USER).pw_uid
        os.chown(root, uid, -1)
        if not _server_user_can_use(root):
            root.rmdir()
            root = _fallback_root(base_dir)
            root.mkdir(parents=True, exist_ok=True)
            for folder in (root.parent, root):
                os.chmod(folder, 0o755)
            os.chown(root, uid, -1)
    marker.write_text(str(root))
    return root


def _as_server_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *args] if running_as_root() else args


def _run(args: list[str], what: str) -> subprocess.CompletedProcess:
    result = subprocess.run(_as_server_user(args), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise LocalDatabaseError(f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result


def is_running(cluster: Cluster, bindir: Path) -> bool:
    if not (cluster.data_dir / "PG_VERSION").exists():
        return False
    result = subprocess.run(
        _as_server_user([str(bindir / "pg_ctl"), "-D", str(cluster.data_dir), "status"]),
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _wait_ready(cluster: Cluster, bindir: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    pg_isready = bindir / "pg_isready"
    while time.monotonic() < deadline:
        result = subprocess.run([str(pg_isready), "-q", "-h", str(cluster.socket_dir), "-p", str(PORT)], check=False)
        if result.returncode == 0:
            return
        time.sleep(0.2)
    raise LocalDatabaseError(f"PostgreSQL did not accept connections; see {cluster.log_file}")


def _psql(cluster: Cluster, bindir: Path, sql: str, database: str = "postgres") -> str:
    result = _run(
        [
            str(bindir / "psql"),
            "-h", str(cluster.socket_dir), "-p", str(PORT), "-U", SERVER_USER,
            "-d", database, "-tAc", sql,
        ],
        "psql",
    )  # fmt: skip
    return result.stdout.strip()


def ensure_database(cluster: Cluster, bindir: Path, name: str = DATABASE_NAME) -> bool:
    """Create database ``name`` if it does not exist; True when it was created."""
    exists = _psql(cluster, bindir, f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
    if exists == "1":
        return False
    _psql(cluster, bindir, f'CREATE DATABASE "{name}"')
    return True


def start(base_dir: Path = BASE_DIR, quiet: bool = False) -> Cluster:
    """Create the cluster if needed, start it unless it runs, and make sure the database exists."""
    bindir = find_bindir()
    cluster = Cluster(prepare_root(base_dir))
    say = (lambda *_: None) if quiet else (lambda msg: print(msg, file=sys.stderr))
    if not (cluster.data_dir / "PG_VERSION").exists():
        say(f"Creating the memorial's PostgreSQL cluster in {cluster.root}")
        _run(
            [str(bindir / "initdb"), "-D", str(cluster.data_dir), "-A", "trust", "-U", SERVER_USER,
             "-E", "UTF8", "--locale=C.UTF-8"],
            "initdb",
        )  # fmt: skip
    if is_running(cluster, bindir):
        say(f"PostgreSQL already running ({cluster.socket_dir})")
    else:
        if not cluster.socket_dir.exists():
            cluster.socket_dir.mkdir()
            if running_as_root():
                os.chown(cluster.socket_dir, pwd.getpwnam(SERVER_USER).pw_uid, -1)
        options = f"-k {cluster.socket_dir} -p {PORT} -c listen_addresses=''"
        _run(
            [str(bindir / "pg_ctl"), "-D", str(cluster.data_dir), "-o", options, "-l", str(cluster.log_file),
             "-w", "start"],
            "pg_ctl start",
        )  # fmt: skip
        say(f"PostgreSQL started ({cluster.socket_dir})")
    _wait_ready(cluster, bindir)
    ensure_database(cluster, bindir)
    return cluster


def stop(base_dir: Path = BASE_DIR) -> bool:
    """Stop the cluster; True when it was running."""
    bindir = find_bindir()
    cluster = Cluster(cluster_root(base_dir))
    if not is_running(cluster, bindir):
        return False
    _run([str(bindir / "pg_ctl"), "-D", str(cluster.data_dir), "-m", "fast", "-w", "stop"], "pg_ctl stop")
    return True


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "status"
    try:
        if command == "start":
            start()
        elif command == "stop":
            print("PostgreSQL stopped" if stop() else "PostgreSQL was not running", file=sys.stderr)
        elif command == "status":
            cluster = Cluster(cluster_root())
            running = is_running(cluster, find_bindir())
            print(f"{'running' if running else 'stopped'}: {cluster.root}")
            return 0 if running else 3
        elif command == "url":
            print(Cluster(cluster_root()).url)
        else:
            print("usage: python -m common.localdb start|stop|status|url", file=sys.stderr)
            return 2
    except LocalDatabaseError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
