"""List pages and exports cost a fixed number of queries, however many trials a team has (no N+1)."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_trials(alice, bob, team_a, make_trial):
    for n in range(12):
        make_trial(alice if n % 2 else bob, team_a, name=f"t{n}")


def _count(django_assert_max_num_queries, limit, call):
    with django_assert_max_num_queries(limit):
        return call()


def test_trial_list_api_does_not_query_per_trial(many_trials, alice, api_as, django_assert_max_num_queries):
    client = api_as(alice)
    body = _count(django_assert_max_num_queries, 3, lambda: client.get("/api/trials/").json())
    assert len(body["results"]) == 12 and {t["created_by"] for t in body["results"]} == {"alice", "bob"}


def test_trial_export_does_not_query_per_trial(many_trials, alice, api_as, django_assert_max_num_queries):
    client = api_as(alice)

    def export():
        return b"".join(client.get("/api/trials/export.csv").streaming_content).decode()

    csv_text = _count(django_assert_max_num_queries, 6, export)
    assert csv_text.count("\n") == 13  # header and twelve trials


def test_dashboard_does_not_query_per_trial(many_trials, alice, django_assert_max_num_queries):
    client = Client()
    client.force_login(alice)
    page = _count(django_assert_max_num_queries, 8, lambda: client.get("/").content.decode())
    assert page.count("/trials/") >= 12


def _studies(alice, team_a, count: int) -> list:
    from tests.factories import StoredTrialFactory, StudyFactory

    studies = StudyFactory.create_batch(count, team=team_a, created_by=alice)
    for study in studies:
        for k in range(3):
            StoredTrialFactory(team=team_a, study=study, metrics={"sharpe": k})
    return studies


def test_study_api_costs_the_same_for_one_study_or_ten(alice, team_a, api_as, django_assert_max_num_queries):
    """One query for the studies and one for all their evaluations (it was one more per study, and its owner)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_as(alice)
    _studies(alice, team_a, 1)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/studies/").json()) == 1
    _studies(alice, team_a, 9)
    with CaptureQueriesContext(connection) as ten:
        body = client.get("/api/studies/").json()
    assert len(body) == 10 and [len(s["trials"]) for s in body] == [3] * 10
    assert body[0]["created_by"] == "alice" and [t["value"] for t in body[0]["trials"]] == [0, 1, 2]
    assert len(ten) == len(one) <= 3
    study = body[0]["id"]
    detail = _count(django_assert_max_num_queries, 3, lambda: client.get(f"/api/studies/{study}/").json())
    assert [t["value"] for t in detail["trials"]] == [0, 1, 2]
