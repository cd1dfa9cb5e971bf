"""kombu's Redis transport, with one redis.Redis client per channel instead of a new one for every command.

kombu's Channel builds a redis.Redis (its table of some 170 response callbacks) around the channel's connection
pool for each publish and each queue-size read: a sixth of a task send, which every trial submission makes. The
client holds nothing but that pool, so the channel keeps one and makes another only when its pool is replaced
(after a fork or a disconnect). mltrainer_site.celery makes this the transport of redis:// and redis+socket://
broker URLs."""

from contextlib import contextmanager

from kombu.transport import redis


class Channel(redis.Channel):
    _kept_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client:
            yield client
            return
        kept = self._kept_client
        if kept is None or kept.connection_pool is not self.pool:
            kept = self._kept_client = self._create_client()
        yield kept


class Transport(redis.Transport):
    Channel = Channel
