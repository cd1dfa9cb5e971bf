"""One request schedule per provider key, kept in the real Redis and shared by every process that uses the key."""

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings

from market_data.errors import DataSourceError
from market_data.ratelimit import SharedRateLimiter
from market_data.services import provider_search, team_api_key_set
from market_data.services.keys import rate_limit_key
from tests.fakes.fake_polygon import FakePolygon

REPO = Path(__file__).resolve().parents[2]

# A worker-like process: Polygon requests (the Bearer header PolygonClient sends) through JsonHttpClient, where
# every provider client meets its limiter, spaced by the shared schedule. It imports no pandas, to start quickly.
# It warms up first (one request outside the schedule, to WARMUP, and a Redis round trip), so that its first
# measured request is not late by httpx's lazy imports; then it says "ready" and starts on "go", so both
# processes ask at the same moment.
WORKER = """
import sys
import time

import redis
from market_data.http import JsonHttpClient, Provider
from market_data.ratelimit import SharedRateLimiter

base_url, api_key, redis_url, schedule, per_minute, ticker, count = sys.argv[1:]
connection = redis.Redis.from_url(redis_url)
limiter = SharedRateLimiter(client=connection, key=schedule, per_minute=int(per_minute), name="Polygon")


def polygon(rate_limiter):
    return JsonHttpClient(
        provider=Provider(name="Polygon", key_setting="POLYGON_API_KEY", error_message=lambda body: None),
        base_url=base_url,
        secret=api_key,
        auth_headers={"Authorization": f"Bearer {api_key}"},
        timeout=10.0,
        max_retries=0,
        rate_limit_per_minute=None,
        rate_limiter=rate_limiter,
        sleep=time.sleep,
    )


polygon(None).get("/v2/aggs/ticker/WARMUP/prev")
connection.ping()
client = polygon(limiter)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(count)):
    assert client.get(f"/v2/aggs/ticker/{ticker}/prev", {"adjusted": "true"})["status"] == "OK"
"""


@pytest.fixture
def redis_client():
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def schedule(redis_client):
    """A schedule key of this test only: runs of the suite in parallel must not share a budget."""
    key = f"mltrainer-test:ratelimit:{uuid.uuid4().hex}"
    yield key
    redis_client.delete(key)


def _run_side_by_side(workers: list[list[str]]) -> None:
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for args in workers
    ]
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in processes:
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            _, stderr = process.communicate(timeout=60)
            assert process.returncode == 0, stderr
    finally:
        for process in processes:
            process.kill()


def test_two_processes_together_never_exceed_the_limit(schedule):
    per_minute, each = 150, 4  # a request every 0.4 s between them, four requests each
    interval = 60 / per_minute
    # Arrival times are measured by the server, so they carry each process's scheduling and network jitter (tens of
    # ms on a busy machine); without a shared schedule the two processes' requests arrive together, ~1 ms apart.
    tolerance = interval / 2
    with FakePolygon() as server:
        common = [server.base_url, server.api_key, settings.REDIS_URL, schedule, str(per_minute)]
        _run_side_by_side([[*common, "SPY", str(each)], [*common, "QQQ", str(each)]])
        arrivals = sorted((r["received_at"], r["path"]) for r in server.requests if "WARMUP" not in r["path"])

    paths = [path for _, path in arrivals]
    assert sorted(paths) == ["/v2/aggs/ticker/QQQ/prev"] * each + ["/v2/aggs/ticker/SPY/prev"] * each
    # They really ran side by side: each one's first request came before the other's last.
    spy = [t for t, path in arrivals if path == "/v2/aggs/ticker/SPY/prev"]
    qqq = [t for t, path in arrivals if path == "/v2/aggs/ticker/QQQ/prev"]
    assert spy[0] < qqq[-1] and qqq[0] < spy[-1], (spy, qqq)
    gaps = [later - earlier for (earlier, _), (later, _) in zip(arrivals, arrivals[1:], strict=False)]
    assert min(gaps) >= interval - tolerance, gaps
    # Eight requests at 150 a minute take at least seven intervals, whoever sends them.
    assert arrivals[-1][0] - arrivals[0][0] >= (2 * each - 1) * interval - tolerance


def test_a_second_client_on_the_same_key_waits_for_the_next_slot(schedule):
    sleeps: list[float] = []
    # Two clients with their own connections, as two processes would have.
    first, second = (
        SharedRateLimiter(
            client=redis.Redis.from_url(settings.REDIS_URL),
            key=schedule,
            per_minute=60,
            name="Polygon",
            sleep=sleeps.append,
        )
        for _ in range(2)
    )

    first.wait()  # the schedule is free: no wait
    second.wait()  # one second after the first slot
    first.wait()  # and the first client queues behind it

    assert len(sleeps) == 2
    assert 0.9 < sleeps[0] <= 1.0
    assert 1.9 < sleeps[1] <= 2.0


def test_keys_have_budgets_of_their_own(redis_client, schedule):
    sleeps: list[float] = []
    one = SharedRateLimiter(client=redis_client, key=schedule, per_minute=1, name="Polygon", sleep=sleeps.append)
    other = SharedRateLimiter(
        client=redis_client, key=f"{schedule}:other", per_minute=1, name="Polygon", sleep=sleeps.append
    )
    try:
        one.wait()
        other.wait()
    finally:
        redis_client.delete(f"{schedule}:other")

    assert sleeps == []


def test_an_idle_schedule_expires(redis_client, schedule):
    SharedRateLimiter(client=redis_client, key=schedule, per_minute=600, name="Polygon").wait()

    assert 0 < redis_client.pttl(schedule) <= 101  # gone once its 0.1 s slot has passed


def test_redis_down_is_a_clear_error_without_the_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe is closed
    client = redis.Redis.from_url(f"redis://:s3cret-pass@127.0.0.1:{port}/0", socket_connect_timeout=0.5)
    limiter = SharedRateLimiter(client=client, key="mltrainer-test:down", per_minute=5, name="Polygon")

    with pytest.raises(DataSourceError) as caught:
        limiter.wait()

    assert caught.value.source == "Polygon"
    assert str(caught.value) == (
        "Polygon was not called: the shared rate limit could not be checked (Redis: ConnectionError); "
        "try again once Redis answers."
    )
    assert "s3cret-pass" not in str(caught.value) and str(port) not in str(caught.value)


def test_a_limit_must_be_positive(redis_client):
    with pytest.raises(ValueError, match="per_minute"):
        SharedRateLimiter(client=redis_client, key="mltrainer-test:zero", per_minute=0, name="Polygon")


@pytest.mark.django_db
def test_the_services_share_the_schedule_with_every_other_client(redis_client, settings, team_a, alice):
    """A web process searching waits for the slot another process (here, the test) holds on the same key."""
    api_key = f"test-polygon-{uuid.uuid4().hex}"  # this run's own key, so its schedule is this test's alone
    schedule_key = rate_limit_key(source="polygon", api_key=api_key)
    with FakePolygon(api_key=api_key) as server:
        settings.POLYGON_BASE_URL = server.base_url
        settings.POLYGON_RATE_LIMIT_PER_MINUTE = 60
        team_api_key_set(team=team_a, user=alice, source="polygon", api_key=api_key)
        try:
            SharedRateLimiter(client=redis_client, key=schedule_key, per_minute=60, name="Polygon").wait()
            before = time.monotonic()
            found = provider_search(team=team_a, source="polygon", query="nasdaq")
            waited = time.monotonic() - before
        finally:
            redis_client.delete(schedule_key)

    assert [r["symbol"] for r in found] == ["I:NDX", "I:COMP"]
    assert len(server.requests) == 1
    assert waited >= 0.9  # the next slot was a second after the one the other client took
