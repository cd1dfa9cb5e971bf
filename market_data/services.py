"""Writes of stored series: every store is all-or-nothing and records provenance and a SHA-256.

Also the live side: teams' provider keys (encrypted at rest), fetch jobs that bring only the missing dates of a
Polygon or FRED series into the cache, the watch-list refreshed on a schedule, and validated CSV uploads.
"""

import hashlib
import logging
import os
import re
import threading
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from importlib import import_module

import pandas as pd
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from accounts.services import OWNERS, membership_require
from observability import metrics as observability_metrics

from .crypto import EncryptionKeyMissing, SecretDecryptError, decrypt_secret, encrypt_secret, mask_secret
from .errors import DataSourceError, DataSourceKeyMissing, UploadInvalid
from .fred import FredClient
from .hashing import frame_sha256
from .models import Bar, Dataset, FetchJob, Observation, ProviderSource, TeamApiKey, WatchItem
from .polygon import BAR_COLUMNS, PolygonClient
from .uploads import parse_upload

logger = logging.getLogger(__name__)

# Real daily and monthly history shipped inside the `arch` package, so mlTrainer works offline.
BUNDLED = [
    # key, name, module, kind, columns (ours <- theirs), frequency
    ("SPX", "S&P 500 index", "arch.data.sp500", "bars", None, "1d"),
    ("IXIC", "NASDAQ Composite index", "arch.data.nasdaq", "bars", None, "1d"),
    ("VIXCLS", "CBOE Volatility Index (VIX) close", "arch.data.vix", "series", "vix", "1d"),
    ("DCOILWTICO", "WTI crude oil spot price", "arch.data.wti", "series", "DCOILWTICO", "1d"),
    ("CPILFESL", "US core CPI (less food and energy)", "arch.data.core_cpi", "series", "CPILFESL", "1mo"),
    ("AAA", "Moody's Aaa corporate bond yield", "arch.data.default", "series", "AAA", "1mo"),
    ("BAA", "Moody's Baa corporate bond yield", "arch.data.default", "series", "BAA", "1mo"),
]


def _as_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def _rows_create(*, dataset: Dataset, kind: str, data: pd.DataFrame | pd.Series) -> list[datetime]:
    """Insert `data` as the dataset's bars or observations; returns their UTC timestamps."""
    stamps = _as_utc(pd.DatetimeIndex(data.index)).to_pydatetime()
    if kind == Dataset.Kind.BARS:
        volume = data["volume"] if "volume" in data else pd.Series(float("nan"), index=data.index)
        Bar.objects.bulk_create(
            Bar(dataset=dataset, ts=ts, open=o, high=h, low=lo, close=c, volume=None if pd.isna(v) else v)
            for ts, o, h, lo, c, v in zip(
                stamps, data["open"], data["high"], data["low"], data["close"], volume, strict=True
            )
        )
    else:
        Observation.objects.bulk_create(
            Observation(dataset=dataset, ts=ts, value=v) for ts, v in zip(stamps, data.to_numpy(), strict=True)
        )
    return list(stamps)


@transaction.atomic
def dataset_store(
    *,
    key: str,
    name: str,
    kind: str,
    source: str,
    data: pd.DataFrame | pd.Series,
    provenance: dict,
    team: Team | None = None,
    user: User | None = None,
    frequency: str = "1d",
    adjusted: bool = True,
) -> Dataset:
    """Create or replace a dataset with exactly `data`; rows and metadata change together or not at all."""
    if data.empty:
        raise ValueError(f"no rows to store for {key}")
    data = data.sort_index()
    sha256 = frame_sha256(data)
    dataset, _ = Dataset.objects.select_for_update().get_or_create(
        team=team,
        key=key,
        source=source,
        frequency=frequency,
        adjusted=adjusted,
        defaults={"kind": kind, "sha256": sha256},
    )
    if dataset.kind != kind:
        raise ValueError(f"{key} is stored as {dataset.kind}, not {kind}")
    Bar.objects.filter(dataset=dataset).delete()
    Observation.objects.filter(dataset=dataset).delete()
    stamps = _rows_create(dataset=dataset, kind=kind, data=data)
    dataset.name = name
    dataset.provenance = {**provenance, "stored_at": timezone.now().isoformat()}
    dataset.sha256 = sha256
    dataset.first_date, dataset.last_date = stamps[0], stamps[-1]
    dataset.rows = len(data)
    dataset.created_by = user
    dataset.save(
        update_fields=["name", "provenance", "sha256", "first_date", "last_date", "rows", "created_by", "updated_at"]
    )
    return dataset


def _bundled_frame(module: str, column: str | None, kind: str) -> pd.DataFrame | pd.Series:
    raw = import_module(module).load()
    raw.index = pd.DatetimeIndex(raw.index)
    if kind == "bars":
        frame = raw.rename(columns=str.lower)[["open", "high", "low", "close", "volume"]]
        return frame.astype("float64")
    return raw[column].astype("float64").dropna()


def bundled_load() -> list[tuple[Dataset, bool]]:
    """Store the bundled real history; unchanged datasets (same SHA-256) are left alone. Returns (dataset, stored)."""
    import arch

    results = []
    for key, name, module, kind, column, frequency in BUNDLED:
        data = _bundled_frame(module, column, kind)
        existing = Dataset.objects.filter(team__isnull=True, key=key, source=Dataset.Source.BUNDLED).first()
        if existing and existing.sha256 == frame_sha256(data.sort_index()):
            results.append((existing, False))
            continue
        provenance = {"package": "arch", "version": arch.__version__, "module": module, "column": column}
        dataset = dataset_store(
            key=key,
            name=name,
            kind=kind,
            source=Dataset.Source.BUNDLED,
            data=data,
            provenance=provenance,
            frequency=frequency,
        )
        results.append((dataset, True))
    return results


# --- Who may do what ----------------------------------------------------------------------------------------


class FetchInvalid(ValueError):
    """A fetch or watch-list request has problems; `errors` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


# --- Provider keys ------------------------------------------------------------------------------------------

_PROVIDERS = {
    ProviderSource.POLYGON: ("Polygon", "POLYGON_API_KEY"),
    ProviderSource.FRED: ("FRED", "FRED_API_KEY"),
}
_MAX_KEY_LENGTH = 200


def _provider(source: str) -> tuple[str, str]:
    if source not in _PROVIDERS:
        raise FetchInvalid({"source": f"must be polygon or fred, got {source!r}"})
    return _PROVIDERS[source]


def team_api_key_set(*, team: Team, user: User, source: str, api_key: str) -> TeamApiKey:
    """Store (or replace) the team's key for a provider, encrypted; owners only. The key is never returned."""
    membership_require(user=user, team=team, roles=OWNERS, action="change API keys")
    _provider(source)
    api_key = (api_key or "").strip()
    if not api_key:
        raise FetchInvalid({"api_key": "is required"})
    if len(api_key) > _MAX_KEY_LENGTH or any(ch.isspace() for ch in api_key):
        raise FetchInvalid({"api_key": f"must be one word of at most {_MAX_KEY_LENGTH} characters"})
    encrypted = encrypt_secret(api_key, keys=settings.MLTRAINER_ENCRYPTION_KEYS)
    stored, _ = TeamApiKey.objects.update_or_create(
        team=team,
        source=source,
        defaults={"encrypted_key": encrypted, "hint": mask_secret(api_key), "created_by": user},
    )
    logger.info("team %s set its %s API key", team.slug, source)
    return stored


def team_api_key_delete(*, team: Team, user: User, source: str) -> bool:
    membership_require(user=user, team=team, roles=OWNERS, action="change API keys")
    _provider(source)
    deleted, _ = TeamApiKey.objects.filter(team=team, source=source).delete()
    if deleted:
        logger.info("team %s removed its %s API key", team.slug, source)
    return bool(deleted)


def api_key_for(*, team: Team, source: str) -> str:
    """The key to call `source` with for `team`: the team's own, else the server-wide one, else a clear error."""
    name, setting = _provider(source)
    stored = TeamApiKey.objects.filter(team=team, source=source).values_list("encrypted_key", flat=True).first()
    if stored:
        return decrypt_secret(stored, keys=settings.MLTRAINER_ENCRYPTION_KEYS)
    server_key = getattr(settings, setting, "")
    if server_key:
        return server_key
    raise DataSourceKeyMissing(
        f"No {name} API key: a team owner can add one on the Data page (Team API keys) "
        f"or the operator can set {setting}",
        source=name,
    )


_clients: dict[tuple, PolygonClient | FredClient] = {}
_clients_lock = threading.Lock()


def provider_client(*, team: Team, source: str) -> PolygonClient | FredClient:
    """A client for the team's key, shared within this process so its rate limit spans jobs and requests."""
    api_key = api_key_for(team=team, source=source)
    if source == ProviderSource.POLYGON:
        base_url, per_minute, factory = settings.POLYGON_BASE_URL, settings.POLYGON_RATE_LIMIT_PER_MINUTE, PolygonClient
    else:
        base_url, per_minute, factory = settings.FRED_BASE_URL, settings.FRED_RATE_LIMIT_PER_MINUTE, FredClient
    timeout, retries = settings.MARKET_DATA_TIMEOUT_SECONDS, settings.MARKET_DATA_MAX_RETRIES
    # Keyed by a digest, not the key itself, and by the settings, so a changed key or limit gets a new client.
    cache_key = (source, base_url, per_minute, timeout, retries, hashlib.sha256(api_key.encode()).hexdigest())
    with _clients_lock:
        client = _clients.get(cache_key)
        if client is None:
            client = factory(
                api_key=api_key,
                base_url=base_url,
                timeout=float(timeout),
                max_retries=retries,
                rate_limit_per_minute=per_minute or None,
            )
            _clients[cache_key] = client
    return client


# --- Fetching into the cache --------------------------------------------------------------------------------

TIMESPANS = {"minute": "m", "hour": "h", "day": "d", "week": "w", "month": "mo", "quarter": "q", "year": "y"}
_DAILY_OR_LONGER = {"day", "week", "month", "quarter", "year"}
# FRED's frequency_short codes, as our frequency names.
_FRED_FREQUENCIES = {"D": "1d", "W": "1w", "BW": "2w", "M": "1mo", "Q": "1q", "SA": "6mo", "A": "1y"}
_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._^-]{0,63}$")
NEW_YORK = "America/New_York"
_PROVENANCE_HISTORY = 50
_POLYGON_ENDPOINT = "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}"
_FRED_ENDPOINT = "/fred/series/observations"


def today_in_new_york() -> date:
    """The market's date: a fetch "up to today" means today in New York, where US markets keep their dates."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(NEW_YORK)).date()


def polygon_frequency(*, multiplier: int, timespan: str) -> str:
    return f"{multiplier}{TIMESPANS[timespan]}"


def _clean_series_request(
    *, source: str, symbol: str, start: date | None, end: date | None, multiplier: int, timespan: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if source not in _PROVIDERS:
        errors["source"] = f"must be polygon or fred, got {source!r}"
    if not symbol or not _SYMBOL.match(symbol):
        errors["symbol"] = "is required: a Polygon ticker such as SPY, X:BTCUSD or I:SPX, or a FRED series id"
    if start is None:
        errors["start"] = "is required, as YYYY-MM-DD"
    if end is None:
        errors["end"] = "is required, as YYYY-MM-DD"
    if start and end and start > end:
        errors["end"] = f"must not be before start ({start.isoformat()})"
    if source == ProviderSource.POLYGON:
        if timespan not in TIMESPANS:
            errors["timespan"] = f"must be one of {', '.join(TIMESPANS)}, got {timespan!r}"
        if not isinstance(multiplier, int) or isinstance(multiplier, bool) or not 1 <= multiplier <= 1000:
            errors["multiplier"] = f"must be a whole number from 1 to 1000, got {multiplier!r}"
    return errors


def fetch_job_create(
    *,
    team: Team,
    user: User,
    source: str,
    symbol: str,
    start: date | None,
    end: date | None,
    multiplier: int = 1,
    timespan: str = "day",
    adjusted: bool = True,
) -> FetchJob:
    """Queue a fetch of a series into the team's cache; a worker runs it once the transaction commits.

    Raises PermissionDenied (viewers), FetchInvalid, or DataSourceKeyMissing when no key is configured."""
    membership_require(user=user, team=team, action="fetch data")
    symbol = (symbol or "").strip().upper()
    errors = _clean_series_request(
        source=source, symbol=symbol, start=start, end=end, multiplier=multiplier, timespan=timespan
    )
    if errors:
        raise FetchInvalid(errors)
    api_key_for(team=team, source=source)  # fail now, with the message saying where to set one
    with transaction.atomic():
        job = _job_new(
            team=team,
            user=user,
            source=source,
            symbol=symbol,
            start=start,
            end=end,
            multiplier=multiplier,
            timespan=timespan,
            adjusted=adjusted,
        )
        fetch_job_enqueue(job=job)
    return job


def _job_new(**fields) -> FetchJob:
    if fields["source"] == ProviderSource.FRED:
        # FRED series have one frequency and no adjusted/unadjusted pair; keep the job's fields uniform.
        fields.update(multiplier=1, timespan="day", adjusted=True)
    return FetchJob.objects.create(**fields)


def fetch_job_enqueue(*, job: FetchJob) -> None:
    from .tasks import run_fetch_job

    transaction.on_commit(lambda: run_fetch_job.delay(job.pk))


def _progress(job: FetchJob, value: float) -> None:
    job.progress = value
    FetchJob.objects.filter(pk=job.pk, status=FetchJob.Status.RUNNING).update(progress=value)


def fetch_job_run(*, job_id: int) -> FetchJob | None:
    """Run a queued fetch job; safe to call twice (a job already claimed or finished is left alone).

    A provider failure (bad key, rate limit, timeouts, 5xx after retries) fails the job with the provider's
    message and stores nothing; the series keeps the rows it had."""
    claimed = FetchJob.objects.filter(pk=job_id, status=FetchJob.Status.QUEUED).update(
        status=FetchJob.Status.RUNNING, started_at=timezone.now(), progress=0.0
    )
    if not claimed:
        logger.info("fetch job %s not claimable (already running elsewhere or finished)", job_id)
        return None
    job = FetchJob.objects.select_related("team").get(pk=job_id)
    logger.info("fetch job %s started: %s %s %s..%s", job.pk, job.source, job.symbol, job.start, job.end)
    try:
        dataset, added = dataset_fetch(job=job)
    except (DataSourceError, EncryptionKeyMissing, SecretDecryptError) as exc:
        message = exc.message if isinstance(exc, DataSourceError) else str(exc)
        logger.warning("fetch job %s failed: %s", job.pk, message)
        observability_metrics.record_fetch_failure(job.source)
        _job_finish(job, status=FetchJob.Status.FAILED, error=message)
        return job
    except Exception:
        logger.exception("fetch job %s failed unexpectedly", job.pk)
        _job_finish(job, status=FetchJob.Status.FAILED, error="unexpected error while fetching; see the worker log")
        raise
    _job_finish(job, status=FetchJob.Status.SUCCEEDED, dataset=dataset, rows_added=added, progress=1.0)
    logger.info("fetch job %s stored %s new rows in dataset %s", job.pk, added, dataset.pk)
    return job


def _job_finish(job: FetchJob, *, status: str, error: str = "", **fields) -> None:
    now = timezone.now()
    fields.update(status=status, error=error, finished_at=now)
    with transaction.atomic():
        FetchJob.objects.filter(pk=job.pk, status=FetchJob.Status.RUNNING).update(**fields)
        job.refresh_from_db()
        if job.dataset_id:
            Dataset.objects.filter(pk=job.dataset_id).update(last_refresh_at=now, last_refresh_status=status)
        if job.watch_item_id:
            WatchItem.objects.filter(pk=job.watch_item_id).update(
                last_refresh_at=now, last_status=status, last_error=error
            )


def _missing_ranges(*, dataset: Dataset | None, start: date, end: date, daily: bool) -> list[tuple[date, date]]:
    """The date ranges of [start, end] the stored series does not cover yet: before the earliest date ever asked
    for, and after the last stored row.

    The head counts what was asked (a holiday or a date before a listing has no row and never will); the tail counts
    only what was stored, because a provider publishes late (today's bar, last month's CPI) and an empty answer
    there means "not yet". Gaps inside the stored range are not looked for. Intraday ranges include the boundary
    day, whose bars the merge de-duplicates."""
    if dataset is None or not dataset.rows:
        return [(start, end)]
    first, last = dataset.first_date.date(), dataset.last_date.date()
    asked = (dataset.provenance or {}).get("requested_from")
    head = min(first, date.fromisoformat(asked)) if asked else first
    step = timedelta(days=1) if daily else timedelta(0)
    ranges = []
    if start < head:
        ranges.append((start, min(end, head - timedelta(days=1))))
    if end > last or (not daily and end == last):
        ranges.append((max(start, last + step), end))
    return [(a, b) for a, b in ranges if a <= b]


def _naive_utc(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(index)
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.as_unit("us").rename("ts")


def _polygon_frame(frame: pd.DataFrame, *, timespan: str) -> pd.DataFrame:
    """Polygon bars indexed by naive UTC; daily-or-longer bars at UTC midnight of their New York date."""
    if timespan in _DAILY_OR_LONGER:
        # Polygon stamps a daily bar at midnight New York time: its date is the New York date.
        days = pd.DatetimeIndex(frame.index).tz_convert(NEW_YORK).tz_localize(None).normalize()
        frame = frame.set_axis(days, axis=0)
    frame = frame.set_axis(_naive_utc(frame.index), axis=0)
    return frame[~frame.index.duplicated(keep="first")][BAR_COLUMNS].astype("float64")


def dataset_fetch(*, job: FetchJob) -> tuple[Dataset, int]:
    """Fetch the dates of the job's series that the team's cache lacks and store them with the rows it has.

    Everything is fetched before anything is written, and the write is one transaction: a fetch stores all of its
    rows or none. Returns the dataset and the number of rows added."""
    client = provider_client(team=job.team, source=job.source)
    _progress(job, 0.05)
    if job.source == ProviderSource.POLYGON:
        key, name, kind = job.symbol, job.symbol, Dataset.Kind.BARS
        frequency = polygon_frequency(multiplier=job.multiplier, timespan=job.timespan)
        daily = job.timespan in _DAILY_OR_LONGER
    else:
        info = client.series_info(job.symbol)
        key, name, kind = job.symbol, str(info.get("title") or job.symbol)[:200], Dataset.Kind.SERIES
        frequency = _FRED_FREQUENCIES.get(str(info.get("frequency_short", "")).upper(), "1d")
        daily = True
    identity = {"team": job.team, "key": key, "source": job.source, "frequency": frequency, "adjusted": job.adjusted}
    dataset = Dataset.objects.filter(**identity).first()
    if dataset is not None:
        FetchJob.objects.filter(pk=job.pk).update(dataset=dataset)
        job.dataset = dataset
    ranges = _missing_ranges(dataset=dataset, start=job.start, end=job.end, daily=daily)
    pieces, fetches = [], []
    for number, (start, end) in enumerate(ranges, start=1):
        fetched_at = timezone.now().isoformat()
        if job.source == ProviderSource.POLYGON:
            raw = client.aggregates(
                ticker=job.symbol,
                multiplier=job.multiplier,
                timespan=job.timespan,
                start=start,
                end=end,
                adjusted=job.adjusted,
            )
            piece = _polygon_frame(raw, timespan=job.timespan)
            endpoint = _POLYGON_ENDPOINT
            params = {
                "ticker": job.symbol,
                "multiplier": job.multiplier,
                "timespan": job.timespan,
                "from": start.isoformat(),
                "to": end.isoformat(),
                "adjusted": job.adjusted,
                "sort": "asc",
            }
        else:
            raw = client.observations(job.symbol, start=start, end=end)
            piece = raw.set_axis(_naive_utc(raw.index), axis=0).astype("float64").rename(key)
            endpoint = _FRED_ENDPOINT
            params = {
                "series_id": job.symbol,
                "observation_start": start.isoformat(),
                "observation_end": end.isoformat(),
            }
        pieces.append(piece)
        fetches.append(
            {
                "source": job.source,
                "endpoint": endpoint,
                "params": params,
                "fetched_at": fetched_at,
                "rows": len(piece),
                "sha256": frame_sha256(piece) if len(piece) else None,
                "job": job.pk,
                "requested_from": start.isoformat(),
            }
        )
        _progress(job, 0.05 + 0.85 * number / len(ranges))
    new = pd.concat(pieces) if pieces else None
    if dataset is None and (new is None or new.empty):
        raise DataSourceError(
            f"{_PROVIDERS[job.source][0]} returned no data for {job.symbol} between {job.start} and {job.end}; "
            "check the symbol and the dates.",
            source=_PROVIDERS[job.source][0],
        )
    return _store_fetched(identity=identity, name=name, kind=kind, new=new, fetches=fetches, job=job)


@transaction.atomic
def _store_fetched(
    *, identity: dict, name: str, kind: str, new: pd.DataFrame | pd.Series | None, fetches: list[dict], job: FetchJob
) -> tuple[Dataset, int]:
    dataset = Dataset.objects.select_for_update().filter(**identity).first()
    latest = fetches[-1] if fetches else None
    if dataset is None:
        new = new[~new.index.duplicated(keep="first")].sort_index()
        provenance = _provenance(previous={}, fetches=fetches, sha256=frame_sha256(new))
        dataset = dataset_store(data=new, name=name, kind=kind, provenance=provenance, user=job.user, **identity)
        added = len(new)
    else:
        # Re-read under the lock: another job may have stored some of these dates meanwhile.
        from .selectors import dataset_frame

        existing = dataset_frame(dataset=dataset)
        existing = existing.set_axis(_naive_utc(existing.index), axis=0)
        added_rows = None
        if new is not None and not new.empty:
            added_rows = new[~new.index.isin(existing.index)]
            added_rows = added_rows[~added_rows.index.duplicated(keep="first")].sort_index()
        added = 0 if added_rows is None else len(added_rows)
        fields = ["provenance", "updated_at"]
        if added:
            _rows_create(dataset=dataset, kind=kind, data=added_rows)
            merged = pd.concat([existing, added_rows]).sort_index()
            dataset.sha256 = frame_sha256(merged)
            dataset.first_date = merged.index[0].to_pydatetime().replace(tzinfo=UTC)
            dataset.last_date = merged.index[-1].to_pydatetime().replace(tzinfo=UTC)
            dataset.rows = len(merged)
            dataset.name = name
            fields += ["sha256", "first_date", "last_date", "rows", "name"]
        dataset.provenance = _provenance(previous=dataset.provenance, fetches=fetches, sha256=dataset.sha256)
        dataset.save(update_fields=fields)
    if latest is None:
        logger.info("dataset %s already covers %s..%s; nothing fetched", dataset.pk, job.start, job.end)
    FetchJob.objects.filter(pk=job.pk).update(dataset=dataset)
    job.dataset = dataset
    return dataset, added


def _provenance(*, previous: dict, fetches: list[dict], sha256: str) -> dict:
    """Where the series came from: the latest request at the top level, every request (the last 50) in `fetches`."""
    history = [*(previous.get("fetches") or []), *fetches][-_PROVENANCE_HISTORY:]
    top = {k: v for k, v in (fetches[-1] if fetches else previous).items() if k in ("source", "endpoint", "params")}
    fetched_at = fetches[-1]["fetched_at"] if fetches else previous.get("fetched_at")
    asked = [f["requested_from"] for f in fetches] + (
        [previous["requested_from"]] if "requested_from" in previous else []
    )
    requested_from = min(asked) if asked else None
    return {**top, "fetched_at": fetched_at, "sha256": sha256, "requested_from": requested_from, "fetches": history}


# A job still queued or running this long after it was created lost its worker (or its message): fail it, so the
# watch-list item it belongs to is refreshed again instead of waiting for it forever.
STALE_FETCH_JOB_AFTER = timedelta(hours=2)


def fetch_job_reap_stale() -> int:
    """Fail fetch jobs that have been queued or running for longer than STALE_FETCH_JOB_AFTER; returns how many."""
    now = timezone.now()
    return FetchJob.objects.filter(
        status__in=[FetchJob.Status.QUEUED, FetchJob.Status.RUNNING], created_at__lt=now - STALE_FETCH_JOB_AFTER
    ).update(
        status=FetchJob.Status.FAILED,
        error="the job did not finish within 2 hours (its worker stopped?); nothing was stored, fetch again",
        finished_at=now,
    )


# --- Watch-list ---------------------------------------------------------------------------------------------


def watch_item_add(
    *,
    team: Team,
    user: User,
    source: str,
    symbol: str,
    start: date | None,
    multiplier: int = 1,
    timespan: str = "day",
    adjusted: bool = True,
) -> WatchItem:
    membership_require(user=user, team=team, action="change the watch-list")
    symbol = (symbol or "").strip().upper()
    errors = _clean_series_request(
        source=source, symbol=symbol, start=start, end=start, multiplier=multiplier, timespan=timespan
    )
    errors.pop("end", None)
    if errors:
        raise FetchInvalid(errors)
    if source == ProviderSource.FRED:
        multiplier, timespan, adjusted = 1, "day", True
    identity = {"source": source, "symbol": symbol, "multiplier": multiplier, "timespan": timespan}
    if WatchItem.objects.filter(team=team, adjusted=adjusted, **identity).exists():
        raise FetchInvalid({"symbol": f"{symbol} is already on {team.name}'s watch-list"})
    return WatchItem.objects.create(team=team, created_by=user, start=start, adjusted=adjusted, **identity)


def watch_item_remove(*, item: WatchItem, user: User) -> None:
    membership_require(user=user, team=item.team, action="change the watch-list")
    item.delete()


def watchlist_refresh(*, team: Team | None = None) -> list[FetchJob]:
    """Fetch what every watched series (of one team, or all) is missing up to today, one job per series.

    Runs the jobs here, one after another, so a provider's rate limit is respected by one client per key; an item
    whose previous job is still queued or running is skipped."""
    items = WatchItem.objects.select_related("team").order_by("team_id", "source", "symbol")
    if team is not None:
        items = items.filter(team=team)
    fetch_job_reap_stale()
    busy = set(
        FetchJob.objects.filter(
            watch_item__in=items, status__in=[FetchJob.Status.QUEUED, FetchJob.Status.RUNNING]
        ).values_list("watch_item_id", flat=True)
    )
    today = today_in_new_york()
    jobs = []
    for item in items:
        if item.pk in busy:
            continue
        job = _job_new(
            team=item.team,
            user=None,
            source=item.source,
            symbol=item.symbol,
            start=item.start,
            end=max(today, item.start),
            multiplier=item.multiplier,
            timespan=item.timespan,
            adjusted=item.adjusted,
            watch_item=item,
        )
        fetch_job_run(job_id=job.pk)
        job.refresh_from_db()
        jobs.append(job)
    return jobs


# --- Uploads ------------------------------------------------------------------------------------------------

_UPLOAD_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._^-]{0,63}$")


def _infer_frequency(index: pd.DatetimeIndex) -> str:
    """The frequency name a series' spacing suggests (median step): 1d for daily files, 1mo for monthly..."""
    if len(index) < 2:
        return "1d"
    step = pd.Series(index).diff().median()
    if step >= pd.Timedelta(days=360):
        return "1y"
    if step >= pd.Timedelta(days=85):
        return "1q"
    if step >= pd.Timedelta(days=27):
        return "1mo"
    if step >= pd.Timedelta(days=6):
        return "1w"
    if step >= pd.Timedelta(hours=20):
        return "1d"
    if step >= pd.Timedelta(minutes=55):
        return f"{max(1, round(step / pd.Timedelta(hours=1)))}h"
    return f"{max(1, round(step / pd.Timedelta(minutes=1)))}m"


def dataset_upload(*, team: Team, user: User, key: str, kind: str, filename: str, content: bytes) -> Dataset:
    """Validate a CSV and store it as the team's series with source `upload`; a bad file stores nothing.

    Raises PermissionDenied (viewers) or UploadInvalid listing every problem, each naming its line."""
    membership_require(user=user, team=team, action="upload data")
    key = (key or "").strip()
    errors = []
    if not _UPLOAD_KEY.match(key):
        errors.append(
            "key: give the series a name of 1 to 64 letters, digits or : . _ ^ - (starting with a letter or digit)."
        )
    if kind not in (Dataset.Kind.BARS, Dataset.Kind.SERIES):
        raise UploadInvalid([*errors, f"kind: must be bars or series, got {kind!r}."])
    data = None
    try:
        data = parse_upload(content=content, kind=kind, max_bytes=settings.UPLOAD_MAX_BYTES)
    except UploadInvalid as exc:
        errors.extend(exc.errors)
    if errors:
        raise UploadInvalid(errors)
    filename = os.path.basename((filename or "upload.csv").replace("\\", "/"))[:200]
    frequency = _infer_frequency(pd.DatetimeIndex(data.index))
    clash = Dataset.objects.filter(team=team, key=key, source=Dataset.Source.UPLOAD, frequency=frequency).exclude(
        kind=kind
    )
    if clash.exists():
        raise UploadInvalid([f"key: {key} is already one of {team.name}'s uploads as {clash.first().kind}."])
    # Bars are stored exactly as they read back (volume NaN where absent), so the recorded hash verifies later.
    frame = data.reindex(columns=BAR_COLUMNS) if kind == Dataset.Kind.BARS else data["value"].rename(key)
    frame = frame.set_axis(_naive_utc(frame.index), axis=0).astype("float64")
    provenance = {
        "source": Dataset.Source.UPLOAD,
        "filename": filename,
        "uploaded_by": user.get_username(),
        "uploaded_at": timezone.now().isoformat(),
        "bytes": len(content),
        "file_sha256": hashlib.sha256(content).hexdigest(),
        "sha256": frame_sha256(frame),
    }
    dataset = dataset_store(
        key=key,
        name=filename,
        kind=kind,
        source=Dataset.Source.UPLOAD,
        data=frame,
        provenance=provenance,
        team=team,
        user=user,
        frequency=frequency,
        adjusted=True,
    )
    logger.info("team %s uploaded %s (%s rows) as dataset %s", team.slug, filename, dataset.rows, dataset.pk)
    return dataset


# --- Provider search ----------------------------------------------------------------------------------------


def provider_search(*, team: Team, source: str, query: str, limit: int = 20) -> list[dict]:
    """Tickers (Polygon) or series (FRED) matching `query`, through the team's key, in one shape for both."""
    query = (query or "").strip()
    if not query:
        raise FetchInvalid({"q": "is required: part of a ticker, a company or a series title"})
    client = provider_client(team=team, source=source)
    if source == ProviderSource.POLYGON:
        return [
            {
                "symbol": t.get("ticker", ""),
                "name": t.get("name", ""),
                "market": t.get("market", ""),
                "type": t.get("type", ""),
            }
            for t in client.ticker_search(search=query, limit=limit)
        ]
    return [
        {
            "symbol": s.get("id", ""),
            "name": s.get("title", ""),
            "frequency": s.get("frequency_short", ""),
            "units": s.get("units", ""),
            "observation_start": s.get("observation_start", ""),
            "observation_end": s.get("observation_end", ""),
        }
        for s in client.search(query, limit=limit)
    ]
