"""Django's Redis cache, kept out of the request's way when Redis is away.

The page cache, the derived counts, rate limits and sessions live in Redis when ``REDIS_URL`` is
set, so that several application servers share them. A cache is an optimisation: while Redis
restarts, a read is a miss and a write is dropped, so the site keeps serving (slower, rendering
every page) and uses Redis again by itself when it returns. The outage is logged once per
interval, not once per request.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("memorial.cache")

LOG_INTERVAL = 30.0  # seconds between two warnings about the same outage


class ResilientRedisCache(RedisCache):
    """``RedisCache`` whose connection and timeout errors read as misses and dropped writes."""

    _last_warning = 0.0

    def _failed(self, operation: str, error: Exception, default=None):
        now = time.monotonic()
        if now - ResilientRedisCache._last_warning >= LOG_INTERVAL:
            ResilientRedisCache._last_warning = now
            logger.warning("Redis cache unavailable (%s: %s); serving without it", operation, error)
        return default

    @staticmethod
    def _redis_errors() -> tuple[type[Exception], ...]:
        import redis.exceptions

        return (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except self._redis_errors() as error:
            return self._failed("get", error, default)

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except self._redis_errors() as error:
            return self._failed("get_many", error, {})

    def set(self, key, value, timeout=None, version=None):  # noqa: A003
        try:
            return super().set(key, value, timeout, version)
        except self._redis_errors() as error:
            return self._failed("set", error)

    def set_many(self, data, timeout=None, version=None):
        try:
            return super().set_many(data, timeout, version)
        except self._redis_errors() as error:
            return self._failed("set_many", error, list(data))

    def add(self, key, value, timeout=None, version=None):
        try:
            return super().add(key, value, timeout, version)
        except self._redis_errors() as error:
            return self._failed("add", error, False)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except self._redis_errors() as error:
            # A rate limit that cannot count lets the request through rather than refusing everyone.
            return self._failed("incr", error, delta)

    def touch(self, key, timeout=None, version=None):
        try:
            return super().touch(key, timeout, version)
        except self._redis_errors() as error:
            return self._failed("touch", error, False)

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except self._redis_errors() as error:
            return self._failed("delete", error, False)

    def delete_many(self, keys, version=None):
        try:
            return super().delete_many(keys, version)
        except self._redis_errors() as error:
            return self._failed("delete_many", error)

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except self._redis_errors() as error:
            return self._failed("has_key", error, False)

    def clear(self):
        try:
            return super().clear()
        except self._redis_errors() as error:
            return self._failed("clear", error, False)
