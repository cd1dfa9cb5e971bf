"""The cache backend (mltrainer_site.cache) is Django's Redis cache, sharing one redis.Redis per connection pool
rather than building one for every operation: same answers, one client (per thread: Django gives each thread its
own cache backend)."""

import threading

import redis
from django.core.cache import cache


def test_operations_answer_as_django_s_and_share_one_client(monkeypatch):
    cache.get("warm-up")  # the pool and its client, made once
    built = []
    real_init = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
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
    assert len(built) == 8  # one client per thread's backend, not one per operation
