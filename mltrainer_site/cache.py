"""The cache backend (settings.CACHES): Django's Redis cache, with one connection pool and one redis.Redis client
per process instead of new ones for every request and every operation.

Django gives each thread and each asyncio context its own cache backend object (django.utils.connection: a Local
that is not thread-critical), and RedisCacheClient keeps its pools on that object: under ASGI every request had
its own pool, so it opened a new Redis connection (connect, HELLO, health check) for its first cache read, about a
fifth of a submission's time. Building a client (its table of some 170 response callbacks) also cost more CPU than
the GET it then sent. A redis.Redis holds nothing but its pool; both are safe to share between threads, and the
pool reopens its connections in a forked child (it checks the pid)."""

import threading

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_clients: dict[tuple, "_ClientPerPool"] = {}
_clients_lock = threading.Lock()


class _ClientPerPool(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ReusedClientRedisCache(RedisCache):
    @property
    def _cache(self) -> _ClientPerPool:
        servers, options = self._servers, self._options  # type: ignore[attr-defined] # as RedisCache parsed them
        key = (tuple(servers), repr(sorted(options.items())))
        client = _clients.get(key)
        if client is None:
            with _clients_lock:
                client = _clients.setdefault(key, _ClientPerPool(servers, **options))
        return client
