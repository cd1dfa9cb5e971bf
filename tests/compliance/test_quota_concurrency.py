"""Quotas hold under real concurrency: parallel API requests on PostgreSQL cannot admit more than the limit."""

import threading

import pytest
from django.db import connection

from compliance.models import Decision, QuotaRule
from tests.conftest import TRIAL_PAYLOAD, api_client_for
from trials.models import Trial

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 8


def _post_in_parallel(users: list) -> list[int]:
    """Each user's request from its own thread, client and database connection, released together."""
    start = threading.Barrier(len(users))
    statuses: list[int] = []
    lock = threading.Lock()

    # Tokens are minted here: minting writes to the database, and a thread must not hold a pooled connection
    # while it waits at the barrier for the others.
    clients = [api_client_for(user) for user in users]

    def post(client):
        try:
            start.wait(timeout=30)
            response = client.post("/api/trials/", TRIAL_PAYLOAD, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: row locks are what this test exercises (SQLite serialises all writers)")


def test_parallel_submissions_by_one_user_cannot_exceed_the_user_quota(postgresql, bundled, alice, team_a):
    QuotaRule.objects.create(reason="fair share", max_active_per_user=2)
    statuses = _post_in_parallel([alice] * PARALLEL)
    assert sorted(statuses) == [201] * 2 + [400] * (PARALLEL - 2)
    assert Trial.objects.filter(created_by=alice, status__in=["queued", "running"]).count() == 2
    assert Decision.objects.filter(outcome="rejected", reasons__0__rule="quota").count() == PARALLEL - 2


def test_parallel_submissions_by_a_team_cannot_exceed_the_team_quota(postgresql, bundled, alice, bob, team_a):
    QuotaRule.objects.create(team=team_a, reason="team budget", max_active_per_team=3)
    statuses = _post_in_parallel([alice, bob] * (PARALLEL // 2))
    assert sorted(statuses) == [201] * 3 + [400] * (PARALLEL - 3)
    assert Trial.objects.filter(team=team_a).count() == 3
