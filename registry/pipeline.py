"""The trial's own feature pipeline (trials.features) on the team's current data, for refits and predictions.

The refit trains exactly as the trial's folds did (make_dataset: the same features, labels, date range and macro
series as of their publication dates); predictions build the same features from bars up to each date and never a
label, so the latest bar, whose next move is unknown, is predicted too. Each prediction at t reads bars up to t
only (the runner's rule): rolling windows look back, and price models filter forward from their fit.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accounts.models import Team
from market_data.models import Dataset
from market_data.selectors import dataset_frame, dataset_get, dataset_version
from models_catalog.lazy import deferred
from trials import features as feature_pipeline
from trials.metrics import periods_per_year
from trials.runner import positions_for

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")


class DataUnavailable(ValueError):
    """A series the version was trained on is not available to its team any more."""


@dataclass
class Inputs:
    bars: pd.DataFrame
    macro: dict
    data_used: list[dict]
    per_year: float
    key: tuple = ()


# Frames and features kept in this process by (dataset id, SHA-256): a warm process answers a latest-bar prediction
# without reading the series again; any new or changed row changes the hash, and with it the key.
_CACHE_SIZE = 16
_frames: OrderedDict[tuple, Any] = OrderedDict()


def _cached(key: tuple, make):
    if key in _frames:
        _frames.move_to_end(key)
        return _frames[key]
    value = make()
    _frames[key] = value
    while len(_frames) > _CACHE_SIZE:
        _frames.popitem(last=False)
    return value


def _frame(dataset: Dataset):
    return _cached(("frame", dataset.pk, dataset.sha256, dataset.rows), lambda: dataset_frame(dataset=dataset))


def inputs_load(*, team: Team, spec: dict) -> Inputs:
    data = spec["data"]
    bars_dataset = dataset_get(team=team, key=data["symbol"])
    if bars_dataset is None or bars_dataset.kind != Dataset.Kind.BARS:
        raise DataUnavailable(f"dataset {data['symbol']} is no longer available to {team.name}")
    used = [bars_dataset]
    macro = {}
    for key in data.get("macro") or []:
        series = dataset_get(team=team, key=key)
        if series is None:
            raise DataUnavailable(f"series {key} is no longer available to {team.name}")
        used.append(series)
        macro[key] = (_frame(series), series.frequency, series.publication_lag_days)
    bars = _frame(bars_dataset)
    around_the_clock = bool(len(bars)) and float((bars.index.day_of_week >= 5).mean()) > 0.01
    return Inputs(
        bars=bars,
        macro=macro,
        data_used=[dataset_version(dataset=d) for d in used],
        per_year=periods_per_year(bars_dataset.frequency, around_the_clock=around_the_clock),
        key=tuple((d.pk, d.sha256, d.rows, d.publication_lag_days) for d in used),
    )


def training_rows(*, inputs: Inputs, spec: dict) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame]:
    """(features, labels, bars up to the last row) of every row of the trial's range: what the refit trains on."""
    data = spec["data"]
    start = pd.Timestamp(data["start"]) if data.get("start") else None
    end = pd.Timestamp(data["end"]) if data.get("end") else None
    features, labels, _ = feature_pipeline.make_dataset(
        inputs.bars, target=spec["target"], horizon=data["horizon"], start=start, end=end, macro=inputs.macro
    )
    if features.empty:
        raise ValueError("no usable rows in the trial's date range")
    return features, labels, inputs.bars.loc[: features.index[-1]]


def feature_rows(*, inputs: Inputs, columns: list[str]) -> pd.DataFrame:
    """The features of every bar whose features are all known (the latest included), in the fitted order."""
    features = _cached(("features", inputs.key), lambda: feature_pipeline.build_features(inputs.bars, inputs.macro))
    missing = [c for c in columns if c not in features.columns]
    if missing:
        raise DataUnavailable(f"the current data no longer gives the features {', '.join(missing)}")
    return _cached(("rows", inputs.key, tuple(columns)), lambda: features[columns].dropna())


def predict_frame(*, estimator, rows: pd.DataFrame, bars: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """prediction, proba (direction: P(up)) and position for each row, from bars up to the last row only."""
    target = spec["target"]
    out = pd.DataFrame(index=rows.index)
    if rows.empty:
        return out.assign(prediction=[], proba=[], position=[])
    history = bars.loc[: rows.index[-1]]
    out["prediction"] = np.asarray(estimator.predict(rows, history), dtype="float64")
    if target == "direction":
        out["proba"] = np.asarray(estimator.predict_proba(rows, history), dtype="float64")
    else:
        out["proba"] = np.nan
    out["position"] = positions_for(target, out["prediction"].to_numpy(), spec.get("positions") or "long_flat")
    return out
