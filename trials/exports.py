"""CSV exports of trials: their columns and rows (security.csv_export streams them, formulas escaped)."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from django.http import StreamingHttpResponse

from models_catalog.lazy import deferred
from security.csv_export import csv_line, csv_lines_response, csv_response

from .figures import FIGURES
from .selectors import EXPORT_ROW, PREDICTION_FIELDS, ROW_JSON_COLUMNS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")

METRIC_COLUMNS = list(FIGURES)  # every figure a trial can report, in the order of trials.figures
TRIAL_COLUMNS = [
    "id",
    "name",
    "team",
    "model",
    "family",
    "status",
    "symbol",
    "target",
    "horizon",
    "start",
    "end",
    "folds",
    "gap",
    "seed",
    "scheme",
    "positions",
    "commission_bps",
    "slippage_bps",
    "benchmark",
    "repeats",
    "params",
    "created_by",
    "created_at",
    "finished_at",
    *METRIC_COLUMNS,
    "dsr_computed_at",
    "across_seeds",
]
PREDICTION_HEADER = ["date", *PREDICTION_FIELDS]
__all__ = [
    "METRIC_COLUMNS", "PREDICTION_HEADER", "TRIAL_COLUMNS", "csv_lines_response", "csv_response", "prediction_row",
    "trial_lines",
]  # fmt: skip


_json_value = json.JSONDecoder().raw_decode  # the text is the database's own JSON: no whitespace to strip around it
EXPORT_LINES_KEPT = 4000  # lines trial_line keeps per process: a team's trials exported again cost a lookup each


def trial_lines(rows: Iterable[tuple]) -> Iterator[str]:
    """The lines of a trials export (after TRIAL_COLUMNS), from the rows of trials.selectors.trial_export_rows."""
    return map(trial_line, rows)


@functools.lru_cache(maxsize=EXPORT_LINES_KEPT)
def trial_line(values: tuple) -> str:
    """One line of a trials export, from a row of trials.selectors.trial_export_rows (EXPORT_ROW). The line
    depends on nothing but the row's values, so it is kept for the next export of an unchanged trial: an export
    of a team's trials re-reads every row, and formats again only those that changed. Each column of the row
    holds one type (ints, text, datetimes in UTC, or None), so no two rows that differ compare equal."""
    row = dict(zip(EXPORT_ROW, values, strict=True))
    params, data, validation, costs, metrics, across_seeds = (
        None if row[name] is None else _json_value(row[name])[0] for name in ROW_JSON_COLUMNS
    )
    metrics, costs = metrics or {}, costs or {}
    finished_at, dsr_computed_at = row["finished_at"], row["dsr_computed_at"]
    return csv_line(
        [
            row["id"],
            row["name"],
            row["team_slug"],
            row["model_key"],
            row["family"],
            row["status"],
            data.get("symbol"),
            row["target"],
            data.get("horizon"),
            data.get("start"),
            data.get("end"),
            validation.get("folds"),
            validation.get("gap"),
            row["seed"],
            validation.get("scheme", "walk_forward"),
            row["positions"],
            costs.get("commission_bps", 0.0),
            costs.get("slippage_bps", 0.0),
            data.get("benchmark"),
            row["repeats"],
            json.dumps(params, sort_keys=True),
            row["username"] or "",
            row["created_at"].isoformat(),
            finished_at.isoformat() if finished_at else None,
            *[metrics.get(name) for name in METRIC_COLUMNS],
            dsr_computed_at.isoformat() if dsr_computed_at else None,
            json.dumps(across_seeds, sort_keys=True) if across_seeds else None,
        ]
    )


def prediction_row(row: tuple) -> list:
    day, *values = row
    return [day.date().isoformat() if day.hour == 0 and day.minute == 0 else day.isoformat(), *values]


PREDICTION_CHUNK = 2000  # rows a chunk of the predictions CSV


def prediction_csv_chunks(frame: pd.DataFrame) -> Iterator[str]:
    """predictions.csv of a prediction frame (trials.selectors.prediction_frame), byte for byte what csv_response
    writes for prediction_row(row) of each row (tests/trials/test_prediction_storage.py checks it), but formatted a
    column at a time: every cell is a date or a float's repr (never a formula, comma or quote), so no per-cell
    escaping is needed, and a 4,000-row file costs what pandas' to_csv costs or less."""
    yield ",".join(PREDICTION_HEADER) + "\r\n"
    index = pd.DatetimeIndex(frame.index)
    moments = index.to_pydatetime().tolist()
    dates = [
        moment.date().isoformat() if moment.hour == 0 and moment.minute == 0 else moment.isoformat()
        for moment in moments
    ]
    columns = []
    for name in PREDICTION_FIELDS:
        values = frame[name].to_numpy(dtype="float64")
        cells = list(map(repr, values.tolist()))
        for k in np.flatnonzero(np.isnan(values)).tolist():
            cells[k] = ""
        columns.append(cells)
    rows = list(map(",".join, zip(dates, *columns, strict=True)))
    for start in range(0, len(rows), PREDICTION_CHUNK):
        yield "".join(row + "\r\n" for row in rows[start : start + PREDICTION_CHUNK])


def predictions_csv_response(trial_id: int, frame: pd.DataFrame) -> StreamingHttpResponse:
    response = StreamingHttpResponse(prediction_csv_chunks(frame), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="trial-{trial_id}-predictions.csv"'
    return response
