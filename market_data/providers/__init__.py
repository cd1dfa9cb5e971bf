"""The providers market data is fetched from. A new one (Alpha Vantage, Tiingo, a CSV drop folder) is one module
implementing `DataProvider` (see base.py) and one `register(...)` line below, plus its settings."""

from .base import (
    DataProvider,
    Fetched,
    SeriesInfo,
    choices,
    get,
    register,
    registered,
    sources_text,
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
    "register",
    "registered",
    "sources_text",
    "unregister",
]
