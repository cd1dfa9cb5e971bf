"""A local stand-in for Polygon's REST API serving real daily history bundled with the `arch` package.

Speaks the documented shapes: aggregates (`/v2/aggs/ticker/{t}/range/{m}/{span}/{from}/{to}`) with `status`,
`ticker`, `queryCount`, `resultsCount`, `adjusted`, `results` [{o, h, l, c, v, vw, t, n}], `request_id` and a
`next_url` whose `cursor` carries limit and sort; previous close (`/v2/aggs/ticker/{t}/prev`); ticker search
(`/v3/reference/tickers`). Daily bars are stamped at midnight New York time, as Polygon does.

Data: SPY and I:SPX serve arch's S&P 500 history (1999-2018), QQQ, I:NDX and I:COMP its NASDAQ Composite
history. o/h/l/c/v are the real values; Polygon's `vw` and `n` do not exist in that data, so `vw` is the
typical price (h+l+c)/3 and `n` is 0, and index tickers (I:...) carry no v/vw/n, as on Polygon.
Limits of the fake: only 1/day aggregates; `adjusted` is accepted and ignored (the index data needs no
adjustment); an unknown ticker gets an empty OK answer, as on Polygon.

Authentication as Polygon accepts it: an `Authorization: Bearer <key>` header (what Polygon's official client
sends; the scheme is case-insensitive, RFC 7235) or an `apiKey` query parameter; a request carrying neither gets
401 "API Key was not provided", a wrong key 401 "Unknown API Key". `requests` records which way the key came.

Knobs beyond FakeApiServer's: `api_key` (the one valid key), `page_size` (caps `limit` to force pagination),
`forbidden_tickers` (answered 403 NOT_AUTHORIZED, as for a plan without access).
"""

import base64
import re
import uuid
from datetime import date
from functools import cache
from importlib import import_module
from urllib.parse import parse_qsl, quote, urlencode

import pandas as pd

from .base import FakeApiServer, Response

VALID_KEY = "test-polygon-key-0123456789"
NEW_YORK = "America/New_York"
MAX_LIMIT = 50000
DEFAULT_LIMIT = 5000

DATASETS = {
    "SPY": "arch.data.sp500",
    "I:SPX": "arch.data.sp500",
    "QQQ": "arch.data.nasdaq",
    "I:NDX": "arch.data.nasdaq",
    "I:COMP": "arch.data.nasdaq",
}

TICKERS = [
    {
        "ticker": "SPY",
        "name": "SPDR S&P 500 ETF Trust",
        "market": "stocks",
        "locale": "us",
        "primary_exchange": "ARCX",
        "type": "ETF",
        "active": True,
        "currency_name": "usd",
    },
    {
        "ticker": "QQQ",
        "name": "Invesco QQQ Trust, Series 1",
        "market": "stocks",
        "locale": "us",
        "primary_exchange": "XNAS",
        "type": "ETF",
        "active": True,
        "currency_name": "usd",
    },
    {"ticker": "I:SPX", "name": "Standard & Poor's 500", "market": "indices", "locale": "us", "active": True},
    {"ticker": "I:NDX", "name": "Nasdaq-100", "market": "indices", "locale": "us", "active": True},
    {"ticker": "I:COMP", "name": "NASDAQ Composite Index", "market": "indices", "locale": "us", "active": True},
]
for _ticker in TICKERS:
    _ticker["last_updated_utc"] = "2019-01-02T00:00:00Z"

_AGGS = re.compile(
    r"^/v2/aggs/ticker/(?P<ticker>[^/]+)/range/(?P<mult>[^/]+)/(?P<span>[^/]+)/(?P<from>[^/]+)/(?P<to>[^/]+)$"
)
_PREV = re.compile(r"^/v2/aggs/ticker/(?P<ticker>[^/]+)/prev$")


@cache
def daily_bars(module: str) -> pd.DataFrame:
    """The arch history with Polygon's field names and `t` (ms epoch of midnight New York) as a column."""
    raw = import_module(module).load()
    dates = pd.DatetimeIndex(raw.index).normalize()
    frame = pd.DataFrame(
        {
            "o": raw["Open"].to_numpy(dtype="float64"),
            "h": raw["High"].to_numpy(dtype="float64"),
            "l": raw["Low"].to_numpy(dtype="float64"),
            "c": raw["Close"].to_numpy(dtype="float64"),
            "v": raw["Volume"].to_numpy(dtype="float64"),
        },
        index=pd.Index(dates.date, name="date"),
    )
    stamps = dates.tz_localize(NEW_YORK).tz_convert("UTC")
    frame["t"] = [int(ts.timestamp() * 1000) for ts in stamps]
    return frame


def expected_bars(ticker: str, start: date, end: date) -> pd.DataFrame:
    """What the fake serves for `ticker` between two dates, as (date-indexed) open/high/low/close/volume floats."""
    frame = daily_bars(DATASETS[ticker])
    frame = frame[(frame.index >= start) & (frame.index <= end)]
    return frame.rename(columns={"o": "open", "h": "high", "l": "low", "c": "close", "v": "volume"})[
        ["open", "high", "low", "close", "volume"]
    ]


def _bar_json(row, ticker: str, *, with_symbol: bool = False) -> dict:
    bar = {"o": row.o, "h": row.h, "l": row.l, "c": row.c, "t": int(row.t)}
    if not ticker.startswith("I:"):
        bar.update(v=row.v, vw=round((row.h + row.l + row.c) / 3, 4), n=0)
    return {"T": ticker, **bar} if with_symbol else bar


def _parse_time(value: str) -> date | None:
    if value.isdigit():
        return pd.Timestamp(int(value), unit="ms", tz="UTC").tz_convert(NEW_YORK).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class FakePolygon(FakeApiServer):
    def __init__(self, *, api_key: str = VALID_KEY, page_size: int = MAX_LIMIT) -> None:
        super().__init__()
        self.api_key = api_key
        self.page_size = page_size
        self.forbidden_tickers: set[str] = set()

    def error_body(self, status: int, message: str) -> dict:
        return {"status": "ERROR", "request_id": uuid.uuid4().hex, "error": message}

    def _ok(self, body: dict) -> Response:
        return 200, {**body, "status": "OK", "request_id": uuid.uuid4().hex}, {}

    def authorize(self, params: dict[str, str], headers: dict[str, str]) -> Response | None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        key = token.strip() if scheme.lower() == "bearer" else params.get("apiKey")
        if not key:
            return 401, self.error_body(401, "API Key was not provided"), {}
        if key != self.api_key:
            return 401, self.error_body(401, "Unknown API Key"), {}
        return None

    def route(self, path: str, params: dict[str, str]) -> Response:
        if match := _AGGS.match(path):
            return self._aggregates(match, params)
        if match := _PREV.match(path):
            return self._previous_close(match["ticker"])
        if path == "/v3/reference/tickers":
            return self._tickers(params)
        return 404, {"status": "NOT_FOUND", "request_id": uuid.uuid4().hex, "message": "Not Found"}, {}

    def _forbidden(self) -> Response:
        message = "You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing"
        return 403, {"status": "NOT_AUTHORIZED", "request_id": uuid.uuid4().hex, "message": message}, {}

    def _aggregates(self, match: re.Match, params: dict[str, str]) -> Response:
        ticker = match["ticker"]
        if ticker in self.forbidden_tickers:
            return self._forbidden()
        if "cursor" in params:
            params = {**params, **dict(parse_qsl(base64.urlsafe_b64decode(params["cursor"]).decode()))}
        if not match["mult"].isdigit() or int(match["mult"]) < 1:
            return 400, self.error_body(400, "multiplier must be a positive integer"), {}
        if (int(match["mult"]), match["span"]) != (1, "day"):
            return 400, self.error_body(400, "this fake serves 1/day aggregates only"), {}
        start, end = _parse_time(match["from"]), _parse_time(match["to"])
        for name, value in (("from", start), ("to", end)):
            if value is None:
                message = f"Could not parse the time parameter: '{name}'. Use YYYY-MM-DD or Unix MS Timestamps"
                return 400, self.error_body(400, message), {}
        adjusted = params.get("adjusted", "true") != "false"
        sort = params.get("sort", "asc")
        limit = min(int(params.get("limit", DEFAULT_LIMIT)), MAX_LIMIT, self.page_size)
        body = {"ticker": ticker, "adjusted": adjusted, "queryCount": 0, "resultsCount": 0}
        if ticker not in DATASETS:
            return self._ok(body)
        bars = daily_bars(DATASETS[ticker])
        bars = bars[(bars.index >= start) & (bars.index <= end)]
        if sort == "desc":
            bars = bars.iloc[::-1]
        page, rest = bars.iloc[:limit], bars.iloc[limit:]
        if page.empty:
            return self._ok(body)
        body["results"] = [_bar_json(row, ticker) for row in page.itertuples()]
        body["queryCount"] = body["resultsCount"] = body["count"] = len(page)
        if not rest.empty:
            # Like Polygon: the next window starts at the next bar's timestamp; the cursor remembers the rest.
            cursor = base64.urlsafe_b64encode(
                urlencode({"adjusted": str(adjusted).lower(), "limit": limit, "sort": sort}).encode()
            ).decode()
            if sort == "desc":
                window = f"{match['from']}/{int(rest.iloc[0].t)}"
            else:
                window = f"{int(rest.iloc[0].t)}/{match['to']}"
            body["next_url"] = (
                f"{self.base_url}/v2/aggs/ticker/{quote(ticker, safe=':')}/range/1/day/{window}?cursor={cursor}"
            )
        return self._ok(body)

    def _previous_close(self, ticker: str) -> Response:
        if ticker in self.forbidden_tickers:
            return self._forbidden()
        body = {"ticker": ticker, "adjusted": True, "queryCount": 0, "resultsCount": 0}
        if ticker in DATASETS:
            last = next(daily_bars(DATASETS[ticker]).iloc[-1:].itertuples())
            body.update(queryCount=1, resultsCount=1, results=[_bar_json(last, ticker, with_symbol=True)])
        return self._ok(body)

    def _tickers(self, params: dict[str, str]) -> Response:
        search = params.get("search", "").lower()
        limit = min(int(params.get("limit", 100)), 1000, self.page_size)
        found = [
            t
            for t in TICKERS
            if (search in t["ticker"].lower() or search in t["name"].lower())
            and params.get("market", t["market"]) == t["market"]
            and (params.get("active", "true") == "true") == t["active"]
        ]
        return self._ok({"results": found[:limit], "count": len(found[:limit])})
