"""Start and stop the stack's servers: Redis, an S3 API server (moto), gunicorns and nginx.

Every server listens on 127.0.0.1 only, keeps its files under one folder (``var/stack`` for
``make stack``, a temporary folder in tests) and is stopped through the pid file it leaves there.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, seconds: float = 30, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited ({process.returncode})")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {seconds:.0f} s")


@dataclass
class Ports:
    nginx: int = 8080
    apps: list[int] = field(default_factory=lambda: [8081, 8082])
    redis: int = 6380
    s3: int = 9100

    @classmethod
    def free(cls, apps: int = 2) -> Ports:
        return cls(nginx=free_port(), apps=[free_port() for _ in range(apps)], redis=free_port(), s3=free_port())


class Folder:
    """Where one stack keeps its pid files, logs, configuration and nginx's cache."""

    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def pidfile(self, name: str) -> Path:
        return self.root / f"{name}.pid"

    def log(self, name: str) -> Path:
        return self.root / f"{name}.log"

    def spawn(self, name: str, command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = self.log(name).open("ab")
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        self.pidfile(name).write_text(str(process.pid))
        return process

    def stop(self, name: str, sig: int = signal.SIGTERM, wait: float = 20) -> bool:
        pidfile = self.pidfile(name)
        if not pidfile.exists():
            return False
        pid = int(pidfile.read_text().strip() or 0)
        pidfile.unlink()
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return False
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            with contextlib.suppress(ChildProcessError):  # reap it when it is our child
                os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        return True

    def running(self, name: str) -> bool:
        pidfile = self.pidfile(name)
        if not pidfile.exists():
            return False
        try:
            os.kill(int(pidfile.read_text().strip()), 0)
            return True
        except (ProcessLookupError, ValueError):
            return False


def need(program: str, package: str) -> str:
    path = shutil.which(program) or (f"/usr/sbin/{program}" if Path(f"/usr/sbin/{program}").exists() else None)
    if not path:
        raise RuntimeError(f"{program} is missing: run 'make services' (apt-get install {package})")
    return path


def start_redis(folder: Folder, port: int) -> None:
    server = need("redis-server", "redis-server")
    process = folder.spawn("redis", [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                     "--appendonly", "no", "--dir", str(folder.root), "--protected-mode", "yes"])  # fmt: skip
    wait_for_port(port, process=process)


def start_s3(folder: Folder, port: int, buckets: list[str]) -> str:
    """moto's S3 API server, with the stack's buckets created; returns its endpoint URL."""
    process = folder.spawn("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)])
    wait_for_port(port, process=process)
    endpoint = f"http://127.0.0.1:{port}"
    import boto3

    client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id="stack", aws_secret_access_key="stack",  # noqa: S106 — moto on loopback
                          region_name="us-east-1")  # fmt: skip
    existing = {bucket["Name"] for bucket in client.list_buckets().get("Buckets", [])}
    for bucket in buckets:
        if bucket not in existing:
            client.create_bucket(Bucket=bucket)
    return endpoint


def start_gunicorn(folder: Folder, name: str, port: int, environment: dict[str, str], workers: int = 2) -> None:
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", str(workers),
               "--bind", f"127.0.0.1:{port}", "--timeout", "60", "--graceful-timeout", "10"]  # fmt: skip
    process = folder.spawn(name, command, environment)
    wait_for_port(port, 60, process=process)


def render_nginx(folder: Folder, ports: Ports, *, static_root: Path, media_root: Path, max_body: str,
                 cache_seconds: int = 1) -> Path:  # fmt: skip
    upstreams = "\n".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;" for port in ports.apps)
    text = NGINX_TEMPLATE.read_text()
    for key, value in {
        "ROOT": str(folder.root), "LISTEN": f"127.0.0.1:{ports.nginx}", "UPSTREAMS": upstreams,
        "STATIC_ROOT": str(static_root), "MEDIA_ROOT": str(media_root), "MAX_BODY": max_body,
        "CACHE_SECONDS": f"{cache_seconds}s", "USER": _nginx_user(),
    }.items():  # fmt: skip
        text = text.replace("{{" + key + "}}", value)
    path = folder.root / "nginx.conf"
    path.write_text(text)
    (folder.root / "nginx-cache").mkdir(exist_ok=True)
    (folder.root / "nginx-temp").mkdir(exist_ok=True)
    if os.geteuid() == 0:  # the workers run unprivileged and write their cache here
        import pwd

        uid = pwd.getpwnam(_nginx_user()).pw_uid
        for sub in ("nginx-cache", "nginx-temp"):
            os.chown(folder.root / sub, uid, -1)
    return path


def _nginx_user() -> str:
    import pwd

    for name in ("www-data", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    return "nobody"


def start_nginx(folder: Folder, port: int) -> None:
    nginx = need("nginx", "nginx")
    config = folder.root / "nginx.conf"
    check = subprocess.run([nginx, "-t", "-q", "-p", str(folder.root), "-c", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration:\n{check.stderr}")
    subprocess.run([nginx, "-p", str(folder.root), "-c", str(config)], check=True)  # daemonises, writes nginx.pid
    wait_for_port(port)


def stop_nginx(folder: Folder) -> None:
    folder.stop("nginx", signal.SIGQUIT)
