"""The cache backend (settings.CACHES): Django's Redis cache, with one redis.Redis client per connection pool
instead of a new one for every operation. Building a client (its table of some 170 response callbacks) cost more
CPU than the GET it then sent: a submission's generation read (mltrainer_site.process_cache) and the rate limits'
counts each paid for one. A redis.Redis holds nothing but its pool and is safe to share between threads."""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


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
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _ClientPerPool
