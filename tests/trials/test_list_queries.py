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
    # The token's user with their teams, the page.
    body = _count(django_assert_max_num_queries, 2, lambda: client.get("/api/trials/").json())
    assert len(body["results"]) == 12 and {t["created_by"] for t in body["results"]} == {"alice", "bob"}


def test_trial_export_does_not_query_per_trial(many_trials, alice, api_as, django_assert_max_num_queries):
    client = api_as(alice)

    def export():
        return b"".join(client.get("/api/trials/export.csv").streaming_content).decode()

    csv_text = _count(django_assert_max_num_queries, 6, export)
    assert csv_text.count("\n") == 13  # header and twelve trials


def _queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured)


def test_a_thousand_trial_page_costs_what_a_one_trial_page_costs(alice, team_a, api_as):
    """The one-page list of up to 1,000 (and sorted by a metric, which joins the metric rows): user, teams, page."""
    from tests.factories import StoredTrialFactory
    from trials.metric_index import metrics_index

    client = api_as(alice)
    metrics_index(trials=[StoredTrialFactory(team=team_a, created_by=alice, metrics={"sharpe": 0.5})])
    one = _queries(lambda: client.get("/api/trials/?limit=1000&sort=-sharpe").json())
    metrics_index(trials=StoredTrialFactory.create_batch(40, team=team_a, created_by=alice, metrics={"sharpe": 1.0}))
    body = client.get("/api/trials/?limit=1000&sort=-sharpe").json()
    assert len(body["results"]) == 41 and body["next"] is None
    assert _queries(lambda: client.get("/api/trials/?limit=1000&sort=-sharpe").json()) == one <= 3
    assert _queries(lambda: client.get("/api/trials/?limit=1000").json()) <= 3


def test_one_trial_is_two_queries(alice, team_a, api_as):
    """The user behind the token, then the trial with its team and creator, checked against the memberships."""
    from tests.factories import StoredTrialFactory

    trial = StoredTrialFactory(team=team_a, created_by=alice, folds=[{"fold": n} for n in range(5)])
    client = api_as(alice)
    assert _queries(lambda: client.get(f"/api/trials/{trial.pk}/").json()) == 2
    assert len(client.get(f"/api/trials/{trial.pk}/").json()["folds"]) == 5


def test_a_study_export_does_not_query_per_trial(alice, team_a, api_as):
    client = api_as(alice)
    (study,) = _studies(alice, team_a, 1)

    def export():
        return b"".join(client.get(f"/api/studies/{study.pk}/export.csv").streaming_content).decode()

    few = _queries(export)
    from tests.factories import StoredTrialFactory

    StoredTrialFactory.create_batch(20, team=team_a, study=study, created_by=alice, metrics={"sharpe": 1})
    assert export().count("\n") == 24  # header, 3 + 20 trials
    assert _queries(export) == few <= 6


def test_compliance_decisions_and_their_export_do_not_query_per_decision(alice, team_a, api_as, make_trial):
    client = api_as(alice)
    make_trial(alice, team_a)

    def export():
        return b"".join(client.get("/api/compliance/decisions/export.csv").streaming_content).decode()

    listed, exported = _queries(lambda: client.get("/api/compliance/decisions/").json()), _queries(export)
    for _ in range(4):
        make_trial(alice, team_a)
    assert len(client.get("/api/compliance/decisions/").json()["results"]) == 5
    assert _queries(lambda: client.get("/api/compliance/decisions/").json()) == listed <= 5
    assert export().count("\n") == 6 and _queries(export) == exported <= 6


def test_coach_conversations_do_not_query_per_conversation(alice, team_a, api_as):
    from coach.models import Conversation

    client = api_as(alice)
    Conversation.objects.create(team=team_a, user=alice, goal="g", title="one")
    one = _queries(lambda: client.get("/api/coach/conversations/").json())
    for n in range(6):
        Conversation.objects.create(team=team_a, user=alice, goal="g", title=f"more {n}")
    body = client.get("/api/coach/conversations/").json()
    assert len(body["results"] if isinstance(body, dict) else body) == 7
    assert _queries(lambda: client.get("/api/coach/conversations/").json()) == one <= 4


def test_catalog_and_datasets_cost_a_fixed_few_queries(alice, api_as, bundled):
    client = api_as(alice)
    assert len(client.get("/api/models/").json()["results"]) > 100
    assert _queries(lambda: client.get("/api/models/").json()) <= 4
    assert len(client.get("/api/datasets/").json()) > 2
    assert _queries(lambda: client.get("/api/datasets/").json()) <= 4


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
