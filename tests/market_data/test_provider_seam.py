"""A new provider is one class registered once: keys, fetch jobs, refreshes, search and the watch-list all use it.

`ArchiveProvider` below is such a provider, written the way a CSV drop folder or another vendor would be: it
serves the real S&P 500 and NASDAQ Composite history bundled with `arch`, and nothing else in mlTrainer changes."""

from datetime import date
from functools import cache

import numpy as np
import pandas as pd
import pytest

from market_data import providers
from market_data.errors import DataSourceAuthError, DataSourceNotFound
from market_data.frames import naive_utc
from market_data.hashing import frame_sha256
from market_data.models import Dataset
from market_data.providers import DataProvider, Fetched, SeriesInfo
from market_data.selectors import dataset_frame
from market_data.services import watchlist_refresh
from market_data.tasks import run_fetch_job

pytestmark = pytest.mark.django_db

ARCHIVE_KEY = "archive-key-0123456789"
ARCHIVES = {"SP500": ("arch.data.sp500", "S&P 500 index"), "NASDAQ": ("arch.data.nasdaq", "NASDAQ Composite index")}


@cache
def archive_bars(symbol: str) -> pd.DataFrame:
    module, _ = ARCHIVES[symbol]
    raw = __import__(module, fromlist=["load"]).load()
    frame = raw.rename(columns=str.lower)[["open", "high", "low", "close", "volume"]].astype("float64")
    return frame.set_axis(naive_utc(pd.DatetimeIndex(raw.index)), axis=0)


class ArchiveProvider(DataProvider):
    source = "archive"
    label = "Archive"
    symbol_hint = "an archive name such as SP500"
    default_base_url = ""  # its settings are ARCHIVE_API_KEY, ARCHIVE_BASE_URL, ARCHIVE_RATE_LIMIT_PER_MINUTE

    def __init__(self) -> None:
        self.fetched: list[tuple[str, date, date]] = []

    def connect(self, *, api_key, base_url, timeout, max_retries, rate_limiter):
        if api_key != ARCHIVE_KEY:
            raise DataSourceAuthError("Archive rejected the API key.", source="Archive")
        return rate_limiter  # the only state a call needs

    def describe(self, client, *, symbol, multiplier, timespan):
        if symbol not in ARCHIVES:
            raise DataSourceNotFound(f"Archive has no {symbol}.", source="Archive")
        return SeriesInfo(name=ARCHIVES[symbol][1], kind="bars", frequency="1d", daily=True)

    def fetch(self, client, *, symbol, start, end, multiplier, timespan, adjusted):
        client.wait()
        self.fetched.append((symbol, start, end))
        bars = archive_bars(symbol)
        rows = bars[(bars.index >= pd.Timestamp(start)) & (bars.index < pd.Timestamp(end) + pd.Timedelta(days=1))]
        params = {"symbol": symbol, "from": start.isoformat(), "to": end.isoformat()}
        return Fetched(data=rows, endpoint=f"{ARCHIVES[symbol][0]}.load()", params=params)

    def search(self, client, *, query, limit):
        client.wait()
        found = [{"symbol": s, "name": n} for s, (_, n) in ARCHIVES.items() if query.lower() in f"{s} {n}".lower()]
        return found[:limit]


@pytest.fixture
def archive():
    provider = providers.register(ArchiveProvider())  # and nothing in settings.py
    yield provider
    providers.unregister("archive")


def test_a_providers_settings_are_named_after_it_and_read_from_the_environment(archive, monkeypatch, settings):
    from django.core.exceptions import ImproperlyConfigured

    from market_data.providers.config import ProviderConfig, provider_config, provider_configs_check

    assert provider_config(archive) == ProviderConfig(api_key="", base_url="", rate_limit_per_minute=0)
    monkeypatch.setenv("ARCHIVE_API_KEY", "from-the-environment")
    monkeypatch.setenv("ARCHIVE_BASE_URL", "https://archive.example")
    monkeypatch.setenv("ARCHIVE_RATE_LIMIT_PER_MINUTE", "30")
    assert provider_config(archive) == ProviderConfig("from-the-environment", "https://archive.example", 30)
    settings.ARCHIVE_RATE_LIMIT_PER_MINUTE = 0  # a settings module (or a test) may still set one directly
    assert provider_config(archive).rate_limit_per_minute == 0
    del settings.ARCHIVE_RATE_LIMIT_PER_MINUTE
    monkeypatch.setenv("ARCHIVE_RATE_LIMIT_PER_MINUTE", "fast")
    with pytest.raises(ImproperlyConfigured, match="ARCHIVE_RATE_LIMIT_PER_MINUTE must be a whole number"):
        provider_configs_check()  # what market_data.apps runs at start


def test_settings_name_no_provider_and_the_shipped_ones_keep_their_defaults():
    from pathlib import Path

    from market_data.providers.config import provider_config

    text = (Path(__file__).resolve().parents[2] / "mltrainer_site" / "settings.py").read_text()
    for provider in providers.registered():
        assert provider.source.upper() + "_" not in text, f"settings.py declares {provider.label}'s settings"
    assert provider_config(providers.get("polygon")).base_url.startswith("http")
    assert (providers.get("polygon").default_rate_limit_per_minute, providers.get("fred").bar_sizes) == (5, False)


def expected(symbol: str, start: str, end: str) -> pd.DataFrame:
    bars = archive_bars(symbol)
    return bars[(bars.index >= start) & (bars.index <= end)]


def test_a_registered_provider_gets_keys_fetches_refreshes_and_search(archive, alice, bob, api_as, team_a):
    keys = api_as(alice).get("/api/teams/team-a/api-keys/").json()
    assert {"source": "archive", "configured": False, "hint": ""} in keys
    assert api_as(alice).put("/api/teams/team-a/api-keys/archive/", {"api_key": ARCHIVE_KEY}, format="json").json() == {
        "source": "archive",
        "configured": True,
        "hint": "••••6789",
    }

    search = api_as(bob).get("/api/datasets/search/", {"source": "archive", "q": "nasdaq"})
    assert search.json() == {"source": "archive", "results": [{"symbol": "NASDAQ", "name": "NASDAQ Composite index"}]}

    created = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "archive", "symbol": "sp500", "start": "2018-01-01", "end": "2018-03-31"},
        format="json",
    )
    assert created.status_code == 201, created.content
    run_fetch_job(created.json()["id"])
    job = api_as(bob).get(f"/api/datasets/fetch/{created.json()['id']}/").json()
    first = expected("SP500", "2018-01-01", "2018-03-31")
    assert len(first) == 61  # the trading days of 2018's first quarter
    assert (job["status"], job["rows_added"]) == ("succeeded", 61)
    dataset = Dataset.objects.get(pk=job["dataset"])
    assert (dataset.team, dataset.key, dataset.source, dataset.kind, dataset.name) == (
        team_a,
        "SP500",
        "archive",
        "bars",
        "S&P 500 index",
    )
    stored = dataset_frame(dataset=dataset)
    np.testing.assert_array_equal(stored.to_numpy(), first.to_numpy())
    assert dataset.sha256 == frame_sha256(stored)
    assert dataset.provenance["endpoint"] == "arch.data.sp500.load()"
    assert dataset.provenance["params"] == {"symbol": "SP500", "from": "2018-01-01", "to": "2018-03-31"}

    # A longer range asks the provider only for what is missing: from the day after the last stored bar.
    more = api_as(bob).post(
        "/api/datasets/fetch/",
        {"source": "archive", "symbol": "SP500", "start": "2018-01-01", "end": "2018-06-30"},
        format="json",
    )
    run_fetch_job(more.json()["id"])
    assert archive.fetched[-1] == ("SP500", date(2018, 3, 30), date(2018, 6, 30))
    dataset.refresh_from_db()
    assert dataset.rows == len(expected("SP500", "2018-01-01", "2018-06-30"))


def test_a_registered_provider_is_on_the_watch_list_and_refreshed(archive, alice, bob, api_as, team_a, monkeypatch):
    from market_data.services import fetching, team_api_key_set

    monkeypatch.setattr(fetching, "today_in_new_york", lambda: date(2018, 12, 31))
    team_api_key_set(team=team_a, user=alice, source="archive", api_key=ARCHIVE_KEY)
    added = api_as(bob).post(
        "/api/datasets/watchlist/", {"source": "archive", "symbol": "nasdaq", "start": "2018-12-01"}
    )
    assert added.status_code == 201, added.content
    assert (added.json()["multiplier"], added.json()["timespan"], added.json()["adjusted"]) == (1, "day", True)

    [job] = watchlist_refresh(team=team_a)

    assert (job.status, job.rows_added) == ("succeeded", len(expected("NASDAQ", "2018-12-01", "2018-12-31")))
    assert archive.fetched == [("NASDAQ", date(2018, 12, 1), date(2018, 12, 31))]


def test_a_registered_provider_keeps_team_isolation_and_key_errors(archive, alice, bob, charlie, api_as, team_a):
    missing = api_as(bob).post("/api/datasets/fetch/", {"source": "archive", "symbol": "SP500", "start": "2018-01-01"})
    assert missing.status_code == 400
    assert missing.json()["detail"] == (
        "No Archive API key: a team owner can add one on the Data page (Team API keys) "
        "or the operator can set ARCHIVE_API_KEY"
    )
    from market_data.services import team_api_key_set

    team_api_key_set(team=team_a, user=alice, source="archive", api_key=ARCHIVE_KEY)
    created = api_as(bob).post(
        "/api/datasets/fetch/", {"source": "archive", "symbol": "SP500", "start": "2018-01-01", "end": "2018-01-31"}
    )
    assert api_as(charlie).get(f"/api/datasets/fetch/{created.json()['id']}/").status_code == 404
    assert api_as(charlie).get("/api/teams/team-a/api-keys/").status_code == 404
    assert api_as(charlie).put("/api/teams/team-a/api-keys/archive/", {"api_key": "x" * 20}).status_code == 404


def test_an_unregistered_source_is_refused_everywhere(alice, bob, api_as):
    fetch = api_as(bob).post("/api/datasets/fetch/", {"source": "archive", "symbol": "SP500", "start": "2018-01-01"})
    assert fetch.status_code == 400
    assert fetch.json()["source"] == ["must be polygon or fred, got 'archive'"]
    assert api_as(alice).put("/api/teams/team-a/api-keys/archive/", {"api_key": ARCHIVE_KEY}).status_code == 404
    assert api_as(bob).get("/api/datasets/search/", {"source": "archive", "q": "x"}).json() == {
        "source": "must be polygon or fred"
    }
    assert [k["source"] for k in api_as(alice).get("/api/teams/team-a/api-keys/").json()] == ["polygon", "fred"]


def test_only_the_providers_package_names_a_concrete_provider():
    """The rest of the app reaches Polygon and FRED through the registry: no generic module imports one."""
    import ast
    from pathlib import Path

    app = Path(__file__).resolve().parents[2] / "market_data"
    concrete = {"polygon", "fred"}  # the client modules and their providers
    offenders = []
    for path in app.rglob("*.py"):
        relative = path.relative_to(app)
        if relative.parts[0] in ("providers", "migrations") or path.stem in concrete:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [a.name for a in node.names] if isinstance(node, ast.Import | ast.ImportFrom) else []
            if any(part in concrete for name in names for part in name.split(".")):
                offenders.append(f"{relative}:{node.lineno}")
    assert offenders == []


def test_the_fetch_forms_bar_sizes_come_from_the_registered_providers(archive, monkeypatch):
    from market_data.forms import SeriesForm

    assert ("minute", "minute") in SeriesForm().fields["timespan"].choices  # Polygon's
    monkeypatch.setattr(ArchiveProvider, "timespans", ("session",))
    assert ("session", "session") in SeriesForm().fields["timespan"].choices
