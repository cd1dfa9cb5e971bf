"""Small, real data slices and fast parameter overrides for the catalog tests (no database, no Django)."""

import functools

import pandas as pd
import pytest
from arch.data import sp500

from trials.features import make_dataset

# Parameter values that keep every entry quick on a few hundred rows; applied only where a definition has the parameter.
FAST_PARAMS = {"n_estimators": 20, "max_train_rows": 120, "max_subpopulation": 200, "n_cs": 4, "n_alphas": 10}


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


def entry_tasks(catalog) -> list:
    return [
        pytest.param(key, target, id=f"{key}-{target}")
        for key, definition in catalog.items()
        for target in definition.targets
    ]
