"""Trading and ML metrics against independent computations (pandas by hand, and textbook examples)."""

import math

import numpy as np
import pandas as pd
import pytest

from tests.trials.papers import expected_max_by_hand, pbo_by_hand, psr_by_hand
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


# --- Costs, positions, benchmark, annualisation, QLIKE ------------------------------------------------------


def test_costs_are_charged_on_the_bar_where_the_position_changes():
    positions = np.array([1, 1, 0, -1, -1, 1], dtype=float)
    next_returns = np.array([0.01, -0.02, 0.015, 0.003, -0.007, 0.02])
    costs = m.bar_costs(positions, 7.5)
    # Changes: 0→1, none, 1→0, 0→−1, none, −1→1 (two units).
    assert costs == pytest.approx(np.array([1, 0, 1, 1, 0, 2]) * 7.5 / 10_000)
    got = m.strategy_metrics(positions, next_returns, 252, costs=costs)
    net = pd.Series(positions * next_returns - costs)
    gross = pd.Series(positions * next_returns)
    assert got["sharpe"] == pytest.approx(net.mean() / net.std() * math.sqrt(252))
    assert got["gross_sharpe"] == pytest.approx(gross.mean() / gross.std() * math.sqrt(252))
    assert got["annual_return"] == pytest.approx((1 + net).prod() ** (252 / 6) - 1)
    assert got["gross_annual_return"] == pytest.approx((1 + gross).prod() ** (252 / 6) - 1)
    # In the market on 5 bars; net of costs 0.01-0.00075, 0.02·... : count by hand.
    assert got["hit_rate"] == pytest.approx(np.mean(net[positions != 0] > 0))
    # Without costs there are no gross figures: they would repeat the net ones.
    assert "gross_sharpe" not in m.strategy_metrics(positions, next_returns, 252, costs=np.zeros(6))


def test_benchmark_figures_match_a_regression_by_hand():
    r = np.array([0.012, -0.004, 0.007, 0.0, -0.011, 0.006, 0.009, -0.002])
    b = np.array([0.010, -0.006, 0.004, 0.002, -0.015, 0.003, 0.011, -0.001])
    got = m.benchmark_metrics(r, b, 252)
    slope, intercept = np.polyfit(b, r, 1)  # least squares r = α + β·b
    assert got["beta"] == pytest.approx(slope)
    assert got["alpha"] == pytest.approx(intercept * 252)
    active = pd.Series(r - b)
    assert got["tracking_error"] == pytest.approx(active.std() * math.sqrt(252))
    assert got["information_ratio"] == pytest.approx(active.mean() / active.std() * math.sqrt(252))


@pytest.mark.parametrize(
    ("frequency", "clock", "expected"),
    [
        ("1d", False, 252),
        ("1d", True, 365),
        ("5m", False, 252 * 78),
        ("1m", False, 252 * 390),
        ("30m", False, 252 * 13),
        ("1h", True, 365 * 24),
        ("1w", False, 52),
        ("2w", False, 26),
        ("1mo", False, 12),
        ("6mo", False, 2),
        ("1q", False, 4),
        ("1y", False, 1),
    ],
)
def test_periods_per_year_follow_the_bar_frequency(frequency, clock, expected):
    assert m.periods_per_year(frequency, around_the_clock=clock) == pytest.approx(expected)


@pytest.mark.parametrize("frequency", ["tick", "", "0d", "1s", "7h"])
def test_a_frequency_that_cannot_be_annualised_is_refused(frequency):
    with pytest.raises(ValueError, match="cannot annualise"):
        m.periods_per_year(frequency)


def test_a_five_minute_sharpe_is_annualised_with_its_own_bar_count():
    returns = np.array([0.0004, -0.0002, 0.0003, 0.0001, -0.0001, 0.0002])
    per_bar = returns.mean() / returns.std(ddof=1)
    assert m.sharpe_ratio(returns, m.periods_per_year("5m")) == pytest.approx(per_bar * math.sqrt(19_656))


def test_qlike_floors_a_negative_forecast_instead_of_squaring_it_away():
    assert m.volatility_metrics(np.array([0.01]), np.array([0.01]))["qlike"] == pytest.approx(0.0)
    bad = m.volatility_metrics(np.array([0.01]), np.array([-0.01]))["qlike"]
    ratio = (0.01 / m.QLIKE_FLOOR) ** 2
    assert bad == pytest.approx(ratio - math.log(ratio) - 1) and bad > 1000


# --- PSR, DSR and PBO against the papers' formulas ----------------------------------------------------------


@pytest.fixture(scope="module")
def spx_returns():
    """A fixed real series: S&P 500 daily simple returns of 2015-2016 (bundled with arch)."""
    import arch.data.sp500

    close = arch.data.sp500.load()["Adj Close"].loc["2015":"2016"]
    return close.pct_change().dropna().to_numpy()


def test_psr_matches_bailey_and_lopez_de_prado_2012(spx_returns):
    moments = m.return_moments(spx_returns)
    assert moments["n"] == len(spx_returns)
    assert m.probabilistic_sharpe(moments) == pytest.approx(psr_by_hand(spx_returns, 0.0), rel=1e-12)
    assert m.probabilistic_sharpe(moments, 0.05) == pytest.approx(psr_by_hand(spx_returns, 0.05), rel=1e-12)


def test_dsr_reproduces_the_numerical_example_of_the_2014_paper():
    """Bailey and López de Prado (2014), section 4: annualised SR 2.5 over T = 1,250 daily returns, skewness −3,
    kurtosis 10, N = 100 trials whose annualised Sharpe ratios have variance 0.5: SR0 ≈ 0.1132 per day and
    DSR ≈ 0.9004."""
    per_day = 2.5 / math.sqrt(250)
    variance_per_day = 0.5 / 250
    assert m.expected_max_sharpe(variance_per_day, 100) == pytest.approx(0.1132, abs=5e-5)
    moments = {"sharpe": per_day, "n": 1250, "skewness": -3.0, "kurtosis": 10.0}
    sharpes = np.sqrt(variance_per_day / 2) * np.array([-1.0, 1.0])  # a sample with that variance (n − 1)
    assert np.var(sharpes, ddof=1) == pytest.approx(variance_per_day)
    assert m.deflated_sharpe(moments, list(sharpes), 100) == pytest.approx(0.9004, abs=5e-4)


def test_dsr_of_a_real_series_by_hand(spx_returns):
    sharpes = [0.01, 0.03, -0.02, 0.05, 0.0, 0.04]
    n_trials = 40  # more trials than Sharpe ratios: failed and cancelled ones count too
    sr0 = expected_max_by_hand(sharpes, n_trials)
    moments = m.return_moments(spx_returns)
    assert m.deflated_sharpe(moments, sharpes, n_trials) == pytest.approx(psr_by_hand(spx_returns, sr0), rel=1e-12)
    # One trial: nothing to deflate. Several but fewer than two Sharpe ratios: the variance is unknown.
    assert m.deflated_sharpe(moments, [0.02], 1) == pytest.approx(psr_by_hand(spx_returns, 0.0))
    assert m.deflated_sharpe(moments, [0.02], 5) is None


def test_pbo_matches_the_cscv_procedure_by_hand():
    """Eight moving-average rules on the S&P 500 (real returns, 2010-2013), S = 8 partitions."""
    import arch.data.sp500

    close = arch.data.sp500.load()["Adj Close"].loc["2010":"2013"]
    ret = close.pct_change()
    columns = [((close > close.rolling(w).mean()).shift(1) * ret) for w in (5, 10, 20, 40, 60, 90, 120, 200)]
    matrix = pd.concat(columns, axis=1).dropna().to_numpy()
    got = m.pbo_cscv(matrix, partitions=8)
    assert got["combinations"] == 70
    assert got["pbo"] == pytest.approx(pbo_by_hand(matrix, 8), abs=1e-12)
    # Seven rules: an in-sample winner ranked exactly 4th of 7 out of sample has λ = 0 and counts as overfit.
    seven = m.pbo_cscv(matrix[:, :7], partitions=8)
    assert seven["pbo"] == pytest.approx(pbo_by_hand(matrix[:, :7], 8), abs=1e-12)
    # One rule far better than the rest in every block always wins out of sample too: nothing is overfit.
    matrix[:, 3] += 0.01
    assert m.pbo_cscv(matrix, partitions=8)["pbo"] == 0.0


def test_cpcv_path_summary():
    got = m.path_sharpe_summary([0.5, 1.0, None, 1.5, 2.0])
    assert got == {
        "cpcv_paths": 5,
        "cpcv_sharpe_mean": pytest.approx(1.25),
        "cpcv_sharpe_std": pytest.approx(np.std([0.5, 1.0, 1.5, 2.0], ddof=1)),
        "cpcv_sharpe_p5": pytest.approx(np.percentile([0.5, 1.0, 1.5, 2.0], 5)),
    }
