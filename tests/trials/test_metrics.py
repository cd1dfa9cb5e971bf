"""Trading and ML metrics against independent computations (pandas by hand, and textbook examples)."""

import math

import numpy as np
import pandas as pd
import pytest

from trials import metrics as m


def test_strategy_metrics_match_a_hand_computation():
    next_returns = np.array([0.01, -0.02, 0.015, 0.003, -0.007, 0.02, -0.01, 0.004])
    positions = np.array([1, 1, 0, 1, 1, 0, 0, 1], dtype=float)
    got = m.strategy_metrics(positions, next_returns, periods_per_year=252)

    r = pd.Series(positions * next_returns)
    equity = (1 + r).cumprod()
    assert got["sharpe"] == pytest.approx(r.mean() / r.std() * math.sqrt(252))
    assert got["annual_volatility"] == pytest.approx(r.std() * math.sqrt(252))
    assert got["annual_return"] == pytest.approx(equity.iloc[-1] ** (252 / len(r)) - 1)
    assert got["max_drawdown"] == pytest.approx((equity / equity.cummax().clip(lower=1) - 1).min())
    downside = math.sqrt((r.clip(upper=0) ** 2).mean())
    assert got["sortino"] == pytest.approx(r.mean() / downside * math.sqrt(252))
    # In the market on 5 bars; of those, 0.01, 0.003 and 0.004 made money.
    assert got["hit_rate"] == pytest.approx(3 / 5)
    assert got["turnover"] == pytest.approx(np.abs(np.diff(np.concatenate([[0], positions]))).mean())
    bh = pd.Series(next_returns)
    assert got["buy_hold_sharpe"] == pytest.approx(bh.mean() / bh.std() * math.sqrt(252))


def test_max_drawdown_of_a_known_path():
    # Equity 1.10, 0.88, 0.968, 1.1616: peak 1.10 then trough 0.88 → -20 %.
    assert m.max_drawdown(np.array([0.10, -0.20, 0.10, 0.20])) == pytest.approx(-0.20)
    assert m.max_drawdown(np.array([0.01, 0.02])) == 0.0
    # A loss on the first bar counts from the starting capital.
    assert m.max_drawdown(np.array([-0.05, 0.01])) == pytest.approx(-0.05)


def test_flat_strategy_has_no_sharpe_and_no_hit_rate():
    got = m.strategy_metrics(np.zeros(5), np.array([0.01, -0.01, 0.02, 0.0, 0.01]))
    assert got["sharpe"] is None and got["hit_rate"] is None and got["sortino"] is None
    assert got["annual_return"] == 0.0 and got["max_drawdown"] == 0.0 and got["turnover"] == 0.0


def test_classification_metrics_of_a_known_confusion_matrix():
    y_true = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    y_pred = np.array([1, 1, 0, 0, 1, 0, 1, 0])
    proba = np.array([0.9, 0.8, 0.4, 0.3, 0.6, 0.2, 0.7, 0.1])
    got = m.classification_metrics(y_true, y_pred, proba)
    # TP=3, FN=1, FP=1, TN=3
    assert got["accuracy"] == pytest.approx(6 / 8)
    assert got["precision"] == pytest.approx(3 / 4)
    assert got["recall"] == pytest.approx(3 / 4)
    assert got["f1"] == pytest.approx(3 / 4)
    # Pairs (positive, negative) ranked correctly: only 0.4 < 0.6 is wrong → 15/16.
    assert got["roc_auc"] == pytest.approx(15 / 16)


def test_regression_and_volatility_metrics():
    y_true = np.array([0.01, -0.02, 0.03])
    y_pred = np.array([0.0, -0.01, 0.01])
    got = m.regression_metrics(y_true, y_pred)
    assert got["rmse"] == pytest.approx(math.sqrt((0.01**2 + 0.01**2 + 0.02**2) / 3))
    assert got["mae"] == pytest.approx(0.04 / 3)
    ss_res = 0.01**2 + 0.01**2 + 0.02**2
    ss_tot = sum((y - y_true.mean()) ** 2 for y in y_true)
    assert got["r2"] == pytest.approx(1 - ss_res / ss_tot)
    vol = m.volatility_metrics(np.array([0.01, 0.02]), np.array([0.01, 0.01]))
    # QLIKE on variances: ratio 1 → 0; ratio 4 → 4 - ln 4 - 1.
    assert vol["qlike"] == pytest.approx((0 + 4 - math.log(4) - 1) / 2)


def test_clean_turns_nan_into_none():
    assert m.clean({"a": float("nan"), "b": 1, "c": None, "d": float("inf")}) == {
        "a": None,
        "b": 1.0,
        "c": None,
        "d": None,
    }
