"""Fixtures for the Django side of market data: the local fake Polygon and FRED, with settings pointing at them."""

import pytest

from tests.fakes import fake_fred, fake_polygon


@pytest.fixture
def fake_polygon_server(settings):
    with fake_polygon.FakePolygon(page_size=100) as server:
        settings.POLYGON_BASE_URL = server.base_url
        settings.POLYGON_RATE_LIMIT_PER_MINUTE = 0  # no spacing: the fake has no limit and tests must be quick
        settings.MARKET_DATA_MAX_RETRIES = 1
        settings.MARKET_DATA_TIMEOUT_SECONDS = 5
        settings.POLYGON_API_KEY = ""
        yield server


@pytest.fixture
def fake_fred_server(settings):
    with fake_fred.FakeFred() as server:
        settings.FRED_BASE_URL = server.base_url
        settings.FRED_RATE_LIMIT_PER_MINUTE = 0
        settings.MARKET_DATA_MAX_RETRIES = 1
        settings.MARKET_DATA_TIMEOUT_SECONDS = 5
        settings.FRED_API_KEY = ""
        yield server


@pytest.fixture
def polygon_key(team_a, alice):
    """Team A's Polygon key, set by its owner the way the Data page does."""
    from market_data.services import team_api_key_set

    team_api_key_set(team=team_a, user=alice, source="polygon", api_key=fake_polygon.VALID_KEY)
    return fake_polygon.VALID_KEY


@pytest.fixture
def fred_key(team_a, alice):
    from market_data.services import team_api_key_set

    team_api_key_set(team=team_a, user=alice, source="fred", api_key=fake_fred.VALID_KEY)
    return fake_fred.VALID_KEY


def aggregate_requests(server) -> list[str]:
    """The aggregates paths the fake received, first pages only (pagination links carry a cursor)."""
    return [r["path"] for r in server.requests if r["path"].startswith("/v2/aggs/") and "cursor" not in r["params"]]
