"""The providers market data is fetched from. A new one (Alpha Vantage, Tiingo, a CSV drop folder) is one module
implementing `DataProvider` (see base.py) and one `register(...)` line below; its settings are named after its
source and read from the environment (config.py), and compliance's data-source rules learn it from here."""

from .base import (
    DataProvider,
    Fetched,
    SeriesInfo,
    choices,
    get,
    live_sources,
    register,
    registered,
    sources_text,
    timespan_choices,
    unregister,
)
from .fred import FredProvider
from .polygon import PolygonProvider

register(PolygonProvider())
register(FredProvider())

__all__ = [
    "DataProvider",
    "Fetched",
    "SeriesInfo",
    "choices",
    "get",
    "live_sources",
    "register",
    "registered",
    "sources_text",
    "timespan_choices",
    "unregister",
]
