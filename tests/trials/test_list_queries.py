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
    body = _count(django_assert_max_num_queries, 6, lambda: client.get("/api/trials/").json())
    assert body["count"] == 12 and {t["created_by"] for t in body["results"]} == {"alice", "bob"}


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
