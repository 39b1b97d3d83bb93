"""gunicorn's settings for the memorial, read from the folder gunicorn starts in (or ``-c``).

gunicorn decides the request's scheme from ``X-Forwarded-Proto`` (and its kin) itself, for the
addresses in ``forwarded_allow_ips``. Those are the proxies the site trusts too
(``DJANGO_TRUSTED_PROXIES``, memorial/proxies.py), so that a client reaching gunicorn directly
cannot pass for HTTPS; gunicorn trusts its Unix socket anyway.
"""

from pathlib import Path

import environ

from memorial.proxies import parse_networks

_env = environ.Env()
if (Path(__file__).resolve().parent / ".env").exists():
    environ.Env.read_env(Path(__file__).resolve().parent / ".env")
_behind_proxy = _env.bool("DJANGO_BEHIND_PROXY", default=False)
_trusted = _env.list("DJANGO_TRUSTED_PROXIES", default=["127.0.0.1", "::1"] if _behind_proxy else [])
forwarded_allow_ips = ",".join(str(network) for network in parse_networks(_trusted))
