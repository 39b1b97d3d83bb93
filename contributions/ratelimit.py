"""Per-address limits through Django's cache (shared between servers when REDIS_URL is set)."""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.utils import timezone


def over_limit(request, *, scope: str, limit: int, period: int = 3600) -> bool:
    """Count one request of ``scope`` from the client's address in the current ``period``-second
    window; True once more than ``limit`` were counted. The address is stored hashed."""
    address = request.META.get("REMOTE_ADDR", "")
    window = int(timezone.now().timestamp()) // period
    key = f"rate:{scope}:{window}:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
    if cache.add(key, 1, timeout=period):
        return limit < 1
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=period)
        return False
