"""``make stack``: the anniversary-day deployment on this machine, every piece a real server.

    python -m stack up        # nginx -> two gunicorns; Redis; a streaming replica; an S3 bucket (moto)
    python -m stack down      # stop them all
    python -m stack status

Everything listens on 127.0.0.1 and keeps its files in ``var/stack``. The primary database is the
project's own cluster (``DATABASE_URL`` when set); the replica is made from it with pg_basebackup.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys

from stack import servers
from stack.servers import BASE_DIR, Folder, Ports

ROOT = BASE_DIR / "var" / "stack"
MEDIA_BUCKET, PRIVATE_BUCKET = "memorial-media", "memorial-private"
APP_NAMES = ("app1", "app2")


def environment(folder: Folder, ports: Ports, *, database_url: str, replica_url: str, s3_endpoint: str,
                secret_key: str) -> dict[str, str]:  # fmt: skip
    """The production settings every application server of the stack runs with."""
    return {
        "DJANGO_ENV": "production",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secret_key,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        # Plain HTTP on loopback; in production TLS ends at nginx and it sends X-Forwarded-Proto https.
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "false",
        "DJANGO_CSRF_COOKIE_SECURE": "false",
        "DJANGO_BEHIND_PROXY": "true",
        "DJANGO_TRUSTED_PROXIES": "127.0.0.1",
        "SITE_URL": f"http://127.0.0.1:{ports.nginx}",
        "MEMORIAL_CONTACT_EMAIL": os.environ.get("MEMORIAL_CONTACT_EMAIL", "curators@memorial.test"),
        "DATABASE_URL": database_url,
        "DATABASE_REPLICA_URL": replica_url,
        "REDIS_URL": f"redis://127.0.0.1:{ports.redis}/0",
        "PAGE_CACHE_ENABLED": "true",
        "REGISTRY_GENERATION_TTL": "1",
        "DJANGO_STATIC_ROOT": str(folder.root / "static"),
        "DJANGO_MEDIA_ROOT": str(folder.root / "media"),
        "DJANGO_PRIVATE_MEDIA_ROOT": str(folder.root / "private"),
        "MEDIA_S3_BUCKET": MEDIA_BUCKET,
        "PRIVATE_S3_BUCKET": PRIVATE_BUCKET,
        "MEDIA_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_ACCESS_KEY_ID": "stack",
        "AWS_SECRET_ACCESS_KEY": "stack",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }


def _localdb():
    from common import localdb

    return localdb


def up(folder: Folder, ports: Ports, *, database: str | None = None, log=print) -> dict[str, str]:
    """Start every server (those already running are kept) and return the application environment."""
    from stack import replica as replicas

    localdb = _localdb()
    primary = localdb.start(quiet=True)
    database = database or localdb.DATABASE_NAME
    database_url = os.environ.get("DATABASE_URL") or primary.database_url(database)
    secret_file = folder.root / "secret-key"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(50))
        secret_file.chmod(0o600)

    replica = replicas.Replica(folder.root / "replica")
    if not (replica.data_dir / "postmaster.pid").exists():
        log("Making the streaming replica (pg_basebackup)")
        replicas.create(primary, replica.root)
    if not folder.running("redis"):
        servers.start_redis(folder, ports.redis)
    if not folder.running("s3"):
        servers.start_s3(folder, ports.s3, [MEDIA_BUCKET, PRIVATE_BUCKET])
    env = environment(
        folder, ports, database_url=database_url, replica_url=replica.database_url(database),
        s3_endpoint=f"http://127.0.0.1:{ports.s3}", secret_key=secret_file.read_text().strip(),
    )  # fmt: skip
    (folder.root / "static").mkdir(exist_ok=True)
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"], cwd=BASE_DIR,
                               env={**os.environ, **env}, capture_output=True, text=True)  # fmt: skip
    if collected.returncode != 0:
        raise RuntimeError(collected.stderr)
    for name, port in zip(APP_NAMES, ports.apps, strict=True):
        if not folder.running(name):
            servers.start_gunicorn(folder, name, port, env)
    if not folder.running("nginx"):
        servers.render_nginx(folder, ports, static_root=folder.root / "static", media_root=folder.root / "media",
                             max_body="16m")  # fmt: skip
        servers.start_nginx(folder, ports.nginx)
    return env


def down(folder: Folder) -> None:
    from stack import replica as replicas

    servers.stop_nginx(folder)
    for name in (*APP_NAMES, "s3", "redis"):
        folder.stop(name)
    replica = replicas.Replica(folder.root / "replica")
    if (replica.data_dir / "postmaster.pid").exists():
        replicas.stop(replica)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m stack", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    args = parser.parse_args(argv)
    folder = Folder(ROOT)
    ports = Ports(
        nginx=int(os.environ.get("STACK_PORT", "8080")),
        apps=[int(os.environ.get("STACK_APP_PORT", "8081")) + n for n in range(len(APP_NAMES))],
        redis=int(os.environ.get("STACK_REDIS_PORT", "6380")),
        s3=int(os.environ.get("STACK_S3_PORT", "9100")),
    )
    if args.command == "up":
        up(folder, ports)
        print(f"The memorial runs at http://127.0.0.1:{ports.nginx}/ (nginx -> gunicorn :{ports.apps[0]} and "
              f":{ports.apps[1]}; Redis :{ports.redis}; S3 :{ports.s3}; replica in {ROOT / 'replica'}). "
              "'make stack-stop' stops it.")  # fmt: skip
    elif args.command == "down":
        down(folder)
        print("The stack is stopped.")
    else:
        for name in ("nginx", *APP_NAMES, "redis", "s3"):
            print(f"{name}: {'running' if folder.running(name) else 'stopped'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
