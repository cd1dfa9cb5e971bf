"""Fetching Polygon bars into the team's cache: only missing dates, all-or-nothing, provenance, job lifecycle."""

from datetime import UTC, date, datetime

import numpy as np
import pytest

from market_data.hashing import frame_sha256
from market_data.models import Bar, Dataset, FetchJob
from market_data.selectors import dataset_frame
from market_data.services import fetch_job_create
from market_data.tasks import run_fetch_job
from tests.fakes.fake_polygon import FakePolygon, expected_bars
from tests.market_data.conftest import aggregate_requests

pytestmark = pytest.mark.django_db


def fetch(team, user, symbol="SPY", **fields):
    job = fetch_job_create(team=team, user=user, source="polygon", symbol=symbol, **fields)
    run_fetch_job(job.pk)  # the Celery task, called the way a worker calls it
    job.refresh_from_db()
    return job


def test_fetch_stores_daily_bars_at_utc_midnight_of_their_new_york_date(fake_polygon_server, polygon_key, team_a, bob):
    job = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 6, 30))

    assert job.status == "succeeded", job.error
    assert job.progress == 1.0 and job.finished_at is not None
    dataset = job.dataset
    assert (dataset.team, dataset.key, dataset.source, dataset.frequency, dataset.adjusted) == (
        team_a,
        "SPY",
        "polygon",
        "1d",
        True,
    )
    expected = expected_bars("SPY", date(2018, 1, 1), date(2018, 6, 30))
    assert job.rows_added == dataset.rows == len(expected) == 125
    stored = dataset_frame(dataset=dataset)
    assert list(stored.index.date) == list(expected.index)
    assert (stored.index.hour == 0).all()  # a date, not 05:00 UTC
    np.testing.assert_array_equal(stored.to_numpy(), expected.to_numpy())
    assert dataset.first_date == datetime(2018, 1, 2, tzinfo=UTC)
    assert dataset.last_date == datetime(2018, 6, 29, tzinfo=UTC)
    # Pagination was followed (the fake serves 100 bars a page).
    assert sum("cursor" in r["params"] for r in fake_polygon_server.requests) == 1
    # Provenance: source, endpoint, parameters (never the key), fetch time, SHA-256 of the values.
    provenance = dataset.provenance
    assert provenance["source"] == "polygon"
    assert provenance["endpoint"] == "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}"
    assert provenance["params"] == {
        "ticker": "SPY",
        "multiplier": 1,
        "timespan": "day",
        "from": "2018-01-01",
        "to": "2018-06-30",
        "adjusted": True,
        "sort": "asc",
    }
    assert datetime.fromisoformat(provenance["fetched_at"]) <= job.finished_at
    assert provenance["sha256"] == dataset.sha256 == frame_sha256(stored)
    assert polygon_key not in str(provenance)
    assert (dataset.last_refresh_status, dataset.last_refresh_at) == ("succeeded", job.finished_at)


def test_refresh_requests_only_the_missing_dates(fake_polygon_server, polygon_key, team_a, bob):
    first = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 6, 30))
    first_hash = first.dataset.sha256
    fake_polygon_server.requests.clear()

    later = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 12, 31))

    assert aggregate_requests(fake_polygon_server) == ["/v2/aggs/ticker/SPY/range/1/day/2018-06-30/2018-12-31"]
    assert later.dataset_id == first.dataset_id
    dataset = later.dataset
    expected = expected_bars("SPY", date(2018, 1, 1), date(2018, 12, 31))
    assert later.rows_added == len(expected) - 125 and dataset.rows == len(expected)
    stored = dataset_frame(dataset=dataset)
    np.testing.assert_array_equal(stored.to_numpy(), expected.to_numpy())
    assert dataset.sha256 == frame_sha256(stored) != first_hash
    assert [f["params"]["from"] for f in dataset.provenance["fetches"]] == ["2018-01-01", "2018-06-30"]

    # Earlier dates: only the part before the first stored bar.
    fake_polygon_server.requests.clear()
    earlier = fetch(team_a, bob, start=date(2017, 12, 1), end=date(2018, 12, 31))
    assert aggregate_requests(fake_polygon_server) == ["/v2/aggs/ticker/SPY/range/1/day/2017-12-01/2017-12-31"]
    assert earlier.rows_added == len(expected_bars("SPY", date(2017, 12, 1), date(2017, 12, 31)))

    # Nothing missing: no request at all, and the job still succeeds.
    fake_polygon_server.requests.clear()
    nothing = fetch(team_a, bob, start=date(2018, 3, 1), end=date(2018, 9, 30))
    assert fake_polygon_server.requests == []
    assert (nothing.status, nothing.rows_added) == ("succeeded", 0)


class FailingAfterFirstPage(FakePolygon):
    """Serves the first page of a range, then answers every pagination request with 500."""

    def route(self, path, params):
        if "cursor" in params:
            return 500, self.error_body(500, "Internal server error"), {}
        return super().route(path, params)


@pytest.fixture
def failing_polygon(settings):
    with FailingAfterFirstPage(page_size=50) as server:
        settings.POLYGON_BASE_URL = server.base_url
        settings.POLYGON_RATE_LIMIT_PER_MINUTE = 0
        settings.MARKET_DATA_MAX_RETRIES = 1
        yield server


def test_failure_mid_pagination_stores_nothing(failing_polygon, polygon_key, team_a, bob):
    job = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 6, 30))

    assert job.status == "failed"
    assert "returned HTTP 500" in job.error and "2 attempt(s)" in job.error
    assert polygon_key not in job.error
    assert not Dataset.objects.filter(team=team_a).exists()
    assert not Bar.objects.filter(dataset__team=team_a).exists()


def test_failure_mid_pagination_leaves_an_existing_series_unchanged(
    fake_polygon_server, polygon_key, team_a, bob, settings
):
    dataset = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 3, 31)).dataset
    before = (dataset.sha256, dataset.rows, dataset.last_date, list(Bar.objects.filter(dataset=dataset).values_list()))

    with FailingAfterFirstPage(page_size=50) as failing:
        settings.POLYGON_BASE_URL = failing.base_url
        job = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 12, 31))

    assert job.status == "failed" and job.dataset_id == dataset.pk
    dataset.refresh_from_db()
    after = (dataset.sha256, dataset.rows, dataset.last_date, list(Bar.objects.filter(dataset=dataset).values_list()))
    assert after == before
    assert dataset.last_refresh_status == "failed"


def test_adjusted_and_unadjusted_are_kept_apart(fake_polygon_server, polygon_key, team_a, bob):
    adjusted = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 1, 31))
    raw = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 1, 31), adjusted=False)

    assert adjusted.dataset_id != raw.dataset_id
    assert (adjusted.dataset.adjusted, raw.dataset.adjusted) == (True, False)
    assert [r["params"]["adjusted"] for r in fake_polygon_server.requests] == ["true", "false"]


def test_index_bars_have_no_volume(fake_polygon_server, polygon_key, team_a, bob):
    job = fetch(team_a, bob, symbol="I:SPX", start=date(2018, 1, 1), end=date(2018, 1, 31))

    assert job.status == "succeeded", job.error
    stored = dataset_frame(dataset=job.dataset)
    expected = expected_bars("I:SPX", date(2018, 1, 1), date(2018, 1, 31))
    assert stored["volume"].isna().all() and len(stored) == len(expected) == 21
    np.testing.assert_array_equal(stored[["open", "close"]].to_numpy(), expected[["open", "close"]].to_numpy())
    assert job.dataset.sha256 == frame_sha256(stored)


def test_unknown_ticker_fails_with_a_clear_message(fake_polygon_server, polygon_key, team_a, bob):
    job = fetch(team_a, bob, symbol="NOPE", start=date(2018, 1, 1), end=date(2018, 1, 31))

    assert job.status == "failed"
    assert (
        job.error
        == "Polygon returned no data for NOPE between 2018-01-01 and 2018-01-31; check the symbol and the dates."
    )


def test_bad_key_fails_at_once_saying_so(fake_polygon_server, team_a, alice, bob):
    from market_data.services import team_api_key_set

    team_api_key_set(team=team_a, user=alice, source="polygon", api_key="wrong-polygon-key-abcdef")
    job = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 1, 31))

    assert job.status == "failed"
    assert job.error.startswith("Polygon rejected the API key (401)")
    assert "wrong-polygon-key" not in job.error
    assert len(fake_polygon_server.requests) == 1  # no retry of a bad key


def test_a_job_runs_once(fake_polygon_server, polygon_key, team_a, bob):
    job = fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 1, 31))
    count = len(fake_polygon_server.requests)

    run_fetch_job(job.pk)  # a redelivered task

    assert len(fake_polygon_server.requests) == count
    assert FetchJob.objects.get(pk=job.pk).status == "succeeded"


def test_fetch_failure_is_counted(failing_polygon, polygon_key, team_a, bob):
    from observability.metrics import DATA_FETCH_FAILURES

    before = DATA_FETCH_FAILURES.labels(source="polygon")._value.get()
    fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 6, 30))
    assert DATA_FETCH_FAILURES.labels(source="polygon")._value.get() == before + 1
