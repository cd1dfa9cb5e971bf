"""The trial list by keyset: pages that join up, sorts by a metric, metric ranges, the cursor checked, teams apart."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import StoredTrialFactory
from trials.metric_index import metrics_index
from trials.models import Trial, TrialMetric

pytestmark = pytest.mark.django_db

BASE = timezone.now().replace(microsecond=0)


def _stored(team, user, n: int, *, sharpe=None, minutes_ago=0, **fields) -> Trial:
    metrics = {"accuracy": 0.5 + n / 1000, "nested": {"not": "sortable"}, "flag": True}
    if sharpe is not None:
        metrics["sharpe"] = sharpe
    trial = StoredTrialFactory(team=team, created_by=user, name=f"t{n}", status="succeeded", metrics=metrics, **fields)
    # Several trials share a created_at on purpose: ties must be broken by id, not lost between pages.
    Trial.objects.filter(pk=trial.pk).update(created_at=BASE - timedelta(minutes=minutes_ago))
    trial.refresh_from_db()
    metrics_index(trials=[trial])
    return trial


@pytest.fixture
def seven(alice, team_a):
    sharpes = [0.3, None, 1.2, 0.3, -0.5, 2.0, 0.9]
    return [_stored(team_a, alice, n, sharpe=s, minutes_ago=n // 2) for n, s in enumerate(sharpes)]


def _walk(client, url):
    """Follow `next` links to the end: the ids of every page, and the last page's body."""
    pages = []
    while url:
        body = client.get(url).json()
        pages.append([t["id"] for t in body["results"]])
        url = body["next"]
    return pages, body


def test_pages_join_up_newest_first_and_walk_back(seven, alice, api_as):
    client = api_as(alice)
    newest_first = [t.pk for t in sorted(seven, key=lambda t: (t.created_at, t.pk), reverse=True)]
    pages, last = _walk(client, "/api/trials/?limit=3")
    assert pages == [newest_first[:3], newest_first[3:6], newest_first[6:]]
    # And back again from the last page by its previous link.
    back = client.get(last["previous"]).json()
    assert [t["id"] for t in back["results"]] == newest_first[3:6]
    first = client.get(back["previous"]).json()
    assert [t["id"] for t in first["results"]] == newest_first[:3] and first["previous"] is None


def test_oldest_first(seven, alice, api_as):
    pages, _ = _walk(api_as(alice), "/api/trials/?limit=4&sort=created_at")
    assert sum(pages, []) == [t.pk for t in sorted(seven, key=lambda t: (t.created_at, t.pk))]


def test_sort_by_a_metric_both_ways_with_ties(seven, alice, api_as):
    client = api_as(alice)
    with_sharpe = [t for t in seven if "sharpe" in t.metrics]
    pages, _ = _walk(client, "/api/trials/?limit=2&sort=-sharpe")
    expected = [t.pk for t in sorted(with_sharpe, key=lambda t: (t.metrics["sharpe"], t.pk), reverse=True)]
    assert sum(pages, []) == expected and len(pages) == 3
    pages, _ = _walk(client, "/api/trials/?limit=5&sort=sharpe")
    assert sum(pages, []) == expected[::-1]


def test_metric_range_with_model_filter(seven, alice, team_a, api_as):
    other = _stored(team_a, alice, 99, sharpe=1.0, model_key="ridge_classifier")
    client = api_as(alice)
    body = client.get("/api/trials/?metric=sharpe&metric_min=0.5&metric_max=1.5").json()
    assert {t["id"] for t in body["results"]} == {seven[2].pk, seven[6].pk, other.pk}
    body = client.get("/api/trials/?metric=sharpe&metric_min=0.5&model=ridge_classifier&sort=-sharpe").json()
    assert [t["id"] for t in body["results"]] == [other.pk]


def test_list_leaves_out_folds_the_detail_has_them(alice, team_a, api_as):
    trial = StoredTrialFactory(team=team_a, created_by=alice, folds=[{"fold": 1, "metrics": {"accuracy": 0.5}}])
    client = api_as(alice)
    row = client.get("/api/trials/").json()["results"][0]
    assert row["id"] == trial.pk and "folds" not in row and "data_used" not in row and row["model"] == trial.model_key
    assert client.get(f"/api/trials/{trial.pk}/").json()["folds"] == [{"fold": 1, "metrics": {"accuracy": 0.5}}]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("cursor=WyJuZXh0IiwgIm5vdCBhIGRhdGUiLCAxXQ", "cursor"),
        ("sort=-Sharpe;drop", "sort"),
        ("limit=1001", "limit"),
        ("metric_min=1", "metric"),
        ("metric=sharpe&metric_min=high", "metric_min"),
    ],
)
def test_bad_paging_is_a_400_naming_the_parameter(seven, alice, api_as, query, field):
    response = api_as(alice).get(f"/api/trials/?{query}")
    assert response.status_code == 400 and field in response.json(), response.content


def test_a_metric_sort_cursor_is_not_a_date_cursor(seven, alice, api_as):
    client = api_as(alice)
    cursor = client.get("/api/trials/?limit=2&sort=-sharpe").json()["next"].split("cursor=")[1].split("&")[0]
    response = client.get(f"/api/trials/?limit=2&cursor={cursor}")
    assert response.status_code == 400 and "cursor" in response.json()


def test_outsider_sees_nothing_whatever_the_filters(seven, charlie, api_as):
    client = api_as(charlie)
    for query in ("", "?sort=-sharpe", "?metric=sharpe&metric_min=-10", "?team=team-a"):
        assert client.get(f"/api/trials/{query}").json()["results"] == []
    # A cursor taken from alice's list shows charlie nothing of hers either.
    assert client.get(f"/api/trials/{seven[0].pk}/").status_code == 404


def test_metric_index_keeps_numbers_only_and_replaces_old_rows(alice, team_a):
    trial = _stored(team_a, alice, 1, sharpe=0.7)
    assert dict(TrialMetric.objects.filter(trial=trial).values_list("name", "value")) == {
        "accuracy": 0.501,
        "sharpe": 0.7,
    }
    trial.metrics = {"sharpe": 0.8, "dsr": float("nan")}
    metrics_index(trials=[trial])
    assert list(TrialMetric.objects.filter(trial=trial).values_list("name", "value")) == [("sharpe", 0.8)]


def test_a_page_costs_three_queries_for_three_trials_or_thirty(alice, team_a, api_as, django_assert_max_num_queries):
    """The user (JWT), the user's team ids, the page: whatever the page size, sort or filter."""
    client = api_as(alice)
    for n in range(30):
        _stored(team_a, alice, n, sharpe=n / 10)
    for query in ("?limit=3", "?limit=30", "?sort=-sharpe&limit=30", "?metric=sharpe&metric_min=1&status=succeeded"):
        with django_assert_max_num_queries(3):
            body = client.get(f"/api/trials/{query}").json()
        assert body["results"] and all(t["created_by"] == "alice" for t in body["results"])
