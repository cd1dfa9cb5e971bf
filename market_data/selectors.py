"""Reads of stored series: which datasets a team can use, and their values as pandas objects."""

import pandas as pd
from django.db.models import Q, QuerySet

from accounts.models import Team, User
from accounts.selectors import team_list_for_user

from .models import Bar, Dataset, Observation

BAR_COLUMNS = ["open", "high", "low", "close", "volume"]


def dataset_list(*, user: User) -> QuerySet[Dataset]:
    """The shared (bundled) datasets and those of the user's teams."""
    return (
        Dataset.objects.filter(Q(team__isnull=True) | Q(team__in=team_list_for_user(user=user)))
        .select_related("team")
        .order_by("key", "source")
    )


def dataset_get(*, team: Team, key: str, source: str | None = None) -> Dataset | None:
    """The dataset `key` as `team` sees it: the team's own copy first, then the shared one."""
    candidates = Dataset.objects.filter(Q(team=team) | Q(team__isnull=True), key=key)
    if source:
        candidates = candidates.filter(source=source)
    return _team_first(candidates)


def _team_first(candidates: QuerySet[Dataset]) -> Dataset | None:
    owned = candidates.filter(team__isnull=False).order_by("-updated_at").first()
    return owned or candidates.filter(team__isnull=True).order_by("-updated_at").first()


def dataset_frame(*, dataset: Dataset) -> pd.DataFrame | pd.Series:
    """Bars as a DataFrame (open, high, low, close, volume) or observations as a Series, indexed by naive UTC time."""
    if dataset.kind == Dataset.Kind.BARS:
        rows = Bar.objects.filter(dataset=dataset).order_by("ts").values_list("ts", *BAR_COLUMNS)
        frame = pd.DataFrame.from_records(list(rows), columns=["ts", *BAR_COLUMNS])
        frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_localize(None)
        return frame.set_index("ts").astype("float64")
    rows = Observation.objects.filter(dataset=dataset).order_by("ts").values_list("ts", "value")
    frame = pd.DataFrame.from_records(list(rows), columns=["ts", "value"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True).dt.tz_localize(None)
    return frame.set_index("ts")["value"].astype("float64").rename(dataset.key)
