"""The training loop: fit a fresh model per split, predict its test rows, trade the predictions, score everything.

Plain pandas and the catalog's estimators; the worker's service and the benchmark's bare process both call this
module, so the platform measures exactly what a notebook would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from models_catalog.definition import ModelDefinition
from models_catalog.lazy import deferred

from . import metrics as m
from .walkforward import Split, cpcv_paths, group_blocks, splits_for

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")

PREDICTION_COLUMNS = ["y_true", "y_pred", "proba", "position", "strategy_return", "cost", "net_return", "equity"]
POSITIONS = ("long_flat", "long_short")


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
    across_seeds: dict | None = None  # repeats > 1: {"seeds", "mean", "std"} or why it ran once


@dataclass(frozen=True)
class Trading:
    """How predictions become positions, and what changing a position costs (basis points of the change)."""

    positions: str = "long_flat"
    cost_bps: float = 0.0


def positions_for(target: str, y_pred: np.ndarray, rule: str) -> np.ndarray:
    """1 when an up move is predicted; when down is predicted, 0 (long_flat) or −1 (long_short).

    direction: up is class 1; return: the sign of the predicted return (0 predicted: flat); volatility: none."""
    if target == "volatility":
        return np.full(len(y_pred), np.nan)
    up = y_pred >= 0.5 if target == "direction" else y_pred > 0
    down = ~up if target == "direction" else y_pred < 0
    return up.astype("float64") - (down.astype("float64") if rule == "long_short" else 0.0)


def trade(block: pd.DataFrame, next_returns: np.ndarray, cost_bps: float, previous: float = 0.0) -> None:
    """Add strategy_return (gross), cost and net_return to a block of positions, in place."""
    position = block["position"].to_numpy()
    block["strategy_return"] = position * next_returns
    block["cost"] = m.bar_costs(position, cost_bps, previous) if cost_bps else np.where(np.isnan(position), np.nan, 0.0)
    block["net_return"] = block["strategy_return"] - block["cost"]


def score(
    target: str,
    block: pd.DataFrame,
    next_returns: np.ndarray,
    periods_per_year: float,
    *,
    benchmark: np.ndarray | None = None,
) -> dict:
    """All metrics of one block of traded out-of-sample predictions (`benchmark`: per-bar benchmark returns over
    the same bars; buy-and-hold of the symbol, `next_returns`, when None)."""
    y_true, y_pred = block["y_true"].to_numpy(), block["y_pred"].to_numpy()
    if target == "volatility":
        return m.clean(m.volatility_metrics(y_true, y_pred))
    if target == "direction":
        result = m.classification_metrics(y_true, y_pred, block["proba"].to_numpy())
        result["directional_accuracy"] = result["accuracy"]
    else:
        result = m.regression_metrics(y_true, y_pred)
        result["directional_accuracy"] = float(np.mean((y_pred > 0) == (y_true > 0)))
    costs = block["cost"].to_numpy() if "cost" in block else None
    result.update(m.strategy_metrics(block["position"].to_numpy(), next_returns, periods_per_year, costs=costs))
    net = block["net_return"].to_numpy() if "net_return" in block else block["position"].to_numpy() * next_returns
    result.update(m.benchmark_metrics(net, next_returns if benchmark is None else benchmark, periods_per_year))
    result["psr"] = m.probabilistic_sharpe(m.return_moments(net))
    return m.clean(result)


def _predict_block(estimator, target: str, X: pd.DataFrame, bars: pd.DataFrame, rule: str) -> pd.DataFrame:
    y_pred = np.asarray(estimator.predict(X, bars), dtype="float64")
    if len(y_pred) != len(X):
        raise ValueError(f"the model returned {len(y_pred)} predictions for {len(X)} rows")
    block = pd.DataFrame(index=X.index)
    block["y_pred"] = y_pred
    if target == "direction":
        block["proba"] = np.asarray(estimator.predict_proba(X, bars), dtype="float64")
    else:
        block["proba"] = np.nan
    block["position"] = positions_for(target, y_pred, rule)
    return block


def _report(split: Split, folds: int, X_train: pd.DataFrame, X_test: pd.DataFrame, metrics: dict) -> FoldReport:
    return FoldReport(
        fold=split.fold,
        folds=folds,
        train_start=X_train.index[0].isoformat(),
        train_end=X_train.index[-1].isoformat(),
        test_start=X_test.index[0].isoformat(),
        test_end=X_test.index[-1].isoformat(),
        n_train=len(X_train),
        n_test=len(X_test),
        metrics=metrics,
    )


def _run_splits(
    splits: list[Split],
    *,
    definition: ModelDefinition,
    params: dict,
    target: str,
    seed: int,
    features: pd.DataFrame,
    labels: pd.Series,
    next_returns: pd.Series,
    bars: pd.DataFrame,
    horizon: int,
    periods_per_year: float,
    trading: Trading,
    benchmark: pd.Series | None,
    continuous: bool,
    on_fold: Callable[[FoldReport], None] | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[list[pd.DataFrame], list[FoldReport]]:
    """Fit and predict every split; with `continuous` (test blocks follow one another in time) each block's first
    cost is charged against the previous block's last position, as one strategy trading through."""
    blocks, reports, previous = [], [], 0.0
    for split in splits:
        if should_stop and should_stop():
            raise Cancelled()
        X_train, y_train = features.iloc[split.train], labels.iloc[split.train]
        X_test = features.iloc[split.test]
        estimator = definition.build(params, target=target, seed=seed, horizon=horizon)
        # Each call sees prices up to its last row only, never later ones.
        estimator.fit(X_train, y_train, bars.loc[: X_train.index[-1]])
        block = _predict_block(estimator, target, X_test, bars.loc[: X_test.index[-1]], trading.positions)
        block.insert(0, "y_true", labels.iloc[split.test].to_numpy())
        fold_next = next_returns.iloc[split.test].to_numpy()
        trade(block, fold_next, trading.cost_bps, previous if continuous else 0.0)
        if continuous and target != "volatility":
            previous = float(block["position"].iloc[-1])
        fold_benchmark = None if benchmark is None else benchmark.iloc[split.test].to_numpy()
        metrics = score(target, block, fold_next, periods_per_year, benchmark=fold_benchmark)
        report = _report(split, len(splits), X_train, X_test, metrics)
        blocks.append(block)
        reports.append(report)
        if on_fold:
            on_fold(report)
    return blocks, reports


def _finish_predictions(predictions: pd.DataFrame) -> pd.DataFrame:
    predictions["equity"] = (1 + predictions["net_return"]).cumprod()
    return predictions[PREDICTION_COLUMNS]


def scheme_run(
    *,
    validation: dict,
    horizon: int,
    definition: ModelDefinition,
    params: dict,
    target: str,
    seed: int,
    features: pd.DataFrame,
    labels: pd.Series,
    next_returns: pd.Series,
    bars: pd.DataFrame,
    periods_per_year: float = m.TRADING_DAYS,
    trading: Trading = Trading(),
    benchmark: pd.Series | None = None,
    on_fold: Callable[[FoldReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunResult:
    """One seed of a trial under its validation scheme (walk_forward, purged_kfold or cpcv).

    walk_forward and purged_kfold give one prediction per row of their test blocks, traded as one strategy.
    cpcv gives φ complete paths: the predictions and headline metrics are path 1's, and cpcv_* summarise the
    Sharpe ratios of all paths."""
    scheme = validation.get("scheme", "walk_forward")
    splits = splits_for(validation, len(features), horizon=horizon)
    common = dict(
        definition=definition, params=params, target=target, seed=seed, features=features, labels=labels,
        next_returns=next_returns, bars=bars, horizon=horizon, periods_per_year=periods_per_year, trading=trading,
        benchmark=benchmark, on_fold=on_fold, should_stop=should_stop,
    )  # fmt: skip
    blocks, reports = _run_splits(splits, continuous=scheme != "cpcv", **common)
    if scheme != "cpcv":
        return _result(target, pd.concat(blocks), reports, next_returns, periods_per_year, benchmark, {})
    # Each path: for every group in time order, that group's rows from the split the path takes them from.
    groups = group_blocks(len(features), validation["groups"])
    paths = []
    for path in cpcv_paths(splits, len(groups)):
        parts = []
        for group, index in path:
            test = np.asarray(splits[index].test)
            inside = np.flatnonzero((test >= groups[group].start) & (test < groups[group].stop))
            parts.append(blocks[index].iloc[inside][["y_true", "y_pred", "proba", "position"]])
        joined = pd.concat(parts)
        trade(joined, next_returns.loc[joined.index].to_numpy(), trading.cost_bps)
        paths.append(joined)
    sharpes = [m.sharpe_ratio(p["net_return"].to_numpy(), periods_per_year) for p in paths]
    extra = m.path_sharpe_summary(sharpes) if target != "volatility" else {"cpcv_paths": len(paths)}
    return _result(target, paths[0], reports, next_returns, periods_per_year, benchmark, extra)


def _result(target, predictions, reports, next_returns, periods_per_year, benchmark, extra) -> RunResult:
    tested = next_returns.loc[predictions.index].to_numpy()
    bench = None if benchmark is None else benchmark.loc[predictions.index].to_numpy()
    metrics = score(target, predictions, tested, periods_per_year, benchmark=bench)
    metrics.update(m.clean(extra))
    return RunResult(predictions=_finish_predictions(predictions), folds=reports, metrics=metrics)


def repeats_run(*, repeats: int = 1, seed: int, on_fold: Callable | None = None, **kwargs) -> RunResult:
    """The trial for seeds seed, seed+1, …: the first seed's predictions, folds and metrics, plus each metric's
    mean and sample std across seeds. A model whose second seed predicts exactly what the first did has no random
    step: it runs once and says so.

    on_fold(report, progress) after every split: the report for the first seed's splits, None for later seeds'."""
    total = repeats * len(splits_for(kwargs["validation"], len(kwargs["features"]), horizon=kwargs["horizon"]))
    done = 0

    def progress_of(first_seed: bool):
        def called(report):
            nonlocal done
            done += 1
            if on_fold:
                on_fold(report if first_seed else None, done / total)

        return called

    first = scheme_run(seed=seed, on_fold=progress_of(True), **kwargs)
    runs = [first]
    for offset in range(1, repeats):
        run = scheme_run(seed=seed + offset, on_fold=progress_of(False), **kwargs)
        if offset == 1 and _same_predictions(first.predictions, run.predictions):
            first.across_seeds = {
                "seeds": [seed],
                "deterministic": True,
                "note": "seed+1 gave exactly the same predictions: the model has no random step, so it ran once",
            }
            return first
        runs.append(run)
    if repeats > 1:
        names = [name for name, value in first.metrics.items() if value is not None]
        table = pd.DataFrame([{name: run.metrics.get(name) for name in names} for run in runs], dtype="float64")
        first.across_seeds = {
            "seeds": list(range(seed, seed + repeats)),
            "deterministic": False,
            "mean": m.clean(table.mean().to_dict()),
            "std": m.clean(table.std(ddof=1).to_dict()),
        }
    return first


def _same_predictions(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    return all(np.array_equal(a[c].to_numpy(), b[c].to_numpy(), equal_nan=True) for c in ("y_pred", "proba"))


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
    periods_per_year: float = m.TRADING_DAYS,
    trading: Trading = Trading(),
    benchmark: pd.Series | None = None,
    on_fold: Callable[[FoldReport], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> RunResult:
    """The expanding-window walk-forward with an already effective `gap` (the catalog tests and the benchmark's
    reference call this directly)."""
    return scheme_run(
        validation={"scheme": "walk_forward", "folds": folds, "gap": gap}, horizon=horizon, definition=definition,
        params=params, target=target, seed=seed, features=features, labels=labels, next_returns=next_returns,
        bars=bars, periods_per_year=periods_per_year, trading=trading, benchmark=benchmark, on_fold=on_fold,
        should_stop=should_stop,
    )  # fmt: skip
