"""Fetch jobs: bring only the missing dates of a provider's series into the team's cache, all-or-nothing.

A job is created and queued on commit (fetch_job_create), claimed by one worker with a conditional update
(fetch_job_run), and asks its provider (market_data.providers) for each missing date range before writing
anything. Every provider goes through the same code: nothing here knows which one it is talking to.
"""

from __future__ import annotations

import logging
import re
import zoneinfo
from datetime import UTC, date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from accounts.models import Team, User
from accounts.services import membership_require
from mltrainer_site.broker import send_task
from observability import metrics as observability_metrics

from .. import providers
from ..crypto import EncryptionKeyMissing, SecretDecryptError
from ..errors import DataSourceError, FetchInvalid
from ..frames import NEW_YORK, naive_utc
from ..hashing import frame_sha256
from ..models import Dataset, FetchJob, WatchItem
from ..providers import DataProvider
from ..selectors import dataset_frame
from ..signals import rows_changed_announce
from .access import DATA_WRITERS
from .datasets import dataset_store, rows_create
from .keys import api_key_for, provider_connect

if TYPE_CHECKING:  # pandas is imported where a frame is built or read, not with the web's imports
    import pandas as pd

logger = logging.getLogger(__name__)

_SYMBOL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._^-]{0,63}$")
_PROVENANCE_HISTORY = 50
# A job still queued or running this long after it was created lost its worker (or its message): fail it, so the
# watch-list item it belongs to is refreshed again instead of waiting for it forever.
STALE_FETCH_JOB_AFTER = timedelta(hours=2)


def today_in_new_york() -> date:
    """The market's date: a fetch "up to today" means today in New York, where US markets keep their dates."""
    return timezone.now().astimezone(zoneinfo.ZoneInfo(NEW_YORK)).date()


def series_request_clean(
    *,
    source: str,
    symbol: str,
    start: date | None,
    end: date | None,
    multiplier: int,
    timespan: str,
    adjusted: bool,
) -> tuple[DataProvider | None, dict, dict[str, str]]:
    """Check what a fetch or a watch-list entry asks for: its provider, the bar size and adjustment as that
    provider keeps them, and every problem found (field: message)."""
    errors: dict[str, str] = {}
    provider = providers.get(source)
    if provider is None:
        errors["source"] = f"must be {providers.sources_text()}, got {source!r}"
    if not symbol or not _SYMBOL.match(symbol):
        errors["symbol"] = "is required: " + ", or ".join(p.symbol_hint for p in providers.registered())
    if start is None:
        errors["start"] = "is required, as YYYY-MM-DD"
    if end is None:
        errors["end"] = "is required, as YYYY-MM-DD"
    if start and end and start > end:
        errors["end"] = f"must not be before start ({start.isoformat()})"
    options = {"multiplier": multiplier, "timespan": timespan, "adjusted": adjusted}
    if provider is not None:
        options, problems = provider.options(**options)
        errors.update(problems)
    return provider, options, errors


def fetch_job_create(
    *,
    team: Team,
    user: User,
    source: str,
    symbol: str,
    start: date | None,
    end: date | None = None,
    multiplier: int = 1,
    timespan: str = "day",
    adjusted: bool = True,
) -> FetchJob:
    """Queue a fetch of a series into the team's cache, up to `end` (by default today in New York); a worker runs
    it once the transaction commits.

    Raises PermissionDenied (viewers), FetchInvalid, or DataSourceKeyMissing when no key is configured."""
    membership_require(user=user, team=team, roles=DATA_WRITERS, action="fetch data")
    symbol = (symbol or "").strip().upper()
    end = end or today_in_new_york()
    _, options, errors = series_request_clean(
        source=source, symbol=symbol, start=start, end=end, multiplier=multiplier, timespan=timespan, adjusted=adjusted
    )
    if errors:
        raise FetchInvalid(errors)
    api_key_for(team=team, source=source)  # fail now, with the message saying where to set one
    with transaction.atomic():
        job = FetchJob.objects.create(
            team=team, user=user, source=source, symbol=symbol, start=start, end=end, **options
        )
        fetch_job_enqueue(job=job)
    return job


def fetch_job_enqueue(*, job: FetchJob) -> None:
    transaction.on_commit(lambda: send_task("market_data.tasks.run_fetch_job", args=[job.pk]))


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
    except (DataSourceError, EncryptionKeyMissing, SecretDecryptError, FetchInvalid) as exc:
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


def dataset_fetch(*, job: FetchJob) -> tuple[Dataset, int]:
    """Fetch the dates of the job's series that the team's cache lacks and store them with the rows it has.

    Everything is fetched before anything is written, and the write is one transaction: a fetch stores all of its
    rows or none. Returns the dataset and the number of rows added."""
    import pandas as pd

    provider, client = provider_connect(team=job.team, source=job.source)
    _progress(job, 0.05)
    options = {"multiplier": job.multiplier, "timespan": job.timespan}
    series = provider.describe(client, symbol=job.symbol, **options)
    identity = {
        "team": job.team,
        "key": job.symbol,
        "source": job.source,
        "frequency": series.frequency,
        "adjusted": job.adjusted,
    }
    dataset = Dataset.objects.filter(**identity).first()
    if dataset is not None:
        FetchJob.objects.filter(pk=job.pk).update(dataset=dataset)
        job.dataset = dataset
    ranges = _missing_ranges(dataset=dataset, start=job.start, end=job.end, daily=series.daily)
    pieces, fetches = [], []
    for number, (start, end) in enumerate(ranges, start=1):
        fetched_at = timezone.now().isoformat()
        piece = provider.fetch(client, symbol=job.symbol, start=start, end=end, adjusted=job.adjusted, **options)
        pieces.append(piece.data)
        fetches.append(
            {
                "source": job.source,
                "endpoint": piece.endpoint,
                "params": piece.params,
                "fetched_at": fetched_at,
                "rows": len(piece.data),
                "sha256": frame_sha256(piece.data) if len(piece.data) else None,
                "job": job.pk,
                "requested_from": start.isoformat(),
            }
        )
        _progress(job, 0.05 + 0.85 * number / len(ranges))
    new = pd.concat(pieces) if pieces else None
    if dataset is None and (new is None or new.empty):
        raise DataSourceError(
            f"{provider.label} returned no data for {job.symbol} between {job.start} and {job.end}; "
            "check the symbol and the dates.",
            source=provider.label,
        )
    return _store_fetched(identity=identity, name=series.name, kind=series.kind, new=new, fetches=fetches, job=job)


@transaction.atomic
def _store_fetched(
    *, identity: dict, name: str, kind: str, new: pd.DataFrame | pd.Series | None, fetches: list[dict], job: FetchJob
) -> tuple[Dataset, int]:
    import pandas as pd

    dataset = Dataset.objects.select_for_update().filter(**identity).first()
    latest = fetches[-1] if fetches else None
    if dataset is None:
        new = new[~new.index.duplicated(keep="first")].sort_index()
        provenance = _provenance(previous={}, fetches=fetches, sha256=frame_sha256(new))
        dataset = dataset_store(data=new, name=name, kind=kind, provenance=provenance, user=job.user, **identity)
        added = len(new)
    else:
        # Re-read under the lock: another job may have stored some of these dates meanwhile.
        existing = dataset_frame(dataset=dataset)
        existing = existing.set_axis(naive_utc(existing.index), axis=0)
        added_rows = None
        if new is not None and not new.empty:
            added_rows = new[~new.index.isin(existing.index)]
            added_rows = added_rows[~added_rows.index.duplicated(keep="first")].sort_index()
        added = 0 if added_rows is None else len(added_rows)
        fields = ["provenance", "updated_at"]
        if added:
            rows_create(dataset=dataset, kind=kind, data=added_rows)
            merged = pd.concat([existing, added_rows]).sort_index()
            dataset.sha256 = frame_sha256(merged)
            dataset.first_date = merged.index[0].to_pydatetime().replace(tzinfo=UTC)
            dataset.last_date = merged.index[-1].to_pydatetime().replace(tzinfo=UTC)
            dataset.rows = len(merged)
            dataset.name = name
            fields += ["sha256", "first_date", "last_date", "rows", "name"]
            rows_changed_announce(dataset_id=dataset.pk, team_id=dataset.team_id, key=dataset.key)
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
