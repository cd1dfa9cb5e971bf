"""ML, trading and overfitting metrics of out-of-sample predictions (plain numpy/scipy/scikit-learn; the
definitions the API, the CSV exports and the README's "What a trial computes" name).

Trading convention: at each bar's close the strategy holds `position` (1 long, 0 flat, -1 short) and earns the next
bar's simple return; changing the position costs `cost_bps` basis points of the change, charged on that bar. Every
strategy figure is computed on the returns net of costs, with a zero risk-free rate; annualisation uses the
periods per year of the bar frequency (`periods_per_year`).

scipy and scikit-learn are imported inside the functions that use them: the web process loads this module (for
the metric names) and must not pay for either.
"""

from __future__ import annotations

import math
import re
from itertools import combinations
from typing import TYPE_CHECKING

from models_catalog.lazy import deferred

if TYPE_CHECKING:
    import numpy as np
else:  # imported at their first use: the web process loads this module and needs neither
    np = deferred("numpy")


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
GROSS = ("gross_sharpe", "gross_annual_return")  # only when costs are non-zero
BENCHMARK = ("alpha", "beta", "information_ratio", "tracking_error")
OVERFITTING = ("psr", "dsr", "trials_in_question")
CPCV = ("cpcv_paths", "cpcv_sharpe_mean", "cpcv_sharpe_std", "cpcv_sharpe_p5")

# --- Annualisation ------------------------------------------------------------------------------------------

TRADING_DAYS = 252  # a US exchange year
SESSION_MINUTES = 390  # a US equity session, 09:30-16:00
_FREQUENCY = re.compile(r"^(\d{1,4})(m|h|d|w|mo|q|y)$")
_PER_YEAR = {"d": TRADING_DAYS, "w": 52, "mo": 12, "q": 4, "y": 1}


def periods_per_year(frequency: str, *, around_the_clock: bool = False) -> float:
    """Bars a year for a frequency such as 1d, 5m, 1h, 2w, 1mo, 1q, 6mo, 1y (a number and a unit).

    Intraday bars count trading time: a 390-minute session on 252 days, so 5-minute bars make 78 a day and
    19,656 a year. A market that trades around the clock (crypto: the series has weekend bars) counts 24 hours
    on 365 days, and 365 daily bars a year. ValueError for anything else: a figure annualised with a guessed
    count would be wrong without saying so.
    """
    match = _FREQUENCY.match(str(frequency or ""))
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"cannot annualise bars of frequency {frequency!r}: expected a number and a unit (m, h, d, w, mo, q, y)"
        )
    count, unit = int(match.group(1)), match.group(2)
    days = 365 if around_the_clock else TRADING_DAYS
    if unit in ("m", "h"):
        minutes_per_day = 24 * 60 if around_the_clock else SESSION_MINUTES
        minutes = count * (60 if unit == "h" else 1)
        if minutes > minutes_per_day:
            raise ValueError(f"cannot annualise {frequency} bars: longer than a trading session")
        return days * minutes_per_day / minutes
    per_year = days if unit == "d" else _PER_YEAR[unit]
    return per_year / count


# --- ML metrics ---------------------------------------------------------------------------------------------


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def classification_metrics(y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray) -> dict:
    from sklearn import metrics as skm

    both_classes = len(np.unique(y_true)) == 2
    return {
        "accuracy": skm.accuracy_score(y_true, y_pred),
        "precision": skm.precision_score(y_true, y_pred, zero_division=0),
        "recall": skm.recall_score(y_true, y_pred, zero_division=0),
        "f1": skm.f1_score(y_true, y_pred, zero_division=0),
        "roc_auc": skm.roc_auc_score(y_true, proba) if both_classes else None,
    }


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """RMSE, MAE and R² (1 - SS_res/SS_tot, SS_tot about the test period's own mean)."""
    from sklearn import metrics as skm

    return {
        "rmse": math.sqrt(skm.mean_squared_error(y_true, y_pred)),
        "mae": skm.mean_absolute_error(y_true, y_pred),
        "r2": skm.r2_score(y_true, y_pred) if len(y_true) > 1 else None,
    }


QLIKE_FLOOR = 1e-4  # volatility (a daily fraction) below which a forecast or realisation counts as this floor


def volatility_metrics(y_true: np.ndarray, y_pred: np.ndarray, floor: float = QLIKE_FLOOR) -> dict:
    """RMSE and MAE of volatility, and QLIKE on variances (lower is better; 0 for a perfect forecast).

    Volatilities are floored at `floor` before squaring, so a zero or negative forecast scores as the tiny
    positive one it is closest to (badly), never as its mirror image."""
    from sklearn import metrics as skm

    realised = np.maximum(np.asarray(y_true, dtype="float64"), floor) ** 2
    forecast = np.maximum(np.asarray(y_pred, dtype="float64"), floor) ** 2
    ratio = realised / forecast
    return {
        "rmse": math.sqrt(skm.mean_squared_error(y_true, y_pred)),
        "mae": skm.mean_absolute_error(y_true, y_pred),
        "qlike": float(np.mean(ratio - np.log(ratio) - 1)),
    }


# --- Trading ------------------------------------------------------------------------------------------------


def bar_costs(positions: np.ndarray, cost_bps: float, previous: float = 0.0) -> np.ndarray:
    """Cost of each bar as a fraction of capital: cost_bps / 10,000 × |position_t − position_(t−1)|, charged on
    the bar where the position changes; `previous` is the position held before the first bar (flat)."""
    positions = np.asarray(positions, dtype="float64")
    before = np.concatenate([[previous], positions[:-1]])
    return cost_bps / 10_000 * np.abs(positions - before)


def sharpe_ratio(returns: np.ndarray, periods_per_year: float = TRADING_DAYS) -> float | None:
    returns = np.asarray(returns, dtype="float64")
    if len(returns) < 2:
        return None
    std = returns.std(ddof=1)
    return None if std == 0 else float(returns.mean() / std * math.sqrt(periods_per_year))


def annual_return(returns: np.ndarray, periods_per_year: float = TRADING_DAYS) -> float | None:
    """Geometric: the compound growth of the period, as a yearly rate (−1 when the capital was lost)."""
    n = len(returns)
    if not n:
        return None
    growth = float(np.prod(1 + np.asarray(returns, dtype="float64")))
    return growth ** (periods_per_year / n) - 1 if growth > 0 else -1.0


def max_drawdown(returns: np.ndarray) -> float:
    """The worst fall of the equity curve from its running peak, as a negative fraction (0 when it never fell)."""
    equity = np.cumprod(1 + np.asarray(returns, dtype="float64"))
    peak = np.maximum.accumulate(np.concatenate([[1.0], equity]))[1:]
    return float(min(0.0, (equity / peak - 1).min())) if len(equity) else 0.0


def strategy_metrics(
    positions: np.ndarray,
    next_returns: np.ndarray,
    periods_per_year: float = TRADING_DAYS,
    *,
    costs: np.ndarray | None = None,
) -> dict:
    """The strategy's figures on its returns net of `costs` (per bar, as a fraction; none by default)."""
    positions = np.asarray(positions, dtype="float64")
    next_returns = np.asarray(next_returns, dtype="float64")
    gross = positions * next_returns
    net = gross if costs is None else gross - np.asarray(costs, dtype="float64")
    n = len(net)
    downside = math.sqrt(float(np.mean(np.minimum(net, 0) ** 2))) if n else 0.0
    in_market = positions != 0
    previous = np.concatenate([[0.0], positions[:-1]])
    result = {
        "annual_return": annual_return(net, periods_per_year),
        "annual_volatility": float(net.std(ddof=1) * math.sqrt(periods_per_year)) if n > 1 else None,
        "sharpe": sharpe_ratio(net, periods_per_year),
        "sortino": float(net.mean() / downside * math.sqrt(periods_per_year)) if downside > 0 else None,
        "max_drawdown": max_drawdown(net),
        # Share of the bars spent in the market that made money after costs.
        "hit_rate": float(np.mean(net[in_market] > 0)) if in_market.any() else None,
        # Average absolute change of position per bar (entering from flat counts at the first bar).
        "turnover": float(np.mean(np.abs(positions - previous))) if n else None,
        "buy_hold_sharpe": sharpe_ratio(next_returns, periods_per_year),
    }
    if costs is not None and np.any(costs):
        result["gross_sharpe"] = sharpe_ratio(gross, periods_per_year)
        result["gross_annual_return"] = annual_return(gross, periods_per_year)
    return result


def benchmark_metrics(returns: np.ndarray, benchmark: np.ndarray, periods_per_year: float = TRADING_DAYS) -> dict:
    """The strategy against a benchmark's per-bar returns over the same bars (zero risk-free rate).

    beta = cov(r, b) / var(b); alpha = (mean(r) − beta·mean(b)) × periods per year (Jensen's, annualised
    arithmetically); active return a = r − b; tracking_error = std(a)·√P; information_ratio = mean(a)/std(a)·√P.
    Sample (n−1) moments throughout."""
    r = np.asarray(returns, dtype="float64")
    b = np.asarray(benchmark, dtype="float64")
    if len(r) < 2:
        return dict.fromkeys(BENCHMARK)
    variance = b.var(ddof=1)
    beta = float(np.cov(r, b, ddof=1)[0, 1] / variance) if variance > 0 else None
    active = r - b
    active_std = active.std(ddof=1)
    return {
        "alpha": (r.mean() - beta * b.mean()) * periods_per_year if beta is not None else None,
        "beta": beta,
        "information_ratio": float(active.mean() / active_std * math.sqrt(periods_per_year)) if active_std else None,
        "tracking_error": float(active_std * math.sqrt(periods_per_year)),
    }


# --- Overfitting guards -------------------------------------------------------------------------------------

EULER_GAMMA = 0.5772156649015329


def return_moments(returns: np.ndarray) -> dict | None:
    """Per-bar Sharpe (mean / sample std), number of bars, skewness m3/m2^1.5 and kurtosis m4/m2² (not excess:
    3 for normal returns): what the probabilistic and deflated Sharpe ratios need."""
    r = np.asarray(returns, dtype="float64")
    if len(r) < 3 or r.std(ddof=1) == 0:
        return None
    centred = r - r.mean()
    m2 = float(np.mean(centred**2))
    return {
        "sharpe": float(r.mean() / r.std(ddof=1)),
        "n": len(r),
        "skewness": float(np.mean(centred**3) / m2**1.5),
        "kurtosis": float(np.mean(centred**4) / m2**2),
    }


def probabilistic_sharpe(moments: dict | None, benchmark_sharpe: float = 0.0) -> float | None:
    """PSR (Bailey and López de Prado, 2012): the probability that the true per-bar Sharpe exceeds
    `benchmark_sharpe`, Φ((SR − SR*)·√(n−1) / √(1 − γ3·SR + (γ4 − 1)/4·SR²))."""
    from scipy.stats import norm

    if moments is None:
        return None
    sr, n = moments["sharpe"], moments["n"]
    spread = 1 - moments["skewness"] * sr + (moments["kurtosis"] - 1) / 4 * sr**2
    if spread <= 0:
        return None
    return float(norm.cdf((sr - benchmark_sharpe) * math.sqrt(n - 1) / math.sqrt(spread)))


def expected_max_sharpe(variance: float, trials: int) -> float:
    """The expected maximum of `trials` independent Sharpe estimates of true Sharpe zero whose variance is
    `variance` (Bailey and López de Prado, 2014): √V·((1 − γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))); 0 for N = 1."""
    from scipy.stats import norm

    if trials < 2:
        return 0.0
    quantiles = (1 - EULER_GAMMA) * norm.ppf(1 - 1 / trials) + EULER_GAMMA * norm.ppf(1 - 1 / (trials * math.e))
    return math.sqrt(max(variance, 0.0)) * float(quantiles)


def deflated_sharpe(moments: dict | None, sharpes: list[float], trials: int) -> float | None:
    """DSR (Bailey and López de Prado, 2014): the PSR against the expected maximum Sharpe of `trials` trials,
    given the sample variance of the per-bar Sharpe ratios `sharpes` of the trials that have one.

    With one trial there is nothing to deflate (DSR = PSR); with more trials but fewer than two Sharpe ratios the
    variance is unknown and so is the DSR (None)."""
    if moments is None:
        return None
    if trials < 2:
        return probabilistic_sharpe(moments)
    if len(sharpes) < 2:
        return None
    variance = float(np.var(np.asarray(sharpes, dtype="float64"), ddof=1))
    return probabilistic_sharpe(moments, expected_max_sharpe(variance, trials))


def pbo_cscv(returns: np.ndarray, partitions: int = 16) -> dict:
    """Probability of backtest overfitting by combinatorially symmetric cross-validation (Bailey, Borwein,
    López de Prado and Zhu, 2015).

    `returns` is a T × N matrix: per-bar returns of N configurations over the same T bars. The rows are cut into
    `partitions` (S, even) consecutive blocks of equal size (the last T mod S rows are dropped). For each of the
    C(S, S/2) ways to pick half of the blocks as the in-sample set J (the rest, J̄, out of sample), the
    configuration with the best in-sample Sharpe is ranked among all N out of sample (rank 1 worst, ties averaged),
    ω = rank / (N + 1), λ = ln(ω / (1 − ω)). PBO is the share of combinations with λ ≤ 0: the in-sample winner did
    no better than the median out of sample. A configuration with no variation in a set has Sharpe 0 there."""
    data = np.asarray(returns, dtype="float64")
    rows, configs = data.shape
    if partitions < 2 or partitions % 2:
        raise ValueError("partitions must be an even number of at least 2")
    size = rows // partitions
    if size < 2 or configs < 2:
        raise ValueError(f"need at least {2 * partitions} bars and 2 configurations, got {rows} and {configs}")
    blocks = data[: size * partitions].reshape(partitions, size, configs)
    # Sums per block let every combination's Sharpe come from S/2 block totals, not from the raw rows.
    sums, squares = blocks.sum(axis=1), (blocks**2).sum(axis=1)
    chosen = np.array(list(combinations(range(partitions), partitions // 2)))  # C(S, S/2) × S/2
    rest = np.array([np.setdiff1d(np.arange(partitions), row) for row in chosen])
    inside, outside = _block_sharpe(sums, squares, chosen, size), _block_sharpe(sums, squares, rest, size)
    best = np.argmax(inside, axis=1)
    winner = outside[np.arange(len(best)), best][:, None]
    rank = np.sum(outside < winner, axis=1) + (np.sum(outside == winner, axis=1) + 1) / 2  # ties averaged
    omega = rank / (configs + 1)
    logits = np.log(omega / (1 - omega))
    return {"pbo": float(np.mean(logits <= 0)), "combinations": len(logits), "logit_median": float(np.median(logits))}


def _block_sharpe(sums: np.ndarray, squares: np.ndarray, chosen: np.ndarray, size: int) -> np.ndarray:
    """Per-bar Sharpe of every configuration on the rows of each chosen set of blocks (0 with no variation)."""
    n = size * chosen.shape[1]
    total, total_sq = sums[chosen].sum(axis=1), squares[chosen].sum(axis=1)
    mean = total / n
    std = np.sqrt(np.maximum((total_sq - n * mean**2) / (n - 1), 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 1e-15, mean / std, 0.0)


def path_sharpe_summary(sharpes: list[float | None]) -> dict:
    """Mean, sample std and 5th percentile (linear interpolation) of the CPCV paths' Sharpe ratios."""
    values = np.array([s for s in sharpes if s is not None], dtype="float64")
    return {
        "cpcv_paths": len(sharpes),
        "cpcv_sharpe_mean": float(values.mean()) if len(values) else None,
        "cpcv_sharpe_std": float(values.std(ddof=1)) if len(values) > 1 else None,
        "cpcv_sharpe_p5": float(np.percentile(values, 5)) if len(values) else None,
    }


def clean(metrics: dict) -> dict:
    """Plain floats, with NaN and infinities as None (JSON has no NaN); counts stay whole numbers."""
    return {
        name: None if value is None else (value if isinstance(value, int) else _finite(value))
        for name, value in metrics.items()
    }
