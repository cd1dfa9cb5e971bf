"""Small, real data slices, fast parameter overrides and cached walk-forward runs for the catalog tests (no
database, no Django)."""

import functools

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500

from models_catalog.registry import CATALOG
from trials.features import make_dataset
from trials.runner import RunResult, walk_forward_run

# Parameter values that keep every entry quick on a few hundred rows; applied only where a definition has the parameter.
FAST_PARAMS = {"n_estimators": 20, "max_train_rows": 120, "max_subpopulation": 200, "n_cs": 4, "n_alphas": 10}
# The walk-forward every entry runs: the last 560 daily S&P 500 bars (about 500 rows after the features' warm-up).
ROWS = 560
FOLDS = 2


@functools.cache
def sp500_bars() -> pd.DataFrame:
    bars = sp500.load().rename(columns=str.lower)[["open", "high", "low", "close", "volume"]]
    return bars.astype("float64")


@functools.cache
def dataset(target: str, rows: int):
    """(bars, features, labels, next_returns) from the last `rows` bars (the first 60 are feature warm-up)."""
    bars = sp500_bars().iloc[-rows:]
    features, labels, next_returns = make_dataset(bars, target=target, horizon=1)
    return bars, features, labels, next_returns


def fast_params(definition) -> dict:
    names = {param.name for param in definition.params}
    return {name: value for name, value in FAST_PARAMS.items() if name in names}


def run(key: str, target: str, *, horizon: int = 1, rows: int = ROWS) -> RunResult:
    """The walk-forward of one entry; labels stay one bar ahead, `horizon` is what the model is asked for."""
    definition = CATALOG[key]
    bars, features, labels, next_returns = dataset(target, rows)
    return walk_forward_run(
        definition=definition,
        params=fast_params(definition),
        target=target,
        seed=0,
        features=features,
        labels=labels,
        next_returns=next_returns,
        bars=bars,
        folds=FOLDS,
        gap=0,
        horizon=horizon,
    )


@functools.cache
def cached_run(key: str, target: str) -> RunResult:
    """One walk-forward per entry and target, shared by every test that looks at its out-of-sample predictions."""
    return run(key, target)


def forecast(predictions: pd.DataFrame, target: str) -> np.ndarray:
    """What a model says: P(up) for direction (y_pred is only its threshold), the forecast otherwise."""
    return predictions["proba" if target == "direction" else "y_pred"].to_numpy()


def entry_tasks(catalog) -> list:
    return [
        pytest.param(key, target, id=f"{key}-{target}")
        for key, definition in catalog.items()
        for target in definition.targets
    ]
