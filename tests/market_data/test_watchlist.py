"""The watch-list: per team, refreshed by the beat task with only the missing dates, each item's status kept."""

from datetime import UTC, date, datetime

import pytest
from django.conf import settings as django_settings

from market_data.models import Dataset, FetchJob, WatchItem
from market_data.services import watchlist_refresh
from market_data.tasks import refresh_watchlists
from tests.market_data.conftest import aggregate_requests

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_today(monkeypatch):
    """The fake serves history up to 2018-12-31: let "today" be 2018-03-02 (a Friday) in New York."""
    from market_data.services import fetching

    monkeypatch.setattr(fetching, "today_in_new_york", lambda: date(2018, 3, 2))


def add(client, **fields):
    return client.post(
        "/api/datasets/watchlist/", {"source": "polygon", "start": "2018-01-01", **fields}, format="json"
    )


def test_beat_schedule_runs_the_refresh_task():
    entry = django_settings.CELERY_BEAT_SCHEDULE["refresh-watchlists"]
    assert entry["task"] == "market_data.tasks.refresh_watchlists"
    assert entry["task"] == refresh_watchlists.name
    assert "reap-stuck-trials" in django_settings.CELERY_BEAT_SCHEDULE  # the trials entry is kept


def test_refresh_fetches_each_item_then_only_what_is_missing(
    fake_polygon_server, polygon_key, bob, api_as, team_a, frozen_today, monkeypatch
):
    created = add(api_as(bob), symbol="spy")
    assert created.status_code == 201, created.content
    assert created.json()["symbol"] == "SPY" and created.json()["last_status"] == ""

    refresh_watchlists()  # the beat task

    assert aggregate_requests(fake_polygon_server) == ["/v2/aggs/ticker/SPY/range/1/day/2018-01-01/2018-03-02"]
    item = WatchItem.objects.get()
    assert item.last_status == "succeeded" and item.last_refresh_at is not None and item.last_error == ""
    dataset = Dataset.objects.get(team=team_a, key="SPY")
    assert dataset.last_date == datetime(2018, 3, 2, tzinfo=UTC)
    assert dataset.last_refresh_status == "succeeded"

    from market_data.services import fetching

    monkeypatch.setattr(fetching, "today_in_new_york", lambda: date(2018, 3, 9))
    fake_polygon_server.requests.clear()
    jobs = watchlist_refresh(team=team_a)

    assert aggregate_requests(fake_polygon_server) == ["/v2/aggs/ticker/SPY/range/1/day/2018-03-03/2018-03-09"]
    assert [(j.status, j.rows_added, j.watch_item_id) for j in jobs] == [("succeeded", 5, item.pk)]
    listing = api_as(bob).get("/api/datasets/watchlist/").json()
    assert [(i["symbol"], i["last_status"]) for i in listing] == [("SPY", "succeeded")]


def test_a_failing_item_records_why_and_others_still_refresh(
    fake_polygon_server, polygon_key, bob, api_as, frozen_today
):
    add(api_as(bob), symbol="SPY")
    add(api_as(bob), symbol="QQQ")
    fake_polygon_server.forbidden_tickers.add("QQQ")

    watchlist_refresh()

    statuses = {i.symbol: (i.last_status, i.last_error) for i in WatchItem.objects.all()}
    assert statuses["SPY"] == ("succeeded", "")
    assert statuses["QQQ"][0] == "failed"
    assert statuses["QQQ"][1].startswith("Polygon rejected the API key (403)")
    assert "not entitled" in statuses["QQQ"][1]


def test_item_without_a_key_fails_with_the_where_to_set_it_message(fake_polygon_server, bob, api_as, frozen_today):
    add(api_as(bob), symbol="SPY")
    watchlist_refresh()
    item = WatchItem.objects.get()
    assert item.last_status == "failed"
    assert item.last_error.startswith("No Polygon API key: a team owner can add one on the Data page")


def test_busy_item_is_skipped(fake_polygon_server, polygon_key, bob, api_as, team_a, frozen_today):
    add(api_as(bob), symbol="SPY")
    item = WatchItem.objects.get()
    FetchJob.objects.create(
        team=team_a, source="polygon", symbol="SPY", start=date(2018, 1, 1), end=date(2018, 3, 2), watch_item=item
    )
    assert watchlist_refresh() == []
    assert fake_polygon_server.requests == []


def test_watchlist_validation_duplicates_roles_and_isolation(bob, victor, charlie, api_as, team_a):
    assert add(api_as(bob), symbol="SPY").status_code == 201
    duplicate = add(api_as(bob), symbol="SPY")
    assert duplicate.status_code == 400 and "already on Team A's watch-list" in duplicate.json()["symbol"]
    assert add(api_as(bob), symbol="SPY", adjusted=False).status_code == 201  # unadjusted is another series
    bad = add(api_as(bob), symbol="", timespan="fortnight")
    assert bad.status_code == 400
    assert add(api_as(victor), symbol="QQQ").status_code == 403
    item = WatchItem.objects.filter(team=team_a).first()
    assert api_as(victor).delete(f"/api/datasets/watchlist/{item.pk}/").status_code == 403
    assert api_as(charlie).delete(f"/api/datasets/watchlist/{item.pk}/").status_code == 404
    assert api_as(charlie).get("/api/datasets/watchlist/").json() == []
    assert api_as(bob).delete(f"/api/datasets/watchlist/{item.pk}/").status_code == 204
    assert WatchItem.objects.filter(team=team_a).count() == 1


def test_a_job_that_lost_its_worker_stops_blocking_its_item(
    fake_polygon_server, polygon_key, bob, api_as, team_a, frozen_today
):
    from datetime import timedelta

    from django.utils import timezone

    add(api_as(bob), symbol="SPY")
    item = WatchItem.objects.get()
    lost = FetchJob.objects.create(
        team=team_a, source="polygon", symbol="SPY", start=date(2018, 1, 1), end=date(2018, 3, 2), watch_item=item
    )
    FetchJob.objects.filter(pk=lost.pk).update(status="running", created_at=timezone.now() - timedelta(hours=3))

    jobs = watchlist_refresh()

    lost.refresh_from_db()
    assert lost.status == "failed" and "did not finish within 2 hours" in lost.error
    assert [j.status for j in jobs] == ["succeeded"]
