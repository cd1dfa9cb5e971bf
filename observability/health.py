"""Readiness checks: can this web process reach the database, Redis, and a Celery worker, right now?

Each check runs in its own thread under one deadline, so a dependency that hangs (a dropped packet, not a
refused connection) costs the probe READYZ_TIMEOUT_SECONDS at most and is reported as timed out.
"""

import concurrent.futures
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection, connections

# Enough threads for a few probes whose checks are still hanging on a dead dependency.
_EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")


def database_pool_wedged() -> str | None:
    """Why this process can no longer serve database requests, or None: every connection of its psycopg pool is
    checked out and requests are waiting for one (connections leaked by requests that never finished).

    Liveness, not readiness: it reads the pool's counters and touches no server, so a database outage (the pool
    cannot open connections, so it is not full) never restarts the pod. Not a pool yet, or no pooling: None."""
    database = connections["default"]
    pool = getattr(type(database), "_connection_pools", {}).get(database.alias)
    if pool is None:
        return None
    stats = pool.get_stats()
    if stats["pool_size"] >= pool.max_size and stats["pool_available"] == 0 and stats.get("requests_waiting", 0):
        return (
            f"all {pool.max_size} database connections of this process are in use and "
            f"{stats['requests_waiting']} requests are waiting for one"
        )
    return None


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        connection.close()  # this thread's connection (back to the pool, if pooling)
    return "ok"


def check_redis() -> str:
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def check_worker() -> str:
    from mltrainer_site.celery import app

    replies = app.control.ping(timeout=settings.READYZ_WORKER_PING_SECONDS)
    if not replies:
        raise RuntimeError(f"no Celery worker answered a ping within {settings.READYZ_WORKER_PING_SECONDS:g} s")
    return f"ok ({len(replies)} answered)"


def _problem(exc: BaseException) -> str:
    # The exception type and message name the problem; URLs in them carry no password (redis-py and psycopg
    # leave credentials out of connection errors), but cut long messages short.
    text = f"{type(exc).__name__}: {exc}".strip()
    return text if len(text) <= 300 else text[:297] + "..."


def readiness() -> tuple[bool, dict[str, str]]:
    """(all up, {check: "ok ..." or "down: reason"}), within settings.READYZ_TIMEOUT_SECONDS."""
    checks: dict[str, Callable[[], str]] = {"database": check_database, "redis": check_redis}
    if settings.READYZ_REQUIRE_WORKER:
        checks["worker"] = check_worker
    futures = {name: _EXECUTOR.submit(check) for name, check in checks.items()}
    deadline = time.monotonic() + settings.READYZ_TIMEOUT_SECONDS
    results = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except concurrent.futures.TimeoutError:
            results[name] = f"down: no answer within {settings.READYZ_TIMEOUT_SECONDS:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency is an answer: "down, because ..."
            results[name] = f"down: {_problem(exc)}"
    return all(value.startswith("ok") for value in results.values()), results
