"""Quotas hold under real concurrency: parallel API requests on PostgreSQL cannot admit more than the limit, and
60 at once, some of them tripping repeated-violation blocks, end without a deadlock or a server error."""

import threading

import pytest
from django.db import connection

from compliance.models import Decision, ForbiddenTermsRule, QuotaRule, RepeatedViolationRule, SubmissionBlock
from tests.conftest import TRIAL_PAYLOAD, api_client_for
from tests.factories import MembershipFactory
from trials.models import Trial

pytestmark = pytest.mark.django_db(transaction=True)

PARALLEL = 8


def _post_in_parallel(users: list, payloads: list | None = None) -> list:
    """Each user's request from its own thread, client and database connection, released together. A request
    that raised (the test client re-raises what would have been a 500) is listed as 500 with its error."""
    payloads = payloads or [TRIAL_PAYLOAD] * len(users)
    start = threading.Barrier(len(users))
    statuses: list = []
    lock = threading.Lock()

    # Tokens are minted here: minting writes to the database, and a thread must not hold a pooled connection
    # while it waits at the barrier for the others.
    clients = [api_client_for(user) for user in users]

    def post(client, payload):
        try:
            start.wait(timeout=30)
            try:
                status = client.post("/api/trials/", payload, format="json").status_code
            except Exception as exc:  # noqa: BLE001 - reported in the assertion, with its message
                status = (500, f"{type(exc).__name__}: {exc}")
            with lock:
                statuses.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=pair) for pair in zip(clients, payloads, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
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


def test_sixty_concurrent_submissions_end_without_deadlock_or_error(postgresql, bundled, team_a):
    """Clean submitters hit the team quota; others break a rule and get blocked as they go (a block insert runs
    while other submissions hold the quota locks: the deadlock the old lock mode allowed)."""
    QuotaRule.objects.create(team=team_a, reason="team budget", max_active_per_team=3)
    ForbiddenTermsRule.objects.create(terms="guaranteed", reason="no promises")
    RepeatedViolationRule.objects.create(rejections=2, window_minutes=60, reason="two strikes")
    clean = [MembershipFactory(team=team_a, user__username=f"clean{n}").user for n in range(3)]
    breaking = [MembershipFactory(team=team_a, user__username=f"breaks{n}").user for n in range(3)]
    users = (clean + breaking) * 10
    payloads = [dict(TRIAL_PAYLOAD, name="guaranteed" if user in breaking else "") for user in users]

    statuses = _post_in_parallel(users, payloads)

    assert len(statuses) == 60
    assert sorted(statuses, key=str) == [201] * 3 + [400] * 57
    assert Trial.objects.filter(team=team_a).count() == 3
    assert set(Trial.objects.values_list("created_by__username", flat=True)) <= {u.username for u in clean}
    # Each rule-breaker is blocked once; a full quota is not misconduct, so no clean submitter is.
    blocked = sorted(SubmissionBlock.objects.values_list("user__username", flat=True))
    assert blocked == sorted(u.username for u in breaking)
    assert Decision.objects.filter(stage="submit").count() == 60
