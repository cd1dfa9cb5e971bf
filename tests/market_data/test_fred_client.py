"""FredClient against a local fake FRED serving real WTI, core CPI, Moody's yields and VIX from the arch package."""

import traceback
from datetime import date

import httpx
import numpy as np
import pytest

from market_data.errors import DataSourceAuthError, DataSourceError, DataSourceRateLimited
from market_data.fred import FredClient
from tests.fakes.fake_fred import VALID_KEY, FakeFred, raw_series

YEAR_2018 = {"start": date(2018, 1, 1), "end": date(2018, 12, 31)}


@pytest.fixture
def fred():
    with FakeFred() as server:
        yield server


@pytest.fixture
def sleeps() -> list[float]:
    return []


def client_for(server: FakeFred, sleeps: list[float], **kwargs) -> FredClient:
    return FredClient(**{"api_key": VALID_KEY, "base_url": server.base_url, "sleep": sleeps.append, **kwargs})


def real_values(series_id: str, start: date, end: date):
    values = raw_series(series_id)
    return values[(values.index >= start) & (values.index <= end)]


def test_observations_equal_the_real_history_with_missing_days_dropped(fred, sleeps):
    observed = client_for(fred, sleeps).observations("DCOILWTICO", **YEAR_2018)

    real = real_values("DCOILWTICO", **YEAR_2018)
    present = real.dropna()
    assert observed.name == "DCOILWTICO"
    assert observed.dtype == "float64"
    assert observed.index.name == "date"
    assert observed.index.tz is None
    assert list(observed.index.date) == list(present.index)
    np.testing.assert_array_equal(observed.to_numpy(), present.to_numpy())
    assert not observed.isna().any()


def test_dot_marks_a_missing_observation_and_that_date_is_absent(fred, sleeps):
    # The real WTI history has holiday gaps, which FRED serves as "."; check the fake says so, then the client.
    window = {"observation_start": "2018-07-03", "observation_end": "2018-07-05"}
    params = {"series_id": "DCOILWTICO", "api_key": VALID_KEY, "file_type": "json", **window}
    raw = httpx.get(f"{fred.base_url}/fred/series/observations", params=params).json()
    assert [(o["date"], o["value"]) for o in raw["observations"]] == [
        ("2018-07-03", "74.19"),
        ("2018-07-04", "."),
        ("2018-07-05", "73.05"),
    ]

    observed = client_for(fred, sleeps).observations("DCOILWTICO", start=date(2018, 7, 3), end=date(2018, 7, 5))

    assert [str(d.date()) for d in observed.index] == ["2018-07-03", "2018-07-05"]
    assert observed.tolist() == [74.19, 73.05]


def test_paging_reads_every_observation_once():
    with FakeFred(page_size=100) as server:
        observed = client_for(server, []).observations("CPILFESL")

        real = raw_series("CPILFESL")
        assert len(observed) == len(real) == 743
        assert observed.index.is_unique
        np.testing.assert_array_equal(observed.to_numpy(), real.to_numpy())
        assert [int(r["params"]["offset"]) for r in server.requests] == list(range(0, 800, 100))


def test_request_carries_key_json_and_the_date_window(fred, sleeps):
    client_for(fred, sleeps).observations("VIXCLS", **YEAR_2018)

    [request] = fred.requests
    assert request["path"] == "/fred/series/observations"
    assert request["params"] == {
        "series_id": "VIXCLS",
        "sort_order": "asc",
        "limit": "100000",
        "observation_start": "2018-01-01",
        "observation_end": "2018-12-31",
        "offset": "0",
        "api_key": VALID_KEY,
        "file_type": "json",
    }


def test_monthly_series_have_their_real_values(fred, sleeps):
    observed = client_for(fred, sleeps).observations("BAA", start=date(2018, 10, 1), end=date(2018, 12, 1))

    assert observed.tolist() == [5.07, 5.22, 5.13]
    assert [d.isoformat() for d in observed.index.date] == ["2018-10-01", "2018-11-01", "2018-12-01"]


def test_series_info_describes_the_series(fred, sleeps):
    info = client_for(fred, sleeps).series_info("CPILFESL")

    assert info["id"] == "CPILFESL"
    assert info["frequency_short"] == "M"
    assert info["units"] == "Index 1982-1984=100"
    assert info["observation_start"] == "1957-01-01"
    assert info["observation_end"] == "2018-11-01"
    assert fred.requests[0]["path"] == "/fred/series"


def test_unknown_series_is_an_error_with_freds_message(fred, sleeps):
    with pytest.raises(DataSourceError) as caught:
        client_for(fred, sleeps).series_info("NOSUCHSERIES")

    assert not isinstance(caught.value, DataSourceAuthError)
    assert (
        str(caught.value) == "FRED rejected the request (HTTP 400). FRED said: Bad Request.  The series does not exist."
    )
    assert len(fred.requests) == 1


def test_search_finds_series_by_words_in_their_title(fred, sleeps):
    found = client_for(fred, sleeps).search("corporate bond yield", limit=5)

    assert [s["id"] for s in found] == ["AAA", "BAA"]
    assert found[0]["title"] == "Moody's Seasoned Aaa Corporate Bond Yield"
    assert fred.requests[0]["params"]["search_text"] == "corporate bond yield"


def test_unregistered_key_is_an_auth_error_at_once(fred, sleeps):
    # FRED answers a bad key with 400, not 401; it is still an auth failure and is not retried.
    wrong_key = "0123456789abcdef0123456789abcdef"

    with pytest.raises(DataSourceAuthError) as caught:
        client_for(fred, sleeps, api_key=wrong_key).observations("DCOILWTICO")

    assert str(caught.value).startswith(
        "FRED rejected the API key (400): check the team's FRED key in team settings or FRED_API_KEY."
        " FRED said: Bad Request.  The value for variable api_key is not registered."
    )
    assert len(fred.requests) == 1
    assert sleeps == []
    assert wrong_key not in "".join(traceback.format_exception(caught.value))


def test_malformed_key_is_an_auth_error(fred, sleeps):
    with pytest.raises(DataSourceAuthError, match="not a 32 character alpha-numeric"):
        client_for(fred, sleeps, api_key="Not-A-Fred-Key").series_info("AAA")


def test_429_waits_the_retry_after_seconds_then_succeeds(fred, sleeps):
    fred.rate_limit_next(1, retry_after="2")

    observed = client_for(fred, sleeps).observations("AAA", start=date(2018, 1, 1), end=date(2018, 3, 1))

    assert sleeps == [2.0]
    assert observed.tolist() == real_values("AAA", date(2018, 1, 1), date(2018, 3, 1)).tolist()


def test_persistent_429_gives_up_after_max_retries(fred, sleeps):
    fred.rate_limit_next(5, retry_after=None)

    with pytest.raises(DataSourceRateLimited, match=r"^FRED kept answering 429 Too Many Requests on 3 attempt"):
        client_for(fred, sleeps, max_retries=2).series_info("AAA")

    assert sleeps == [1.0, 2.0]


def test_server_errors_beyond_max_retries_raise_error_naming_fred_and_status(fred, sleeps):
    fred.fail_next(10, status=500)

    with pytest.raises(DataSourceError) as caught:
        client_for(fred, sleeps).observations("VIXCLS")

    assert str(caught.value).startswith("FRED returned HTTP 500 (Internal server error) on 4 attempt(s)")
    assert caught.value.status == 500
    assert len(fred.requests) == 4
    assert sleeps == [1.0, 2.0, 4.0]
    assert VALID_KEY not in "".join(traceback.format_exception(caught.value))


def test_timeouts_are_retried_then_fail(fred, sleeps):
    fred.delay_seconds = 2.0

    with pytest.raises(DataSourceError, match=r"^FRED did not respond within 0.2 s on 2 attempt"):
        client_for(fred, sleeps, timeout=0.2, max_retries=1).series_info("AAA")

    assert len(fred.requests) == 2


def test_optional_rate_limit_spaces_requests():
    sleeps: list[float] = []
    with FakeFred(page_size=300) as server:
        client_for(server, sleeps, rate_limit_per_minute=120).observations("CPILFESL")

        assert len(server.requests) == 3
    assert len(sleeps) == 2
    assert all(0 < waited <= 1.0 for waited in sleeps)
