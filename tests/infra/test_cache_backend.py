"""The cache backend (mltrainer_site.cache) is Django's Redis cache, sharing one connection pool and one
redis.Redis per process rather than building them for every request and operation: same answers, one client and
no new connection for a new thread or a new request's asyncio context."""

import asyncio
import contextvars
import threading

import redis
from asgiref.sync import sync_to_async
from django.core.cache import cache


def test_operations_answer_as_django_s_and_share_one_client(redis_clients_built):
    cache.get("warm-up")  # the pool and its client, made once
    del redis_clients_built[:]
    built = redis_clients_built
    assert cache.add("hits", 0, timeout=30) is True and cache.add("hits", 5, timeout=30) is False
    assert [cache.incr("hits") for _ in range(3)] == [1, 2, 3]
    cache.set("spec", {"folds": 3}, timeout=30)
    assert cache.get("spec") == {"folds": 3} and cache.get("missing", "default") == "default"
    assert cache.delete("spec") is True and cache.get("spec") is None
    assert built == []  # eleven operations, no client built: the first one's is reused

    counts = []

    def count_in_a_thread():
        counts.extend(cache.incr("hits") for _ in range(3))

    threads = [threading.Thread(target=count_in_a_thread) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(counts) == list(range(4, 28)) and cache.get("hits") == 27
    assert built == []  # the threads' backends share the process's client


def test_each_request_context_reuses_the_process_s_connections(monkeypatch):
    """Under ASGI each request runs in its own asyncio context, where Django builds a new cache backend: it must not
    bring a new pool, whose first read would open a new Redis connection."""
    connects = []
    real_on_connect = redis.connection.AbstractConnection.on_connect_check_health

    def counting_on_connect(self, *args, **kwargs) -> None:
        connects.append(self)
        real_on_connect(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "on_connect_check_health", counting_on_connect)

    async def one_request(n: int) -> None:
        await sync_to_async(cache.set)(f"request-{n}", n, timeout=30)
        assert await sync_to_async(cache.get)(f"request-{n}") == n

    async def requests() -> None:
        for n in range(20):
            await asyncio.create_task(one_request(n))

    contextvars.Context().run(asyncio.run, requests())  # as a server's loop: no backend made outside a request
    assert len(connects) <= 1  # twenty requests, at most one connection opened (none if the pool has one)
