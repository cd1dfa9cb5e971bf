"""A request rate shared through Redis by every process and host, so N workers together keep one key's limit.

Polygon's free plan allows 5 requests a minute per key. A limiter inside each worker process lets N processes
make N times that; this one keeps the schedule in Redis. Each `wait()` reserves the next free slot of the key's
schedule with one atomic Lua script, timed by Redis's own clock (one clock for every host), and sleeps until it:
callers are served in order of arrival, none can slip between two others, and a process that reserves a slot and
dies wastes that slot and nothing else. The schedule's key expires as soon as it is idle.

Same spacing as the in-process `market_data.http.RateLimiter` (calls at least 60/per_minute seconds apart), so
moving from one to the other changes how far the limit reaches, not what it means.
"""

import time
from collections.abc import Callable

import redis

from .errors import DataSourceError

# KEYS[1]: the schedule (when its next slot is free, in microseconds of Redis time); ARGV[1]: the spacing in
# microseconds. Returns the microseconds to wait until the slot this call reserved. Numbers are written with
# %.0f: Lua's own number-to-string keeps 14 digits, too few for a microsecond timestamp.
_RESERVE_SLOT = """
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
local free_at = slot + tonumber(ARGV[1])
local ttl_ms = math.ceil((free_at - now) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%.0f', free_at), 'PX', string.format('%.0f', ttl_ms))
return slot - now
"""


class SharedRateLimiter:
    """Keeps the calls made under one Redis key, from any process, at least 60/per_minute seconds apart.

    `name` (the provider's) goes into the error raised when Redis cannot be reached; the message never holds the
    Redis URL, which may carry a password.
    """

    def __init__(
        self,
        *,
        client: redis.Redis,
        key: str,
        per_minute: int,
        name: str,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if per_minute <= 0:
            raise ValueError("per_minute must be a positive number")
        self.key = key
        self.interval_us = max(1, round(60_000_000 / per_minute))
        self.name = name
        self._sleep = sleep
        self._reserve = client.register_script(_RESERVE_SLOT)

    def wait(self) -> None:
        try:
            wait_us = int(self._reserve(keys=[self.key], args=[self.interval_us]))
        except redis.RedisError as exc:
            raise DataSourceError(
                f"{self.name} was not called: the shared rate limit could not be checked "
                f"(Redis: {type(exc).__name__}); try again once Redis answers.",
                source=self.name,
            ) from None
        if wait_us > 0:
            self._sleep(wait_us / 1_000_000)
