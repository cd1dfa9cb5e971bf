"""The interface a source of market data implements, and the registry the services find providers in.

The services (fetching, search, keys, the watch-list) only ever talk to a `DataProvider`: they validate a
request with `options`, open a client with `connect`, learn how a series is stored with `describe`, bring a date
range in with `fetch`, and look symbols up with `search`. No Django here: a provider is tested without a database.
"""

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # the web reads the registry, not series: pandas and httpx load where data is fetched
    import pandas as pd

    from ..http import Limiter

# The columns of the source fields on jobs, datasets and keys hold at most this many characters.
MAX_SOURCE_LENGTH = 10


@dataclass(frozen=True)
class SeriesInfo:
    """How a fetched series is stored: its display name, its kind ("bars" or "series"), its frequency name
    ("1d", "5m", "1mo"...), and whether its rows are whole days (then a refresh starts the day after the last row;
    intraday refreshes start on the last row's day and let the merge drop the repeated bars)."""

    name: str
    kind: str
    frequency: str
    daily: bool


@dataclass(frozen=True)
class Fetched:
    """One date range of a series: `data` indexed by naive UTC time (see market_data.frames), float columns open,
    high, low, close, volume for bars or a float Series; and the request that produced it as provenance records
    it, `endpoint` and `params` (never the key)."""

    data: "pd.DataFrame | pd.Series"
    endpoint: str
    params: dict[str, Any]


class DataProvider(ABC):
    """One source of series. Subclass it, fill in the class attributes and the four methods, and `register` it."""

    source: ClassVar[str]  # stored on jobs, datasets and keys, e.g. "polygon" (at most MAX_SOURCE_LENGTH)
    label: ClassVar[str]  # shown to people, e.g. "Polygon"
    symbol_hint: ClassVar[str]  # what a symbol is here, for error messages: "a FRED series id"
    default_base_url: ClassVar[str]  # the endpoint unless <SOURCE>_BASE_URL says otherwise
    default_rate_limit_per_minute: ClassVar[int] = 0  # requests a minute per key, shared by all workers; 0: none
    # Whether a series has a bar size (multiplier, timespan) and an adjusted/unadjusted pair worth showing.
    bar_sizes: ClassVar[bool] = False
    timespans: ClassVar[tuple[str, ...]] = ()  # the bar sizes' units it accepts, when it has bar sizes
    # Whether its data is live (a market feed that keeps moving), for the freshness and approval rules.
    live: ClassVar[bool] = True

    # The settings of a provider are named after its source, so a new provider declares none in settings.py:
    # read by market_data.providers.config, from Django settings if set there, else the environment.
    @property
    def key_setting(self) -> str:
        """The server-wide key, e.g. POLYGON_API_KEY (a team's own key comes first)."""
        return f"{self.source.upper()}_API_KEY"

    @property
    def base_url_setting(self) -> str:
        return f"{self.source.upper()}_BASE_URL"

    @property
    def rate_limit_setting(self) -> str:
        return f"{self.source.upper()}_RATE_LIMIT_PER_MINUTE"

    def options(self, *, multiplier: int, timespan: str, adjusted: bool) -> tuple[dict[str, Any], dict[str, str]]:
        """The bar size and adjustment as this provider keeps them, and what is wrong with them (field: message).

        By default a provider has one frequency per series and no adjusted/unadjusted pair: the fields are fixed,
        so every job and watch-list entry of it looks the same."""
        return {"multiplier": 1, "timespan": "day", "adjusted": True}, {}

    @abstractmethod
    def connect(self, *, api_key: str, base_url: str, timeout: float, max_retries: int, rate_limiter: "Limiter") -> Any:
        """A client for one key, handed back to describe, fetch and search. Every request it makes first calls
        `rate_limiter.wait()`."""

    @abstractmethod
    def describe(self, client: Any, *, symbol: str, multiplier: int, timespan: str) -> SeriesInfo:
        """How the series `symbol` is stored (it may ask the provider, as FRED's metadata call does)."""

    @abstractmethod
    def fetch(
        self, client: Any, *, symbol: str, start: date, end: date, multiplier: int, timespan: str, adjusted: bool
    ) -> Fetched:
        """The series' rows from `start` to `end`, both inclusive; no rows (not an error) when there are none."""

    @abstractmethod
    def search(self, client: Any, *, query: str, limit: int) -> list[dict[str, Any]]:
        """At most `limit` series matching `query`, each a dict with at least "symbol" and "name"."""


_registry: dict[str, DataProvider] = {}


def register(provider: DataProvider) -> DataProvider:
    """Make `provider` available to fetches, searches, keys and the watch-list under its `source`."""
    source = provider.source
    if not source or len(source) > MAX_SOURCE_LENGTH or source != source.lower():
        raise ValueError(f"a provider's source must be 1 to {MAX_SOURCE_LENGTH} lower-case characters: {source!r}")
    if source in _registry:
        raise ValueError(f"a provider is already registered as {source!r}")
    _registry[source] = provider
    return provider


def unregister(source: str) -> None:
    _registry.pop(source, None)


def get(source: str) -> DataProvider | None:
    return _registry.get(source)


def registered() -> list[DataProvider]:
    """Every provider, in the order they were registered."""
    return list(_registry.values())


def choices() -> list[tuple[str, str]]:
    """(source, label) pairs, for forms and model choices."""
    return [(provider.source, provider.label) for provider in _registry.values()]


def timespan_choices() -> list[tuple[str, str]]:
    """The bar-size units any registered provider accepts, for the fetch form (in the providers' own order)."""
    units = dict.fromkeys(unit for provider in _registry.values() for unit in provider.timespans)
    return [(unit, unit) for unit in units]


def live_sources() -> tuple[str, ...]:
    """The sources whose data is live (every registered provider unless it says otherwise)."""
    return tuple(source for source, provider in _registry.items() if provider.live)


def sources_text() -> str:
    """The sources as a sentence names them: "polygon or fred"."""
    sources = list(_registry)
    return " or ".join([", ".join(sources[:-1]), sources[-1]] if len(sources) > 1 else sources)
