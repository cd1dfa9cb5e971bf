"""Fixtures of the infrastructure tests."""

import pytest
import redis


@pytest.fixture
def redis_clients_built(monkeypatch):
    """The redis.Redis clients built from now on, in order (the tests of clients that must be reused)."""
    built: list = []
    real_init = redis.Redis.__init__

    def counting_init(self, *args, **kwargs):
        built.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "__init__", counting_init)
    return built
