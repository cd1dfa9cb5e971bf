"""CSV exports of trials, streamed row by row so a large export never sits in memory."""

import csv
from collections.abc import Iterable, Iterator

from django.http import StreamingHttpResponse

from .metrics import CLASSIFICATION, REGRESSION, STRATEGY, VOLATILITY
from .models import Trial

METRIC_COLUMNS = list(dict.fromkeys([*CLASSIFICATION, *REGRESSION, *VOLATILITY, "directional_accuracy", *STRATEGY]))
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
    "params",
    "created_by",
    "created_at",
    "finished_at",
    *METRIC_COLUMNS,
]
PREDICTION_HEADER = ["date", "y_true", "y_pred", "proba", "position", "strategy_return", "equity"]


class _Echo:
    def write(self, value: str) -> str:
        return value


# A text cell a spreadsheet would run as a formula (OWASP's CSV injection rule): shown as text by a leading '.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # full precision, so figures recomputed from the CSV match the API
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def trial_row(trial: Trial) -> list:
    import json

    data, validation, metrics = trial.data, trial.validation, trial.metrics or {}
    return [
        trial.pk,
        trial.name,
        trial.team.slug,
        trial.model_key,
        trial.family,
        trial.status,
        data.get("symbol"),
        trial.target,
        data.get("horizon"),
        data.get("start"),
        data.get("end"),
        validation.get("folds"),
        validation.get("gap"),
        trial.seed,
        json.dumps(trial.params, sort_keys=True),
        trial.created_by.username if trial.created_by else "",
        trial.created_at.isoformat(),
        trial.finished_at.isoformat() if trial.finished_at else None,
        *[metrics.get(name) for name in METRIC_COLUMNS],
    ]


def prediction_row(row: tuple) -> list:
    day, *values = row
    return [day.date().isoformat() if day.hour == 0 and day.minute == 0 else day.isoformat(), *values]
