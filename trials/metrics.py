"""ML and trading metrics of out-of-sample predictions (plain numpy/scikit-learn; the definitions the API
and CSV exports name).

Trading convention: at each bar's close the strategy is long (position 1) when the model predicts an up move and
flat (0) otherwise, and earns the next bar's return. Returns are simple, per bar, with no costs and a zero risk-free
rate; annualisation uses `periods_per_year` (252 for daily bars).
"""

import math

import numpy as np
from sklearn import metrics as skm

PERIODS_PER_YEAR = {"1d": 252, "1w": 52, "1mo": 12, "1h": 252 * 7, "1m": 252 * 390}

CLASSIFICATION = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION = ("rmse", "mae", "r2")
VOLATILITY = ("rmse", "mae", "qlike")
STRATEGY = (
    "annual_return",
    "annual_volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "hit_rate",
    "turnover",
    "buy_hold_sharpe",
)


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray) -> dict:
    both_classes = len(np.unique(y_true)) == 2
    return {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision": skm.precision_score(y_true, y_pred, zero_division=0),
        "recall": skm.recall_score(y_true, y_pred, zero_division=0),
        "f1": skm.f1_score(y_true, y_pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y_true, proba) if both_classes else None,
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    return {
        "rmse": math.sqrt(skm.mean_squared_error(y_true, y_pred)),
        "mae": skm.mean_absolute_error(y_true, y_pred),
        "r2": skm.r2_score(y_true, y_pred) if len(y_true) > 1 else None,
    }


def volatility_metrics(y_true: np.ndarray, y_pred: np.ndarray, floor: float = 1e-8) -> dict:
    """RMSE and MAE of volatility, and QLIKE on variances (lower is better; 0 for a perfect forecast)."""
    realised = np.maximum(np.asarray(y_true) ** 2, floor)
    forecast = np.maximum(np.asarray(y_pred) ** 2, floor)
    ratio = realised / forecast
    return {
        "rmse": math.sqrt(skm.mean_squared_error(y_true, y_pred)),
        "mae": skm.mean_absolute_error(y_true, y_pred),
        "qlike": float(np.mean(ratio - np.log(ratio) - 1)),
    }


def sharpe_ratio(returns: np.ndarray, periods_per_year: int = 252) -> float | None:
    returns = np.asarray(returns, dtype="float64")
    if len(returns) < 2:
        return None
    std = returns.std(ddof=1)
    return None if std == 0 else float(returns.mean() / std * math.sqrt(periods_per_year))


def max_drawdown(returns: np.ndarray) -> float:
    """The worst fall of the equity curve from its running peak, as a negative fraction (0 when it never fell)."""
    equity = np.cumprod(1 + np.asarray(returns, dtype="float64"))
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float(min(0.0, (equity / peak - 1).min())) if len(equity) else 0.0


def strategy_metrics(positions: np.ndarray, next_returns: np.ndarray, periods_per_year: int = 252) -> dict:
    positions = np.asarray(positions, dtype="float64")
    next_returns = np.asarray(next_returns, dtype="float64")
    strategy = positions * next_returns
    n = len(strategy)
    growth = float(np.prod(1 + strategy)) if n else 1.0
    downside = math.sqrt(float(np.mean(np.minimum(strategy, 0) ** 2))) if n else 0.0
    in_market = positions != 0
    previous = np.concatenate([[0.0], positions[:-1]])
    return {
        "annual_return": growth ** (periods_per_year / n) - 1 if n and growth > 0 else (-1.0 if n else None),
        "annual_volatility": float(strategy.std(ddof=1) * math.sqrt(periods_per_year)) if n > 1 else None,
        "sharpe": sharpe_ratio(strategy, periods_per_year),
        "sortino": float(strategy.mean() / downside * math.sqrt(periods_per_year)) if downside > 0 else None,
        "max_drawdown": max_drawdown(strategy),
        # Share of the bars spent in the market that made money.
        "hit_rate": float(np.mean(strategy[in_market] > 0)) if in_market.any() else None,
        # Average absolute change of position per bar (entering from flat counts at the first bar).
        "turnover": float(np.mean(np.abs(positions - previous))) if n else None,
        "buy_hold_sharpe": sharpe_ratio(next_returns, periods_per_year),
    }


def clean(metrics: dict) -> dict:
    """Plain floats, with NaN and infinities as None (JSON has no NaN)."""
    return {name: None if value is None else _finite(value) for name, value in metrics.items()}
