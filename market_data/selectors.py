"""Reads of stored series: which datasets a team can use, and their values as pandas objects."""

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import F, Q, QuerySet

from accounts.models import Team, User
from accounts.selectors import team_list_for_user
from mltrainer_site.process_cache import ProcessCache

from . import providers
from .frames import BAR_COLUMNS
from .models import Bar, Dataset, FetchJob, Observation, TeamApiKey, WatchItem

if TYPE_CHECKING:  # pandas loads where a frame is read (the worker, a chart), not with the web's imports
    import pandas as pd


def dataset_list(*, user: User, kind: str | None = None, source: str | None = None) -> QuerySet[Dataset]:
    """The shared (bundled) datasets and those of the user's teams; only those of `kind` and `source` if given."""
    datasets = Dataset.objects.filter(Q(team__isnull=True) | Q(team__in=team_list_for_user(user=user)))
    if kind:
        datasets = datasets.filter(kind=kind)
    if source:
        datasets = datasets.filter(source=source)
    return datasets.select_related("team").order_by("key", "source")


def dataset_list_for_team(*, team: Team) -> list[Dataset]:
    """The datasets a trial of `team` can name, one per key: its own and the shared ones, the team's copy winning
    (as dataset_get resolves a key). One query."""
    rows = Dataset.objects.filter(Q(team=team) | Q(team__isnull=True)).order_by("key", "team_id", "-updated_at")
    chosen: dict[str, Dataset] = {}
    for dataset in rows:
        current = chosen.get(dataset.key)
        if current is None or (current.team_id is None and dataset.team_id is not None):
            chosen[dataset.key] = dataset
    return list(chosen.values())


def shared_dataset_list() -> QuerySet[Dataset]:
    """The datasets every team can use (the bundled history)."""
    return Dataset.objects.filter(team__isnull=True).order_by("key", "source")


def dataset_get(*, team: Team, key: str, source: str | None = None) -> Dataset | None:
    """The dataset `key` as `team` sees it: the team's own copy first, then the shared one."""
    candidates = Dataset.objects.filter(Q(team=team) | Q(team__isnull=True), key=key)
    if source:
        candidates = candidates.filter(source=source)
    return _team_first(candidates)


def _team_first(candidates: QuerySet[Dataset]) -> Dataset | None:
    """The team's own copy if there is one, else the shared one (the latest updated of each): one query."""
    return candidates.order_by(F("team_id").asc(nulls_last=True), "-updated_at").first()


# What a submission checks, kept in each process until any dataset changes (market_data.apps connects the signals;
# a dataset's rows only change with its row saved: dataset_store, the fetcher).
_datasets: ProcessCache[Dataset | None] = ProcessCache("datasets by team and key")
_bar_counts: ProcessCache[int] = ProcessCache("bars in a date range")


def dataset_get_kept(*, team: Team, key: str) -> Dataset | None:
    """dataset_get, as read when datasets last changed: for checking a submission (read it, never change it)."""
    return _datasets.get((team.pk, team.created_at, key), lambda: dataset_get(team=team, key=key))


def bar_count_kept(*, dataset: Dataset, start: datetime | None, end: datetime | None) -> int:
    """How many bars the dataset has from `start` to `end` (both included, either open), as read when datasets last
    changed."""

    def count() -> int:
        bars = Bar.objects.filter(dataset=dataset)
        if start:
            bars = bars.filter(ts__gte=start)
        if end:
            bars = bars.filter(ts__lte=end)
        return bars.count()

    return _bar_counts.get((dataset.pk, dataset.updated_at, start, end), count)


def dataset_frame(*, dataset: Dataset) -> "pd.DataFrame | pd.Series":
    """Bars as a DataFrame (open, high, low, close, volume) or observations as a Series, indexed by naive UTC time."""
    import pandas as pd

    if dataset.kind == Dataset.Kind.BARS:
        rows = Bar.objects.filter(dataset=dataset).order_by("ts").values_list("ts", *BAR_COLUMNS)
        frame = pd.DataFrame.from_records(list(rows), columns=["ts", *BAR_COLUMNS])
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_localize(None)
        return frame.set_index("ts").astype("float64")
    rows = Observation.objects.filter(dataset=dataset).order_by("ts").values_list("ts", "value")
    frame = pd.DataFrame.from_records(list(rows), columns=["ts", "value"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_localize(None)
    return frame.set_index("ts")["value"].astype("float64").rename(dataset.key)


def dataset_get_for_user(*, user: User, dataset_id: int) -> Dataset | None:
    """A dataset the user may read (shared, or one of their teams'); None hides another team's as not found."""
    return dataset_list(user=user).filter(pk=dataset_id).first()


def dataset_latest_rows(*, dataset: Dataset, limit: int = 20) -> list[dict]:
    """The last `limit` rows, newest first: {"ts", open, high, low, close, volume} or {"ts", "value"}."""
    if dataset.kind == Dataset.Kind.BARS:
        rows = Bar.objects.filter(dataset=dataset).order_by("-ts").values("ts", *BAR_COLUMNS)[:limit]
    else:
        rows = Observation.objects.filter(dataset=dataset).order_by("-ts").values("ts", "value")[:limit]
    return list(rows)


def dataset_values(*, dataset: Dataset, limit: int = 500) -> list[tuple]:
    """The last `limit` (ts, value) points in time order, the close for bars: what a chart draws."""
    if dataset.kind == Dataset.Kind.BARS:
        points = Bar.objects.filter(dataset=dataset).order_by("-ts").values_list("ts", "close")[:limit]
    else:
        points = Observation.objects.filter(dataset=dataset).order_by("-ts").values_list("ts", "value")[:limit]
    return list(reversed(points))


def dataset_series(*, dataset: Dataset) -> list[tuple]:
    """Every (ts, value) point in time order, the close for bars: the whole history a chart downsamples."""
    if dataset.kind == Dataset.Kind.BARS:
        return list(Bar.objects.filter(dataset=dataset).order_by("ts").values_list("ts", "close"))
    return list(Observation.objects.filter(dataset=dataset).order_by("ts").values_list("ts", "value"))


def dataset_version(*, dataset: Dataset) -> dict:
    """Exactly which version of a series was used: its id and the SHA-256 of its values, plus, for fetched or
    uploaded data, the request (endpoint, params, fetch time) or file it came from."""
    version = {
        "key": dataset.key,
        "dataset_id": dataset.pk,
        "source": dataset.source,
        "sha256": dataset.sha256,
        "rows": dataset.rows,
    }
    provenance = dataset.provenance or {}
    if dataset.source != Dataset.Source.BUNDLED:
        wanted = ("endpoint", "params", "fetched_at", "filename", "uploaded_at")
        version["provenance"] = {k: provenance[k] for k in wanted if k in provenance}
    return version


def team_datasets(*, team: Team) -> QuerySet[Dataset]:
    return Dataset.objects.filter(team=team).order_by("key", "source", "frequency")


def fetch_job_get(*, user: User, job_id: int) -> FetchJob | None:
    return (
        FetchJob.objects.filter(pk=job_id, team__in=team_list_for_user(user=user))
        .select_related("team", "dataset")
        .first()
    )


def fetch_job_list(*, team: Team, limit: int = 20) -> list[FetchJob]:
    return list(FetchJob.objects.filter(team=team).select_related("dataset", "user").order_by("-created_at")[:limit])


def watch_item_list(*, team: Team) -> QuerySet[WatchItem]:
    return WatchItem.objects.filter(team=team).order_by("source", "symbol")


def watch_item_get(*, user: User, item_id: int) -> WatchItem | None:
    return WatchItem.objects.filter(pk=item_id, team__in=team_list_for_user(user=user)).select_related("team").first()


def team_api_key_status(*, team: Team, source: str | None = None) -> list[dict]:
    """Per provider (or only `source`): whether the team has a key, and its masked hint. Never the key, never the
    ciphertext."""
    hints = dict(TeamApiKey.objects.filter(team=team).values_list("source", "hint"))
    return [
        {"source": provider.source, "configured": provider.source in hints, "hint": hints.get(provider.source, "")}
        for provider in providers.registered()
        if source is None or provider.source == source
    ]
