"""PolygonClient against a local fake Polygon serving real S&P 500 / NASDAQ history from the arch package."""

import logging
import time
import traceback
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import numpy as np
import pandas as pd
import pytest

from market_data.errors import DataSourceAuthError, DataSourceError, DataSourceNotFound, DataSourceRateLimited
from market_data.polygon import BAR_COLUMNS, PolygonClient
from tests.fakes.fake_polygon import VALID_KEY, FakePolygon, expected_bars

H1_2018 = {"start": date(2018, 1, 1), "end": date(2018, 6, 30)}


@pytest.fixture
def polygon():
    with FakePolygon() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


def client_for(server: FakePolygon, sleeps: list[float], **kwargs) -> PolygonClient:
    options = {"api_key": VALID_KEY, "rate_limit_per_minute": None, "sleep": sleeps.append, **kwargs}
    return PolygonClient(base_url=server.base_url, **options)


def daily(client: PolygonClient, ticker: str = "SPY", **dates) -> pd.DataFrame:
    return client.aggregates(ticker=ticker, multiplier=1, timespan="day", **(dates or H1_2018))


def new_york_dates(frame: pd.DataFrame) -> list[date]:
    return list(frame.index.tz_convert("America/New_York").date)


def full_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def test_daily_bars_equal_the_real_history_served(polygon, sleeps):
    bars = daily(client_for(polygon, sleeps))

    expected = expected_bars("SPY", **H1_2018)
    assert len(bars) == len(expected) == 125
    assert list(bars.columns) == BAR_COLUMNS
    assert all(bars.dtypes == "float64")
    assert bars.index.name == "ts"
    assert str(bars.index.tz) == "UTC"
    assert new_york_dates(bars) == list(expected.index)
    np.testing.assert_array_equal(bars.to_numpy(), expected.to_numpy())
    # Polygon stamps a daily bar at midnight New York time.
    assert bars.index[0] == pd.Timestamp("2018-01-02 05:00", tz="UTC")


def test_request_uses_documented_path_and_parameters(polygon, sleeps):
    daily(client_for(polygon, sleeps))

    [request] = polygon.requests
    assert request["path"] == "/v2/aggs/ticker/SPY/range/1/day/2018-01-01/2018-06-30"
    assert request["params"] == {"adjusted": "true", "sort": "asc", "limit": "50000"}
    assert request["headers"]["authorization"] == f"Bearer {VALID_KEY}"  # as Polygon's official client sends it


def test_unadjusted_bars_are_requested_with_adjusted_false(polygon, sleeps):
    client_for(polygon, sleeps).aggregates(
        ticker="SPY", multiplier=1, timespan="day", start=date(2018, 1, 1), end=date(2018, 1, 5), adjusted=False
    )

    assert polygon.requests[0]["params"]["adjusted"] == "false"


def test_pagination_joins_pages_without_gaps_or_duplicates():
    with FakePolygon(page_size=10) as server:
        bars = daily(client_for(server, []))

        expected = expected_bars("SPY", **H1_2018)
        assert new_york_dates(bars) == list(expected.index)
        assert bars.index.is_unique
        np.testing.assert_array_equal(bars.to_numpy(), expected.to_numpy())
        assert len(server.requests) == 13  # 125 bars, 10 a page
        for request in server.requests[1:]:
            # The next_url is followed as given (its cursor kept), with our key in the header.
            assert set(request["params"]) == {"cursor"}
            assert request["headers"]["authorization"] == f"Bearer {VALID_KEY}"


def test_start_and_end_dates_are_both_included(polygon, sleeps):
    bars = daily(client_for(polygon, sleeps), start=date(2018, 1, 2), end=date(2018, 1, 5))

    assert new_york_dates(bars) == [date(2018, 1, 2), date(2018, 1, 3), date(2018, 1, 4), date(2018, 1, 5)]


def test_range_without_trading_days_gives_empty_frame_with_bar_columns(polygon, sleeps):
    bars = daily(client_for(polygon, sleeps), start=date(2018, 1, 6), end=date(2018, 1, 7))

    assert bars.empty
    assert list(bars.columns) == BAR_COLUMNS
    assert all(bars.dtypes == "float64")
    assert bars.index.name == "ts"
    assert str(bars.index.tz) == "UTC"


def test_unknown_ticker_gives_empty_frame(polygon, sleeps):
    bars = daily(client_for(polygon, sleeps), ticker="NOPE")

    assert bars.empty
    assert list(bars.columns) == BAR_COLUMNS


def test_index_ticker_has_prices_and_missing_volume(polygon, sleeps):
    bars = daily(client_for(polygon, sleeps), ticker="I:SPX")

    expected = expected_bars("I:SPX", **H1_2018)
    np.testing.assert_array_equal(bars["close"].to_numpy(), expected["close"].to_numpy())
    assert bars["volume"].isna().all()
    assert polygon.requests[0]["path"].startswith("/v2/aggs/ticker/I:SPX/")


def test_nasdaq_tickers_serve_nasdaq_history(polygon, sleeps):
    bars = daily(client_for(polygon, sleeps), ticker="QQQ", start=date(2018, 12, 31), end=date(2018, 12, 31))

    # The NASDAQ Composite closed 2018 at 6635.28 (the S&P 500 at 2506.85).
    assert bars["close"].tolist() == [pytest.approx(6635.28, abs=0.005)]


def test_429_waits_the_retry_after_seconds_then_succeeds(polygon, sleeps):
    polygon.rate_limit_next(1, retry_after="7")

    bars = daily(client_for(polygon, sleeps))

    assert sleeps == [7.0]
    assert len(polygon.requests) == 2
    assert len(bars) == 125


def test_429_retry_after_as_http_date_is_honoured(polygon, sleeps):
    polygon.rate_limit_next(1, retry_after=format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True))

    daily(client_for(polygon, sleeps))

    [waited] = sleeps
    assert 27 <= waited <= 30


def test_429_without_retry_after_backs_off_exponentially(polygon, sleeps):
    polygon.rate_limit_next(2, retry_after=None)

    bars = daily(client_for(polygon, sleeps))

    assert sleeps == [1.0, 2.0]
    assert len(bars) == 125


def test_429_beyond_max_retries_raises_rate_limited(polygon, sleeps):
    polygon.rate_limit_next(10, retry_after="1")

    with pytest.raises(DataSourceRateLimited) as caught:
        daily(client_for(polygon, sleeps, max_retries=2))

    assert len(polygon.requests) == 3
    assert sleeps == [1.0, 1.0]
    assert "Polygon" in str(caught.value) and "429" in str(caught.value)


def test_retry_after_longer_than_we_are_willing_to_wait_fails_at_once(polygon, sleeps):
    polygon.rate_limit_next(1, retry_after="3600")

    with pytest.raises(DataSourceRateLimited, match="asks to wait 3600 s"):
        daily(client_for(polygon, sleeps))

    assert len(polygon.requests) == 1
    assert sleeps == []


def test_server_errors_are_retried_with_backoff_then_succeed(polygon, sleeps):
    polygon.fail_next(2, status=502)

    bars = daily(client_for(polygon, sleeps))

    assert sleeps == [1.0, 2.0]
    assert len(polygon.requests) == 3
    assert len(bars) == 125


def test_server_errors_beyond_max_retries_raise_error_naming_source_and_status(polygon, sleeps):
    polygon.fail_next(10, status=503)

    with pytest.raises(DataSourceError) as caught:
        daily(client_for(polygon, sleeps, max_retries=2))

    assert str(caught.value).startswith(
        "Polygon returned HTTP 503 (Internal server error) on 3 attempt(s) for /v2/aggs/"
    )
    assert caught.value.status == 503
    assert caught.value.source == "Polygon"
    assert len(polygon.requests) == 3
    assert sleeps == [1.0, 2.0]


def test_timeouts_are_retried_then_fail_with_clear_message(polygon, sleeps):
    polygon.delay_seconds = 2.0

    with pytest.raises(DataSourceError, match=r"^Polygon did not respond within 0.2 s on 2 attempt\(s\)"):
        daily(client_for(polygon, sleeps, timeout=0.2, max_retries=1))

    assert len(polygon.requests) == 2
    assert sleeps == [1.0]


def test_a_timeout_then_an_answer_succeeds(polygon, sleeps):
    polygon.delay_next(1, seconds=2.0)

    bars = daily(client_for(polygon, sleeps, timeout=0.2))

    assert len(bars) == 125
    assert len(polygon.requests) == 2


def test_wrong_key_fails_at_once_with_one_request_and_a_clear_message(polygon, sleeps):
    client = client_for(polygon, sleeps, api_key="wrong-secret-key-9876")

    with pytest.raises(DataSourceAuthError) as caught:
        daily(client)

    assert str(caught.value) == (
        "Polygon rejected the API key (401): check the team's Polygon key in team settings or POLYGON_API_KEY."
        " Polygon said: Unknown API Key"
    )
    assert len(polygon.requests) == 1
    assert sleeps == []
    assert "wrong-secret-key-9876" not in full_text(caught.value)


def test_plan_without_access_is_an_auth_error_with_polygons_reason(polygon, sleeps):
    polygon.forbidden_tickers.add("SPY")

    with pytest.raises(DataSourceAuthError, match=r"\(403\).*not entitled to this data"):
        daily(client_for(polygon, sleeps))

    assert len(polygon.requests) == 1


def test_bad_request_carries_the_providers_message(polygon, sleeps):
    with pytest.raises(DataSourceError) as caught:
        client_for(polygon, sleeps).aggregates(
            ticker="SPY", multiplier=1, timespan="fortnight", start=date(2018, 1, 1), end=date(2018, 1, 5)
        )

    assert (
        str(caught.value)
        == "Polygon rejected the request (HTTP 400). Polygon said: this fake serves 1/day aggregates only"
    )
    assert caught.value.status == 400
    assert len(polygon.requests) == 1


@pytest.mark.parametrize("failure", ["server_error", "timeout", "rate_limited", "bad_request"])
def test_the_key_never_appears_in_error_text(polygon, sleeps, failure):
    if failure == "server_error":
        polygon.fail_next(10)
    elif failure == "timeout":
        polygon.delay_seconds = 2.0
    elif failure == "rate_limited":
        polygon.rate_limit_next(10)
    client = client_for(polygon, sleeps, timeout=0.2, max_retries=1)

    with pytest.raises(DataSourceError) as caught:
        timespan = "fortnight" if failure == "bad_request" else "day"
        client.aggregates(ticker="SPY", multiplier=1, timespan=timespan, start=date(2018, 1, 1), end=date(2018, 1, 5))

    assert VALID_KEY not in full_text(caught.value)
    # It was sent, and only kept out of the error.
    assert polygon.requests[0]["headers"]["authorization"] == f"Bearer {VALID_KEY}"


def test_httpx_request_log_lines_hide_the_key(polygon, sleeps, caplog):
    caplog.set_level(logging.INFO, logger="httpx")

    daily(client_for(polygon, sleeps), start=date(2018, 1, 2), end=date(2018, 1, 3))

    assert "HTTP Request: GET" in caplog.text and "/v2/aggs/ticker/SPY/range/1/day/2018-01-02/2018-01-03" in caplog.text
    assert "apiKey" not in caplog.text  # the key went in a header, which httpx does not log
    assert VALID_KEY not in caplog.text


def test_next_url_to_another_host_is_not_followed(sleeps):
    class LeakyPolygon(FakePolygon):
        def route(self, path, params):
            status, body, headers = super().route(path, params)
            if "next_url" in body:
                body["next_url"] = body["next_url"].replace(self.base_url, "http://collector.invalid")
            return status, body, headers

    with LeakyPolygon(page_size=10) as server:
        with pytest.raises(DataSourceError, match="link to another host"):
            daily(client_for(server, sleeps))

        assert len(server.requests) == 1


def test_default_rate_limit_spaces_requests_twelve_seconds_apart(sleeps):
    with FakePolygon(page_size=50) as server:
        client = PolygonClient(api_key=VALID_KEY, base_url=server.base_url, sleep=sleeps.append)
        before = time.monotonic()
        daily(client)  # 125 bars: 3 pages
        elapsed = time.monotonic() - before

    assert len(server.requests) == 3
    # The sleep is a recorder, so the clock does not move: waits are the time left until each 12 s slot.
    assert len(sleeps) == 2
    assert 12 - elapsed <= sleeps[0] <= 12
    assert 24 - elapsed <= sleeps[1] <= 24


def test_ticker_search_finds_by_name_within_a_market(polygon, sleeps):
    found = client_for(polygon, sleeps).ticker_search(search="nasdaq", market="indices")

    assert [t["ticker"] for t in found] == ["I:NDX", "I:COMP"]
    assert found[0]["name"] == "Nasdaq-100"
    [request] = polygon.requests
    assert request["path"] == "/v3/reference/tickers"
    assert request["params"] == {
        "search": "nasdaq",
        "active": "true",
        "limit": "20",
        "market": "indices",
    }
    assert request["headers"]["authorization"] == f"Bearer {VALID_KEY}"


def test_ticker_search_respects_limit(polygon, sleeps):
    found = client_for(polygon, sleeps).ticker_search(search="", limit=2)

    assert len(found) == 2


def test_previous_close_is_the_last_real_bar(polygon, sleeps):
    previous = client_for(polygon, sleeps).previous_close(ticker="SPY")

    last = expected_bars("SPY", date(2018, 12, 31), date(2018, 12, 31)).iloc[0]
    assert previous["ticker"] == "SPY"
    assert previous["ts"] == datetime(2018, 12, 31, 5, tzinfo=UTC)
    assert (previous["open"], previous["high"], previous["low"], previous["close"], previous["volume"]) == (
        last["open"],
        last["high"],
        last["low"],
        last["close"],
        last["volume"],
    )
    assert polygon.requests[0]["path"] == "/v2/aggs/ticker/SPY/prev"


def test_previous_close_of_unknown_ticker_is_not_found(polygon, sleeps):
    with pytest.raises(DataSourceNotFound, match="no previous close for NOPE"):
        client_for(polygon, sleeps).previous_close(ticker="NOPE")


def test_client_requires_a_key():
    with pytest.raises(ValueError, match="Polygon API key is required"):
        PolygonClient(api_key="")


@pytest.mark.parametrize(
    ("headers", "params", "status", "said"),
    [
        ({"Authorization": f"Bearer {VALID_KEY}"}, {}, 200, None),
        ({"Authorization": f"bearer {VALID_KEY}"}, {}, 200, None),  # the scheme is case-insensitive (RFC 7235)
        ({}, {"apiKey": VALID_KEY}, 200, None),  # Polygon also takes the key as a query parameter
        ({"Authorization": "Bearer wrong-key"}, {}, 401, "Unknown API Key"),
        ({"Authorization": f"Token {VALID_KEY}"}, {}, 401, "API Key was not provided"),
        ({}, {}, 401, "API Key was not provided"),
    ],
)
def test_the_fake_takes_the_key_the_ways_polygon_does(polygon, headers, params, status, said):
    import httpx

    response = httpx.get(f"{polygon.base_url}/v2/aggs/ticker/SPY/prev", headers=headers, params=params)

    assert response.status_code == status
    assert response.json().get("error") == said
