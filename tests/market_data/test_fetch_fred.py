"""Fetching FRED series into the team's cache: metadata, missing observations only, provenance."""

from datetime import UTC, date, datetime

import pytest

from market_data.hashing import frame_sha256
from market_data.selectors import dataset_frame
from market_data.services import fetch_job_create
from market_data.tasks import run_fetch_job
from tests.fakes.fake_fred import raw_series

pytestmark = pytest.mark.django_db


def fetch(team, user, series_id, **dates):
    job = fetch_job_create(team=team, user=user, source="fred", symbol=series_id, **dates)
    run_fetch_job(job.pk)
    job.refresh_from_db()
    return job


def observation_requests(server) -> list[tuple]:
    return [
        (r["params"].get("observation_start"), r["params"].get("observation_end"))
        for r in server.requests
        if r["path"] == "/fred/series/observations"
    ]


def test_fetch_stores_the_series_without_fred_gaps(fake_fred_server, fred_key, team_a, bob):
    job = fetch(team_a, bob, "DCOILWTICO", start=date(2015, 1, 1), end=date(2015, 12, 31))

    assert job.status == "succeeded", job.error
    dataset = job.dataset
    assert (dataset.key, dataset.source, dataset.kind, dataset.frequency) == ("DCOILWTICO", "fred", "series", "1d")
    assert dataset.name.startswith("Crude Oil Prices: West Texas Intermediate")
    raw = raw_series("DCOILWTICO")
    expected = raw[(raw.index >= date(2015, 1, 1)) & (raw.index <= date(2015, 12, 31))].dropna()
    stored = dataset_frame(dataset=dataset)
    assert list(stored.index.date) == list(expected.index)
    assert stored.tolist() == expected.tolist()
    assert dataset.rows == len(expected) < 261  # holidays ("." on FRED) are absent dates, not NaN
    assert dataset.sha256 == frame_sha256(stored)
    assert dataset.provenance["endpoint"] == "/fred/series/observations"
    assert dataset.provenance["params"] == {
        "series_id": "DCOILWTICO",
        "observation_start": "2015-01-01",
        "observation_end": "2015-12-31",
    }
    assert fred_key not in str(dataset.provenance)


def test_monthly_series_refresh_asks_only_after_the_last_observation(fake_fred_server, fred_key, team_a, bob):
    first = fetch(team_a, bob, "CPILFESL", start=date(2010, 1, 1), end=date(2012, 6, 30))
    assert first.dataset.frequency == "1mo"
    assert first.dataset.last_date == datetime(2012, 6, 1, tzinfo=UTC)
    fake_fred_server.requests.clear()

    second = fetch(team_a, bob, "CPILFESL", start=date(2010, 1, 1), end=date(2012, 12, 31))

    assert observation_requests(fake_fred_server) == [("2012-06-02", "2012-12-31")]
    assert second.rows_added == 6 and second.dataset.rows == 36
    assert second.dataset.last_date == datetime(2012, 12, 1, tzinfo=UTC)


def test_bad_fred_key_fails_saying_so(fake_fred_server, team_a, alice, bob):
    from market_data.services import team_api_key_set

    team_api_key_set(team=team_a, user=alice, source="fred", api_key="0123456789abcdef0123456789abcdef")
    job = fetch(team_a, bob, "CPILFESL", start=date(2010, 1, 1), end=date(2010, 12, 31))

    assert job.status == "failed"
    assert job.error.startswith("FRED rejected the API key (400)")
    assert "0123456789abcdef0123456789abcdef" not in job.error
