"""/healthz notices a process whose database pool is held by connections that never came back (the wedge the
red-team run caused with four streamed exports), so the liveness probe restarts it; a database outage does not."""

import threading
import time

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


@pytest.fixture
def pool():
    if connection.vendor != "postgresql" or connection.pool is None:
        pytest.skip("needs PostgreSQL with Django's connection pool")
    return connection.pool


def test_healthz_fails_while_the_pool_is_exhausted_and_requests_wait(client, pool):
    assert client.get("/healthz").status_code == 200
    held = []
    try:
        stats = pool.get_stats()
        in_use = stats["pool_size"] - stats["pool_available"]  # this test's own connection
        held = [pool.getconn(timeout=5) for _ in range(pool.max_size - in_use)]  # every one left
        stats = pool.get_stats()
        assert (stats["pool_size"], stats["pool_available"]) == (pool.max_size, 0)
        assert client.get("/healthz").status_code == 200, "a full pool with no one waiting is only busy"
        waiter = threading.Thread(target=lambda: pool.putconn(pool.getconn(timeout=10)))
        waiter.start()
        deadline = time.monotonic() + 5
        while pool.get_stats().get("requests_waiting", 0) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "wedged",
            "reason": f"all {pool.max_size} database connections of this process are in use and "
            "1 requests are waiting for one",
        }
    finally:
        for conn in held:
            pool.putconn(conn)
    waiter.join(timeout=10)
    assert client.get("/healthz").json() == {"status": "ok"}
