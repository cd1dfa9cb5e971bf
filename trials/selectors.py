"""Reads of trials, always scoped to the teams of the user asking."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection
from django.db.models import Exists, F, FilteredRelation, OuterRef, Prefetch, Q, QuerySet, TextField
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from accounts.selectors import team_ids_for_user, team_list_for_user
from mltrainer_site.compiled_query import CompiledQuery

from . import prediction_codec
from .figures import FIGURES
from .models import Study, Trial, TrialMetric, TrialPredictions

# What a list shows of a trial: everything but the per-fold results and the data versions (the trial's own page
# and the API's detail have those), which are most of a finished trial's row.
LIST_DEFERRED = ("folds", "data_used")

if TYPE_CHECKING:  # pandas, the features and the tear sheet load where a chart is drawn, not with the web's imports
    import pandas as pd

PREDICTION_FIELDS = prediction_codec.COLUMNS  # the columns of predictions.csv after date


def model_keys_matching(text: str) -> list[str]:
    """Catalog keys a model filter means: the key itself when it is one, else every model whose key or name
    contains the text (case-insensitive), so "forest" finds both random forests."""
    from models_catalog.registry import CATALOG

    if text in CATALOG:
        return [text]
    needle = text.strip().lower()
    return [key for key, definition in CATALOG.items() if needle in key or needle in definition.name.lower()]


def _team_q(team_ids: list[int], field: str = "team_id") -> Q:
    return Q(**{field: team_ids[0]}) if len(team_ids) == 1 else Q(**{f"{field}__in": team_ids})


def _scoped(*, team_ids: list[int], filters: dict) -> QuerySet[Trial]:
    """The trials of `team_ids` with the filters applied: status, model (key or part of a name), family, symbol,
    target, study (id), created_by (username), since and until (dates), q (part of the name), a metric range.
    The team ids are read first (accounts.selectors.team_ids_for_user), so the team filter is an equality on an
    index's leading column."""
    trials = Trial.objects.filter(_team_q(team_ids))
    if filters.get("status"):
        trials = trials.filter(status=filters["status"])
    exact = {"family": "family", "target": "target", "study": "study_id"}
    trials = trials.filter(**{field: filters[name] for name, field in exact.items() if filters.get(name)})
    if filters.get("model"):
        keys = model_keys_matching(filters["model"])
        trials = trials.filter(model_key=keys[0]) if len(keys) == 1 else trials.filter(model_key__in=keys)
    if filters.get("symbol"):
        trials = trials.filter(data__symbol__iexact=filters["symbol"])
    if filters.get("created_by"):
        trials = trials.filter(created_by__username=filters["created_by"])
    if filters.get("since"):
        trials = trials.filter(created_at__date__gte=filters["since"])
    if filters.get("until"):
        trials = trials.filter(created_at__date__lte=filters["until"])
    if filters.get("q"):
        trials = trials.filter(name__icontains=filters["q"])
    if filters.get("metric") and (filters.get("metric_min") is not None or filters.get("metric_max") is not None):
        # The team too, on the metric's own copy: the range is then one slice of the (team, name, value) index.
        in_range = TrialMetric.objects.filter(_team_q(team_ids), trial=OuterRef("pk"), name=filters["metric"])
        if filters.get("metric_min") is not None:
            in_range = in_range.filter(value__gte=filters["metric_min"])
        if filters.get("metric_max") is not None:
            in_range = in_range.filter(value__lte=filters["metric_max"])
        trials = trials.filter(Exists(in_range))
    return trials.select_related("team", "created_by")


def trial_list(*, user: User, filters: dict | None = None) -> QuerySet[Trial]:
    """The user's trials, newest first, filtered (see trial_page for the filters); for exports and short lists."""
    filters = filters or {}
    team_ids = team_ids_for_user(user=user, slug=filters.get("team") or None)
    return _scoped(team_ids=team_ids, filters=filters).order_by("-created_at", "-id")


# The trial table's sortable columns (besides every metric): sort key -> field.
TABLE_SORTS: dict[str, str | KeyTextTransform] = {
    "id": "id",
    "name": "name",
    "model": "model_key",
    "symbol": KeyTextTransform("symbol", "data"),
    "target": "target",
    "team": "team__name",
    "status": "status",
    "created_by": "created_by__username",
    "created": "created_at",
}


# What the table shows of a trial (trials.views._table_rows): the rest (folds, data used, params, the creator's other
# fields) stays in the database.
TABLE_FIELDS = ("id", "name", "model_key", "data", "target", "status", "created_at", "metrics", "created_by__username")

NOT_NULL_SORTS = {"id", "name", "model_key", "target", "status", "created_at"}


def trial_table(*, user: User, filters: dict | None = None, sort: str = "-created") -> QuerySet[Trial]:
    """trial_list sorted by a column or by any metric (`sharpe`, `-rmse`); trials without the metric sort last.

    Heavy fields the table does not show are left out, so a page of 50 rows is one small query. Ties are broken by
    id: newest first, but in the sort's own direction for a metric (what its index gives, see trial_table_pages)."""
    filters = filters or {}
    team_ids = team_ids_for_user(user=user, slug=filters.get("team") or None)
    return _table(team_ids=team_ids, filters=filters, sort=sort)


def _table(*, team_ids: list[int], filters: dict, sort: str) -> QuerySet[Trial]:
    trials = _scoped(team_ids=team_ids, filters=filters).select_related(None).select_related("created_by")
    trials = trials.only(*TABLE_FIELDS)
    descending, key = sort.startswith("-"), sort.lstrip("-")
    field = TABLE_SORTS.get(key)
    if isinstance(field, str) and field in NOT_NULL_SORTS:
        # A column that is never null sorts without NULLS LAST, so the order is the index's (trial_team_created
        # for the default newest-first table): PostgreSQL reads the first page off the index instead of sorting
        # every trial of the team (3.3 s at 360,000 trials under NULLS LAST, see make bench-scale).
        return trials.order_by(F(field).desc() if descending else F(field).asc(), "-id")
    column: F | KeyTextTransform
    tie = "-id"
    if field is None:
        # A metric: its typed row (TrialMetric), one outer join on the unique (trial, name) index, instead of
        # casting every trial's metrics JSON (10,000 trials: ~40 ms against ~150 ms on SQLite). No row: last.
        trials = trials.annotate(sort_metric=FilteredRelation("metric_values", condition=Q(metric_values__name=key)))
        column = F("sort_metric__value")
        tie = "-id" if descending else "id"
    else:
        column = F(field) if isinstance(field, str) else field
    order = column.desc(nulls_last=True) if descending else column.asc(nulls_last=True)
    return trials.order_by(order, tie)


def trial_table_pages(
    *, user: User, filters: dict | None = None, sort: str = "-created"
) -> QuerySet[Trial] | NarrowSlices:
    """trial_table as django's Paginator best slices it: a never-null column as it is (its index gives the
    order), a metric by MetricSlices (its index gives the page), any other sort by NarrowSlices."""
    filters = filters or {}
    team_ids = team_ids_for_user(user=user, slug=filters.get("team") or None)
    table = _table(team_ids=team_ids, filters=filters, sort=sort)
    key = sort.lstrip("-")
    if TABLE_SORTS.get(key) in NOT_NULL_SORTS:
        return table
    if key in TABLE_SORTS or not team_ids:
        return NarrowSlices(table)
    return MetricSlices(table, team_ids=team_ids, filters=filters, key=key, descending=sort.startswith("-"))


class NarrowSlices:
    """A sorted queryset for django's Paginator whose slice is one query in two steps: the page's ids by the sort
    alone (narrow rows), then those rows in full. Sorting 10,000 full rows to keep 50 copies the page's rows over
    and over when many tie (a metric most trials lack: ~180 ms against ~20 ms on SQLite); the ids do not."""

    ordered = True

    def __init__(self, queryset: QuerySet[Trial]):
        self.queryset = queryset

    def count(self) -> int:
        return self.queryset.count()

    def order_by(self, *fields) -> QuerySet[Trial]:
        """The queryset itself, reordered (views.CappedPaginator counts over a LIMIT of it, unordered)."""
        return self.queryset.order_by(*fields)

    def __len__(self) -> int:
        return self.count()

    def _page_ids(self, page: slice) -> Any:
        return self.queryset.values("pk")[page]

    def __getitem__(self, page: slice) -> list[Trial]:
        return list(self.queryset.filter(pk__in=self._page_ids(page)))


# Filters a metric's own row (TrialMetric) answers, so a page sorted by the metric needs no look at the trials.
_ON_METRIC_ROW = {"team", "model"}


class MetricSlices(NarrowSlices):
    """The trial table sorted by a metric, still one query a page: the ids of the page come off the metric's index
    (TrialMetric's (team, name, [model_key,] value, trial), forwards or backwards: keyset order on (value, id)),
    scanning only as far as the page's end; the trials without the metric follow, by id, and are looked for only
    when the scored ones run out before the page does. A LEFT JOIN sorted NULLS LAST (trial_table) has to sort
    every trial of the team instead (1.3 s at 720,000 trials; see make bench-scale). The page's offset is bounded by
    views.CappedPaginator.COUNT_CAP, so no page walks more than that many index entries."""

    def __init__(self, queryset: QuerySet[Trial], *, team_ids: list[int], filters: dict, key: str, descending: bool):
        super().__init__(queryset)
        self.descending = descending
        scoped = _scoped(team_ids=team_ids, filters=filters)
        scored = TrialMetric.objects.filter(_team_q(team_ids), name=key)
        if filters.get("model"):
            keys = model_keys_matching(filters["model"])
            scored = scored.filter(model_key=keys[0]) if len(keys) == 1 else scored.filter(model_key__in=keys)
        if any(value not in (None, "") for name, value in filters.items() if name not in _ON_METRIC_ROW):
            scored = scored.filter(trial_id__in=scoped.order_by().values("pk"))
        self.scored = scored
        self.unscored = scoped.exclude(Exists(TrialMetric.objects.filter(trial=OuterRef("pk"), name=key)))

    def _page_ids(self, page: slice) -> Any:
        start, stop = page.start or 0, page.stop
        sign, direction = ("-", "DESC") if self.descending else ("", "ASC")
        scored = self.scored.order_by(f"{sign}value", f"{sign}trial_id").values_list("trial_id", "value")[:stop]
        unscored = self.unscored.order_by(f"{sign}id").values_list("id")[:stop]
        scored_sql, scored_params = scored.query.sql_with_params()
        unscored_sql, unscored_params = unscored.query.sql_with_params()
        # The unscored part sits under a condition on the scored part alone, which the database checks once and,
        # while the scored trials fill the page, never runs the part under it (PostgreSQL's one-time filter).
        return RawSQL(
            f"WITH scored AS MATERIALIZED ({scored_sql}) SELECT id FROM ("  # noqa: S608 - compiled querysets
            "SELECT trial_id AS id, 0 AS phase, value FROM scored UNION ALL "
            f"SELECT id, 1, NULL FROM ({unscored_sql}) AS unscored WHERE (SELECT count(*) FROM scored) < %s"
            f") AS page ORDER BY phase, value {direction}, id {direction} LIMIT %s OFFSET %s",
            (*scored_params, *unscored_params, stop, stop - start, start),
        )


def trial_get(*, user: User, trial_id: int) -> Trial | None:
    """The trial if it belongs to one of the user's teams, else None (callers answer 404). One query."""
    if not user.is_authenticated:
        return None
    found = Trial.objects.select_related("team", "created_by").filter(pk=trial_id, team__memberships__user=user)
    return next(iter(found.order_by()[:1]), None)


# --- Trials as rows for the API and the exports ------------------------------------------------------------
# Model instances (a trial, its team and its creator per row) and DRF's ModelSerializer cost most of a list's
# time; the API reads plain rows instead, with its JSON columns as the text the database holds, which the answer
# carries as it is (trials.serializers.trial_json) instead of decoding and encoding it again.

ROW_COLUMNS = (
    "id", "name", "model_key", "family", "target", "seed", "positions", "repeats", "status", "progress", "error",
    "cancel_requested", "created_at",
)  # fmt: skip
# Times the answer only writes out, read as the database's text under `<name>_text` (trials.serializers.text_moment):
# psycopg's and Django's parsing of 3,000 timestamps, and writing them out again, was ~20 ms of a 1,000-trial page.
# created_at stays a datetime: the list's cursor is made of it.
ROW_TEXT_MOMENTS = ("dsr_computed_at", "started_at", "finished_at")
ROW_JSON_COLUMNS = ("params", "data", "validation", "costs", "metrics", "across_seeds")
ROW_DETAIL_JSON_COLUMNS = ("folds", "data_used")


def trial_rows(trials: QuerySet[Trial], *, with_folds: bool, extra: tuple[str, ...] = ()) -> QuerySet[Any]:
    """`trials` as dicts: ROW_COLUMNS, `team_slug`, `username`, `scheme`, each JSON column as text under
    `<name>_json` (folds and data_used only `with_folds`) and ROW_TEXT_MOMENTS as text under `<name>_text`. One
    query, joins included."""
    json_columns = ROW_JSON_COLUMNS + (ROW_DETAIL_JSON_COLUMNS if with_folds else ())
    return trials.values(
        *ROW_COLUMNS,
        *extra,
        team_slug=F("team__slug"),
        username=F("created_by__username"),
        scheme=KeyTextTransform("scheme", "validation"),
        **{f"{name}_json": Cast(name, TextField()) for name in json_columns},
        **{f"{name}_text": Cast(name, TextField()) for name in ROW_TEXT_MOMENTS},
    )


@functools.cache
def _trial_row_by_id(vendor: str) -> CompiledQuery:
    """trial_get_row's query on this kind of database; the holes are a trial id and a user id."""
    trial_hole, user_hole = -(2**40) - 1, -(2**40) - 2  # no id is negative
    found = Trial.objects.filter(pk=trial_hole, team__memberships__user_id=user_hole).order_by()
    return CompiledQuery(trial_rows(found, with_folds=True)[:1], (trial_hole, user_hole))


def trial_get_row(*, user: User, trial_id: int) -> dict | None:
    """trial_get as a row of trial_rows (with folds): None when it is not one of the user's teams'. One query,
    compiled once per process (the detail is the API's most frequent request)."""
    if not user.is_authenticated:
        return None
    return _trial_row_by_id(connection.vendor).first(trial_id, user.pk)


EXPORT_COLUMNS = (
    "id", "name", "model_key", "family", "status", "target", "seed", "positions", "repeats", "created_at",
    "finished_at", "dsr_computed_at",
)  # fmt: skip
EXPORT_ROW = (*EXPORT_COLUMNS, "team_slug", "username", *ROW_JSON_COLUMNS)  # what each row of an export holds


EXPORT_FIRST_PAGE = 200  # rows the first byte of an export waits for (security.csv_export sends 200 a piece)
EXPORT_PAGE = 2000  # rows of every later page


def trial_export_rows(trials: QuerySet[Trial]) -> Iterator[tuple]:
    """What a CSV export writes of each of `trials` (trials.exports.trial_line): tuples of EXPORT_ROW, the JSON
    columns (but the folds and data versions) as the text the database holds, without the ORM's per-value layers.

    The rows are read a page at a time by keyset, in the queryset's order (which ends with the id): every page is
    a range of the index behind that order, and no cursor stays open between them. A server-side cursor would be
    one WITH HOLD on PostgreSQL outside a transaction, which runs the whole query before it gives the first row
    (150 ms for 10,000 trials); the first page here is small, so the first byte waits only for it."""
    order = [str(name) for name in trials.query.order_by]
    if (
        not order
        or order[-1].lstrip("-") not in ("id", "pk")
        or any(name.lstrip("-") not in (*EXPORT_COLUMNS, "pk") for name in order)
    ):
        raise ValueError(f"an export reads by keyset on exported columns ending with the id, not {order}")
    order = [name.replace("pk", "id") for name in order]
    values = trials.values_list(
        *EXPORT_COLUMNS,
        F("team__slug"),
        F("created_by__username"),
        *(Cast(name, TextField()) for name in ROW_JSON_COLUMNS),
    ).order_by(*order)
    page, size = values, EXPORT_FIRST_PAGE
    while True:
        rows = list(page[:size])
        yield from rows
        if len(rows) < size:
            return
        page, size = values.filter(_keyset_after(order, dict(zip(EXPORT_ROW, rows[-1], strict=True)))), EXPORT_PAGE


def _keyset_after(order: list[str], row: dict) -> Q:
    """The rows after `row` in `order` (column names, "-" for descending, the last one unique), with the bound on
    the first column alone that makes them one index range rather than a filter."""
    beyond, same = [], Q()
    for name in order:
        column, descending = name.lstrip("-"), name.startswith("-")
        beyond.append(same & Q(**{f"{column}__{'lt' if descending else 'gt'}": row[column]}))
        same &= Q(**{column: row[column]})
    first = order[0].lstrip("-")
    return Q(**{f"{first}__{'lte' if order[0].startswith('-') else 'gte'}": row[first]}) & reduce(or_, beyond)


# --- One page of a list, by keyset ---------------------------------------------------------------------------

METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class BadListRequest(ValueError):
    """A sort or a cursor the list does not offer; `field` names the query parameter."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass
class TrialPage:
    trials: list[Any]  # Trial instances, or dicts of trial_rows when trial_page was asked for `rows`
    next_cursor: str | None
    previous_cursor: str | None
    sort: str


def sort_parse(sort: str) -> tuple[str, bool]:
    """("created_at" or a metric name, descending?) for a sort such as "-created_at", "sharpe" or "-sharpe"."""
    key = (sort or "-created_at").strip()
    descending = key.startswith("-")
    key = key.lstrip("-")
    if key != "created_at" and not METRIC_NAME.match(key):
        raise BadListRequest("sort", f"sort by created_at or a metric name, optionally with a leading -, got {sort!r}")
    return key, descending


def _cursor_make(direction: str, value, pk: int) -> str:
    raw = json.dumps([direction, value.isoformat() if isinstance(value, datetime) else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _cursor_read(cursor: str, *, by_metric: bool) -> tuple[str, object, int]:
    problem = BadListRequest("cursor", "not a cursor this list gave out: follow its next or previous link")
    try:
        direction, value, pk = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if direction not in ("next", "previous") or not isinstance(pk, int) or isinstance(pk, bool):
            raise problem
        if by_metric:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise problem
            return direction, float(value), pk
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise problem
        return direction, moment, pk
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise problem from None


def trial_page(
    *,
    user: User,
    filters: dict | None = None,
    sort: str = "-created_at",
    cursor: str | None = None,
    limit: int = 50,
    with_folds: bool = False,
    rows: bool = False,
) -> TrialPage:
    """One page of the user's trials, by keyset: `cursor` is the next or previous cursor of the page before.

    filters: status, model, team (a slug), and a metric range (metric, metric_min, metric_max).
    sort: "-created_at" (newest first, the default), "created_at", or a metric name with or without "-" (trials
    without that metric are not in a list sorted by it). Ties are broken by id, so every page is one range of an
    index (see Trial.Meta.indexes and TrialMetric.Meta.indexes): a page costs the same on page 1 and page 10,000.
    `rows`: the page's trials are dicts of trial_rows rather than Trial instances (the API's list).
    Raises BadListRequest for a sort or cursor the list does not offer."""
    filters = filters or {}
    key, descending = sort_parse(sort)
    by_metric = key != "created_at"
    team_ids = team_ids_for_user(user=user, slug=filters.get("team") or None)
    if not team_ids:
        return TrialPage([], None, None, sort)
    trials = _scoped(team_ids=team_ids, filters=filters)
    if not with_folds:
        trials = trials.defer(*LIST_DEFERRED)
    if by_metric:
        # One join to the metric's rows; the team (and model) are matched on the metric's own copy so that the
        # metric index gives the order.
        joined = Q(metric_values__name=key) & _team_q(team_ids, "metric_values__team_id")
        if filters.get("model"):
            joined &= Q(metric_values__model_key=filters["model"])
        trials = trials.filter(joined).annotate(sort_value=F("metric_values__value"))
        column = "sort_value"
    else:
        column = "created_at"

    direction = "next"
    if cursor:
        direction, value, pk = _cursor_read(cursor, by_metric=by_metric)
        # Walking backwards is walking forwards in the opposite order, then reversing the page.
        after = descending if direction == "next" else not descending
        op = "lt" if after else "gt"
        bound = "lte" if after else "gte"
        # The redundant bound on the column alone makes the cursor an index range (not a filter on a full scan).
        beyond = Q(**{f"{column}__{op}": value}) | Q(**{column: value, f"pk__{op}": pk})
        trials = trials.filter(Q(**{f"{column}__{bound}": value}), beyond)
    forwards = descending if direction == "next" else not descending
    order = [f"-{column}", "-id"] if forwards else [column, "id"]
    ordered = trials.order_by(*order)
    if rows:
        ordered = trial_rows(ordered, with_folds=with_folds, extra=("sort_value",) if by_metric else ())
    found = list(ordered[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    if direction == "previous":
        found.reverse()
    if not found:
        return TrialPage([], None, None, sort)

    def edge(trial: Any, towards: str) -> str:
        if rows:
            return _cursor_make(towards, trial[column], trial["id"])
        return _cursor_make(towards, getattr(trial, column), trial.pk)

    has_next = more if direction == "next" else True
    has_previous = bool(cursor) if direction == "next" else more
    return TrialPage(
        trials=found,
        next_cursor=edge(found[-1], "next") if has_next else None,
        previous_cursor=edge(found[0], "previous") if has_previous else None,
        sort=f"{'-' if descending else ''}{key}",
    )


def trial_stale_running(*, now: datetime | None = None) -> QuerySet[Trial]:
    """Running trials whose worker has not touched the heartbeat for TRIAL_STALE_AFTER_SECONDS (all teams).

    For the reaper and the stuck-trials gauge, never for a user-facing list.
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TRIAL_STALE_AFTER_SECONDS)
    return Trial.objects.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True), status=Trial.Status.RUNNING)


# --- Predictions: every reader goes through these three (the storage is trials.prediction_codec's blob) --------


def _prediction_blob(trial: Trial) -> bytes | None:
    blob = TrialPredictions.objects.filter(trial_id=trial.pk).values_list("blob", flat=True).first()
    return None if blob is None else bytes(blob)


def prediction_rows(*, trial: Trial) -> Iterator[tuple]:
    """(date, *PREDICTION_FIELDS) per prediction in date order, None where missing: the rows of predictions.csv.
    The caller has checked the trial is the user's team's."""
    blob = _prediction_blob(trial)
    return iter(()) if blob is None else prediction_codec.decode_rows(blob)


def prediction_columns(*, trial_ids: list[int], columns: tuple[str, ...]) -> dict[int, pd.DataFrame]:
    """{trial id: its predictions' `columns` indexed by date} for the trials that have predictions, in one query
    (the compare view's curves, a study's PBO). The caller has checked the trials are the user's team's."""
    blobs = TrialPredictions.objects.filter(trial_id__in=trial_ids).values_list("trial_id", "blob")
    return {trial_id: prediction_codec.decode_frame(bytes(blob), columns) for trial_id, blob in blobs}


STUDY_TRIAL_FIELDS = ("id", "study_id", "status", "model_key", "params", "metrics")


def study_choices(*, user: User, limit: int = 200) -> list[tuple[int, str]]:
    """(id, label) of the user's newest studies: the trial table's study filter."""
    rows = Study.objects.filter(team__in=team_list_for_user(user=user)).order_by("-id")[:limit]
    return [(pk, f"{pk}: {name or metric}") for pk, name, metric in rows.values_list("id", "name", "metric")]


def study_list(*, user: User, with_trials: bool = False) -> QuerySet[Study]:
    """The studies of the user's teams; `with_trials` also fetches every study's evaluations (what the API shows
    of them) in one query for all the studies, not one per study."""
    studies = Study.objects.filter(team__in=team_list_for_user(user=user)).select_related(
        "team", "created_by", "best_trial"
    )
    if with_trials:
        evaluations = Trial.objects.only(*STUDY_TRIAL_FIELDS).order_by("id")
        studies = studies.prefetch_related(Prefetch("trials", queryset=evaluations))
    return studies


def study_get(*, user: User, study_id: int, with_trials: bool = False) -> Study | None:
    """The study if it belongs to one of the user's teams, else None (callers answer 404)."""
    return study_list(user=user, with_trials=with_trials).filter(pk=study_id).first()


def study_trial_list(*, study: Study) -> QuerySet[Trial]:
    """A study's evaluations in the order they were launched (the caller has checked access to the study)."""
    return study.trials.select_related("team", "created_by").order_by("id")


def trial_list_by_ids(*, user: User, ids: list[int]) -> list[Trial] | None:
    """The trials `ids` in that order, or None when any of them is missing or another team's (the caller answers
    404 for the whole request, never a partial view)."""
    found = {trial.pk: trial for trial in trial_list(user=user).filter(pk__in=ids)}
    return [found[pk] for pk in ids] if len(found) == len(ids) else None


def prediction_frame(*, trial: Trial) -> pd.DataFrame:
    """The trial's out-of-sample predictions indexed by date (the columns of predictions.csv); empty when none."""
    import pandas as pd

    blob = _prediction_blob(trial)
    if blob is None:
        return pd.DataFrame(columns=list(PREDICTION_FIELDS), index=pd.DatetimeIndex([], tz="UTC"), dtype="float64")
    return prediction_codec.decode_frame(blob)


def next_returns(*, trial: Trial, symbol: str, dates: pd.DatetimeIndex) -> pd.Series | None:
    """`symbol`'s simple return from each of `dates`' close to the next bar's (what buy-and-hold earns there), as
    the trial's team sees the series; None when the team has no such series."""
    import pandas as pd

    from market_data.models import Bar
    from market_data.selectors import dataset_get

    from .features import next_return

    dataset = dataset_get(team=trial.team, key=symbol)
    if dataset is None or dataset.kind != "bars" or dates.empty:
        return None
    rows = Bar.objects.filter(dataset=dataset, ts__gte=dates.min(), ts__lte=dates.max() + timedelta(days=15))
    # The rows as the driver gives them, the times parsed by pandas at once: the ORM's per-row datetime conversion
    # was most of the tear sheet's time (3,500 bars).
    sql, params = rows.order_by("ts").values_list("ts", "close").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    if not fetched:
        return None
    times, values = zip(*fetched, strict=True)
    closes = pd.DataFrame({"close": pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64")},
                          index=pd.DatetimeIndex(pd.to_datetime(list(times), utc=True)))  # fmt: skip
    return next_return(closes).reindex(dates)


def trial_tear_sheet(*, trial: Trial) -> dict | None:
    """The charts' series for a succeeded trial (None when there is nothing to draw)."""
    import pandas as pd

    from .tearsheet import tear_sheet

    if trial.status != Trial.Status.SUCCEEDED:
        return None
    predictions = prediction_frame(trial=trial)
    if predictions.empty:
        return None
    dates = pd.DatetimeIndex(predictions.index)
    market = next_returns(trial=trial, symbol=trial.data["symbol"], dates=dates)
    benchmark = trial.data.get("benchmark")
    sheet = tear_sheet(
        predictions=predictions,
        market_returns=market if market is not None else pd.Series(index=dates, dtype="float64"),
        target=trial.target,
        benchmark_returns=next_returns(trial=trial, symbol=benchmark, dates=dates) if benchmark else None,
    )
    sheet["benchmark"] = benchmark or None
    return sheet


def trial_charts(*, trial: Trial) -> dict:
    """What templates/trials/_charts.html draws for a trial: the tear sheet, its monthly heatmap and the folds."""
    from .tearsheet import monthly_heatmap

    sheet = trial_tear_sheet(trial=trial)
    return {
        "sheet": sheet,
        "heatmap": monthly_heatmap((sheet or {}).get("monthly")),
        "folds_chart": [
            {"fold": f["fold"] + 1, "test": f["test_start"][:10], "metrics": f["metrics"]} for f in trial.folds
        ],
        "figures": {key: figure.as_dict() for key, figure in FIGURES.items()},
    }
