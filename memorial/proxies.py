"""Which forwarded headers to believe: only those a configured proxy (``TRUSTED_PROXIES``) sent.

Behind a TLS-terminating proxy every request comes from the proxy, which appends the address it
saw to ``X-Forwarded-For`` and says the scheme in ``X-Forwarded-Proto``. Anyone who reaches
gunicorn directly can send those headers too, so they are believed only when the connection comes
from a trusted proxy, and the client is the right-most hop that is not itself a trusted proxy
(every hop to its left is whatever the client chose to send).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

# Headers that only a proxy may set; from anyone else they are dropped before Django reads them.
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_X_FORWARDED_SSL",
    "HTTP_X_REAL_IP",
    "HTTP_FORWARDED",
)


# In DJANGO_TRUSTED_PROXIES: connections to gunicorn's Unix socket (no address; only processes
# allowed to open the socket file can connect), as gunicorn itself treats them.
UNIX_SOCKET = "unix"


def parse_networks(values: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses and CIDR blocks (``10.0.0.2``, ``10.0.0.0/8``, ``::1``); ValueError names a bad one.
    ``unix`` (trust the Unix socket) is allowed and left out."""
    networks = []
    for value in values:
        if value.strip() == UNIX_SOCKET:
            continue
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network.") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def is_trusted_proxy(value: str | None) -> bool:
    if not value:  # a Unix socket connection has no address
        return UNIX_SOCKET in settings.TRUSTED_PROXIES
    address = _address(value)
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    return address is not None and any(address in network for network in networks)


def client_address(meta: dict) -> str | None:
    """The client's address: ``REMOTE_ADDR``, unless that is a trusted proxy; then the right-most
    ``X-Forwarded-For`` hop that is not a trusted proxy (a malformed hop ends the walk)."""
    peer = meta.get("REMOTE_ADDR")
    if not is_trusted_proxy(peer):
        return peer
    client = peer
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if _address(hop) is None:
            break
        client = hop
        if not is_trusted_proxy(hop):
            break
    return client


class ForwardedHeadersMiddleware:
    """First in the chain: drop forwarded headers that did not come from a trusted proxy, and put
    the client's address in ``REMOTE_ADDR`` (what Django, django-axes and the logs read)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        peer = meta.get("REMOTE_ADDR")
        if is_trusted_proxy(peer):
            meta["REMOTE_ADDR"] = client_address(meta)
            meta["memorial.proxy_address"] = peer
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)
