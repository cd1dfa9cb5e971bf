"""The walk-forward training loop: fit a fresh model per fold, predict the next block, score everything.

Plain pandas and the catalog's estimators; the worker's service and the benchmark's bare process both call
`walk_forward_run`, so the platform measures exactly what a notebook would.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from models_catalog.definition import ModelDefinition

from . import metrics as m
from .walkforward import expanding_window_splits

PREDICTION_COLUMNS = ["y_true", "y_pred", "proba", "position", "strategy_return", "equity"]


class Cancelled(Exception):
    """Raised between folds when the trial was asked to stop."""


@dataclass
class FoldReport:
    fold: int
    folds: int
    train_start: str
    train_end: str
    test_start: str
    test_end: str
    n_train: int
    n_test: int
    metrics: dict

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunResult:
    predictions: pd.DataFrame  # indexed by date, PREDICTION_COLUMNS
    folds: list[FoldReport]
    metrics: dict


def score(target: str, block: pd.DataFrame, next_returns: np.ndarray, periods_per_year: int) -> dict:
    """All metrics of one block of out-of-sample predictions."""
    y_true, y_pred = block["y_true"].to_numpy(), block["y_pred"].to_numpy()
    if target == "volatility":
        return m.clean(m.volatility_metrics(y_true, y_pred))
    if target == "direction":
        result = m.classification_metrics(y_true, y_pred, block["proba"].to_numpy())
        result["directional_accuracy"] = result["accuracy"]
    else:
        result = m.regression_metrics(y_true, y_pred)
        result["directional_accuracy"] = float(np.mean((y_pred > 0) == (y_true > 0)))
    result.update(m.strategy_metrics(block["position"].to_numpy(), next_returns, periods_per_year))
    return m.clean(result)


def _predict_block(estimator, target: str, X: pd.DataFrame, bars: pd.DataFrame) -> pd.DataFrame:
    y_pred = np.asarray(estimator.predict(X, bars), dtype="float64")
    if len(y_pred) != len(X):
        raise ValueError(f"the model returned {len(y_pred)} predictions for {len(X)} rows")
    block = pd.DataFrame(index=X.index)
    block["y_pred"] = y_pred
    if target == "direction":
        block["proba"] = np.asarray(estimator.predict_proba(X, bars), dtype="float64")
        block["position"] = (y_pred >= 0.5).astype("float64")
    elif target == "return":
        block["proba"] = np.nan
        block["position"] = (y_pred > 0).astype("float64")
    else:
        block["proba"] = np.nan
        block["position"] = np.nan
    return block


def walk_forward_run(
    *,
    definition: ModelDefinition,
    params: dict,
    target: str,
    seed: int,
    features: pd.DataFrame,
    labels: pd.Series,
    next_returns: pd.Series,
    bars: pd.DataFrame,
    folds: int,
    gap: int,
    horizon: int = 1,
    periods_per_year: int = 252,
    on_fold: Callable[[FoldReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunResult:
    splits = expanding_window_splits(len(features), folds=folds, gap=gap)
    blocks, reports = [], []
    for split in splits:
        if should_stop and should_stop():
            raise Cancelled()
        X_train, y_train = features.iloc[split.train], labels.iloc[split.train]
        X_test = features.iloc[split.test]
        estimator = definition.build(params, target=target, seed=seed, horizon=horizon)
        # Each call sees prices up to its last row only, never the future.
        estimator.fit(X_train, y_train, bars.loc[: X_train.index[-1]])
        block = _predict_block(estimator, target, X_test, bars.loc[: X_test.index[-1]])
        block.insert(0, "y_true", labels.iloc[split.test].to_numpy())
        fold_next = next_returns.iloc[split.test].to_numpy()
        block["strategy_return"] = block["position"] * fold_next
        report = FoldReport(
            fold=split.fold,
            folds=len(splits),
            train_start=X_train.index[0].isoformat(),
            train_end=X_train.index[-1].isoformat(),
            test_start=X_test.index[0].isoformat(),
            test_end=X_test.index[-1].isoformat(),
            n_train=len(X_train),
            n_test=len(X_test),
            metrics=score(target, block, fold_next, periods_per_year),
        )
        blocks.append(block)
        reports.append(report)
        if on_fold:
            on_fold(report)
    predictions = pd.concat(blocks)
    predictions["equity"] = (1 + predictions["strategy_return"]).cumprod()
    tested = next_returns.loc[predictions.index].to_numpy()
    return RunResult(
        predictions=predictions[PREDICTION_COLUMNS],
        folds=reports,
        metrics=score(target, predictions, tested, periods_per_year),
    )
