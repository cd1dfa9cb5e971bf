"""Every catalog entry is a model of its own: not a copy of another entry, not a constant baseline in disguise,
every hyperparameter it declares reaches the estimator, and the same seed gives the same predictions bit for bit.

The walk-forward predictions are the ones test_catalog_walk_forward checks (cached per entry and target).
"""

import functools
import itertools

import numpy as np
import pytest

from models_catalog.registry import CATALOG
from tests.models_catalog.catalog_data import ROWS, cached_run, dataset, entry_tasks, fast_params, forecast, run

MAX_CORRELATION = 0.9999
BASELINES = {"dummy_classifier", "dummy_regressor", "buy_and_hold"}  # constant by design: what others must beat
# The hyperparameter probes train on the first 250 rows of the walk-forward data and predict the next 200.
TRAIN, TEST = 250, 200
# Entries whose forecast is honestly constant on one target of the test data: the lasso's selection finds no
# feature worth its penalty for next-day returns and forecasts the training mean (both vary on volatility).
CONSTANT_HERE = {("lasso_cv", "return"), ("lasso_lars_ic", "return")}


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; two constant series count as copies (1.0) when equal, as unrelated (0.0) otherwise."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return 1.0 if np.allclose(a, b) else 0.0
    return float(np.corrcoef(a, b)[0, 1])


def near_copies(target: str) -> list[tuple[float, str, str]]:
    keys = [key for key, definition in CATALOG.items() if target in definition.targets]
    series = {key: forecast(cached_run(key, target).predictions, target) for key in keys}
    pairs = [(correlation(series[a], series[b]), a, b) for a, b in itertools.combinations(keys, 2)]
    return sorted((pair for pair in pairs if pair[0] > MAX_CORRELATION), reverse=True)


def test_the_correlation_check_flags_a_rescaled_copy_and_equal_constants():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    assert correlation(x, 3 * x + 1) > MAX_CORRELATION
    assert correlation(np.full(5, 0.5), np.full(5, 0.5)) == 1.0
    assert correlation(np.full(5, 0.5), x[:5]) == 0.0
    assert correlation(x, rng.normal(size=200)) < 0.5


@pytest.mark.parametrize("target", ["direction", "return", "volatility"])
def test_no_two_entries_forecast_alike(target):
    copies = near_copies(target)
    assert not copies, "entries whose out-of-sample forecasts correlate above 0.9999: " + ", ".join(
        f"{a} ~ {b} ({c:.6f})" for c, a, b in copies
    )


@pytest.mark.parametrize(("key", "target"), entry_tasks(CATALOG))
def test_entry_is_not_a_constant_baseline(key, target):
    """Within every walk-forward fold the forecast moves with the data (a dummy gives one value per fold)."""
    if key in BASELINES or (key, target) in CONSTANT_HERE:
        pytest.skip("constant by design, or honestly constant on this target's test data (see CONSTANT_HERE)")
    predictions = cached_run(key, target).predictions
    folds = np.array_split(forecast(predictions, target), 2)
    assert all(np.unique(np.round(fold, 12)).size > 1 for fold in folds)


@pytest.mark.parametrize(("key", "target"), entry_tasks(CATALOG))
def test_same_seed_gives_the_same_predictions_bit_for_bit(key, target):
    """Two runs 3 bars ahead, where volatility models simulate and P(up) counts simulated paths (on 400 bars)."""
    first, again = (run(key, target, horizon=3, rows=400).predictions for _ in range(2))
    assert np.array_equal(first.to_numpy(), again.to_numpy(), equal_nan=True)


def other_values(param, value) -> list:
    """Valid values away from `value`, in the order tried when probing whether a parameter reaches the estimator:
    every other choice; for numbers lower ones first (less capacity or fewer iterations shows more often, and
    costs less), then a higher one."""
    if param.type == "bool":
        return [not value]
    if param.type == "choice":
        return [choice for choice in param.choices if choice != value]
    low, high = param.low, param.high
    if param.type == "int":
        candidates = [value // 2, low, value * 2, value + 1]
    elif param.log and value > 0:
        candidates = [value / 4, value * 4]
    else:
        candidates = [value - 0.4 * (high - low), low, value + 0.4 * (high - low), high]
    candidates = [type(value)(c) for c in candidates if low <= c <= high and c != value]
    return list(dict.fromkeys(candidates))


# (entry, parameter) -> the other parameters under which it acts (it has no effect in the default mode).
PROBE_CONTEXT = {
    ("sgd_classifier", "eta0"): {"learning_rate": "constant"},
    ("sgd_regressor", "epsilon"): {"loss": "huber"},
    ("svc", "degree"): {"kernel": "poly"},
    ("svc", "coef0"): {"kernel": "poly"},
    ("svr", "degree"): {"kernel": "poly"},
    ("svr", "coef0"): {"kernel": "poly"},
    ("xgboost_classifier", "rate_drop"): {"booster": "dart"},
    ("xgboost_classifier", "skip_drop"): {"booster": "dart"},
    ("xgboost_regressor", "rate_drop"): {"booster": "dart"},
    ("xgboost_regressor", "skip_drop"): {"booster": "dart"},
    ("lightgbm_classifier", "drop_rate"): {"boosting": "dart"},
    # GOSS samples only after 1 / learning_rate rounds: at the fast tests' 20 rounds that takes a high rate.
    ("lightgbm_classifier", "top_rate"): {"boosting": "goss", "learning_rate": 0.5},
    ("lightgbm_classifier", "other_rate"): {"boosting": "goss", "learning_rate": 0.5},
    ("lightgbm_classifier", "linear_lambda"): {"linear_tree": True},
    ("lightgbm_regressor", "drop_rate"): {"boosting": "dart"},
    ("lightgbm_regressor", "top_rate"): {"boosting": "goss", "learning_rate": 0.5},
    ("lightgbm_regressor", "other_rate"): {"boosting": "goss", "learning_rate": 0.5},
    # Leaf counts bind only when the minimum leaf size lets trees grow that far on 250 rows.
    ("lightgbm_classifier", "num_leaves"): {"min_child_samples": 5},
    ("lightgbm_regressor", "num_leaves"): {"min_child_samples": 5},
    ("hist_gradient_boosting_classifier", "max_leaf_nodes"): {"min_samples_leaf": 5},
    ("hist_gradient_boosting_regressor", "max_leaf_nodes"): {"min_samples_leaf": 5},
    ("decision_tree_classifier", "max_depth"): {"min_samples_leaf": 5},
    ("lightgbm_regressor", "linear_lambda"): {"linear_tree": True},
    ("arima", "season"): {"seasonal_p": 1},
    ("arima", "method"): {"q": 0},
    ("arima", "select_lags"): {"method": "ols", "p": 5, "q": 0},
    ("aparch_1_1", "o"): {"p": 2},
    # On a coarse grid every fold count picks the same penalty.
    ("ridge_cv", "cv_splits"): {"n_alphas": 200},
    ("lasso_cv", "cv_splits"): {"n_alphas": 200},
    ("ewma_riskmetrics", "lam"): {"estimate": False},
}
# Parameters that cannot change predictions by design.
INERT = {"n_jobs"}
# An iteration cap that does not bind: these solvers converge on 250 standardised rows before even the lowest cap.
CONVERGED = {"logistic_regression", "sgd_classifier", "sgd_regressor", "elastic_net", "huber_regressor"}
# Probed on another of the entry's targets: on next-day returns the lasso's selection keeps no feature at any
# setting, so nothing could show there.
PROBE_TARGET = {"lasso_cv": "volatility", "lasso_lars_ic": "volatility", "ridge_cv": "volatility"}


def probes():
    return [
        pytest.param(key, param.name, id=f"{key}-{param.name}")
        for key, definition in CATALOG.items()
        for param in definition.params
        if param.name not in INERT and not (param.name == "max_iter" and key in CONVERGED)
    ]


def small_fit(key: str, params: dict) -> np.ndarray:
    """Fit on the first TRAIN rows of the walk-forward data and predict the next TEST rows."""
    return _small_fit(key, tuple(sorted(params.items())))


@functools.cache
def _small_fit(key: str, items: tuple) -> np.ndarray:
    params = dict(items)
    definition = CATALOG[key]
    target = PROBE_TARGET.get(key, definition.targets[0])
    bars, features, labels, _ = dataset(target, ROWS)
    X_test = features.iloc[TRAIN : TRAIN + TEST]
    estimator = definition.build(params, target=target, seed=0)
    estimator.fit(features.iloc[:TRAIN], labels.iloc[:TRAIN], bars.loc[: features.index[TRAIN - 1]])
    test_bars = bars.loc[: X_test.index[-1]]
    if target == "direction":
        return np.concatenate([estimator.predict(X_test, test_bars), estimator.predict_proba(X_test, test_bars)])
    return np.asarray(estimator.predict(X_test, test_bars), dtype="float64")


@pytest.mark.parametrize(("key", "name"), probes())
def test_every_hyperparameter_reaches_the_model(key, name):
    definition = CATALOG[key]
    base = {**fast_params(definition), **PROBE_CONTEXT.get((key, name), {})}
    param = next(p for p in definition.params if p.name == name)
    value = base.get(name, param.default)
    before = small_fit(key, base)
    tried = []
    for other in other_values(param, value):
        after = small_fit(key, {**base, name: other})
        assert np.isfinite(after).all()
        if not np.allclose(before, after, rtol=1e-9, atol=1e-12):
            return
        tried.append(other)
    pytest.fail(f"{key}: {name}={value!r} gives the same predictions as {name} in {tried!r}")
