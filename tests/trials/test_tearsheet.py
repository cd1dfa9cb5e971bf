"""The tear sheet's series agree with the metrics computed from the same returns (real SPX history from the
`arch` package, a simple momentum rule as the "model")."""

import math

import arch.data.sp500
import numpy as np
import pandas as pd
import pytest

from trials import metrics
from trials.features import next_return
from trials.tearsheet import ROLLING_BARS, compare_curves, tear_sheet


@pytest.fixture(scope="module")
def predictions():
    bars = arch.data.sp500.load().rename(columns=str.lower).loc["2010":"2014"]
    forward = next_return(bars).dropna()
    position = (bars["close"].pct_change() > 0).astype("float64").reindex(forward.index)  # yesterday went up
    proba = (0.5 + bars["close"].pct_change().clip(-0.05, 0.05) * 5).reindex(forward.index)
    frame = pd.DataFrame(
        {"y_true": (forward > 0).astype(float), "y_pred": position, "proba": proba, "position": position}
    )
    frame["strategy_return"] = position * forward
    return frame, forward


def test_equity_drawdown_and_rolling_sharpe_match_the_metrics(predictions):
    frame, forward = predictions
    sheet = tear_sheet(predictions=frame, market_returns=forward, target="direction")
    assert len(sheet["time"]) == len(frame) == len(sheet["equity"]["strategy"])
    expected_equity = np.cumprod(1 + frame["strategy_return"].to_numpy())
    assert sheet["equity"]["strategy"][-1] == pytest.approx(expected_equity[-1], rel=1e-5)
    assert sheet["equity"]["buy_hold"][-1] == pytest.approx(np.prod(1 + forward.to_numpy()), rel=1e-5)
    assert min(sheet["drawdown"]["strategy"]) == pytest.approx(metrics.max_drawdown(frame["strategy_return"]), rel=1e-5)
    rolling = sheet["rolling_sharpe"]["strategy"]
    assert rolling[: ROLLING_BARS - 1] == [None] * (ROLLING_BARS - 1)
    last_window = frame["strategy_return"].to_numpy()[-ROLLING_BARS:]
    assert rolling[-1] == pytest.approx(metrics.sharpe_ratio(last_window), rel=1e-5)


def test_monthly_returns_compound_to_the_whole_period(predictions):
    frame, forward = predictions
    monthly = tear_sheet(predictions=frame, market_returns=forward, target="direction")["monthly"]
    assert monthly["years"] == [2010, 2011, 2012, 2013, 2014]
    growth = math.prod(1 + v for row in monthly["rows"] for v in row if v is not None)
    assert growth == pytest.approx(np.prod(1 + frame["strategy_return"].to_numpy()), rel=1e-4)
    assert math.prod(1 + t for t in monthly["totals"]) == pytest.approx(growth, rel=1e-4)


def test_calibration_has_ten_equal_deciles_in_order(predictions):
    frame, forward = predictions
    table = tear_sheet(predictions=frame, market_returns=forward, target="direction")["calibration"]
    assert [row["decile"] for row in table] == list(range(1, 11))
    assert sum(row["count"] for row in table) == frame["proba"].notna().sum()
    assert [row["predicted"] for row in table] == sorted(row["predicted"] for row in table)
    assert all(0 <= row["realised"] <= 1 for row in table)


def test_volatility_target_draws_predicted_against_realised(predictions):
    frame, forward = predictions
    vol = frame.assign(y_true=forward.abs(), y_pred=forward.abs().rolling(5, min_periods=1).mean())
    sheet = tear_sheet(predictions=vol, market_returns=forward, target="volatility")
    assert "equity" not in sheet and len(sheet["volatility"]["predicted"]) == len(vol)


def test_compare_puts_trials_on_one_time_axis(predictions):
    frame, _ = predictions
    first, second = frame["strategy_return"].iloc[:300], frame["strategy_return"].iloc[200:600]
    curves = compare_curves({"1": first, "2": second})
    assert len(curves["time"]) == 600 and curves["names"] == ["1", "2"]
    assert curves["equity"][0][299] is not None and curves["equity"][0][300] is None
    assert curves["equity"][1][199] is None and curves["equity"][1][200] == pytest.approx(1 + second.iloc[0], rel=1e-5)


def test_times_are_unix_seconds_whatever_the_index_resolution(predictions):
    frame, forward = predictions
    frame = frame.set_axis(pd.DatetimeIndex(frame.index).as_unit("us"))  # what rows read from the database give
    sheet = tear_sheet(predictions=frame, market_returns=forward.set_axis(frame.index), target="direction")
    first = pd.Timestamp(frame.index[0]).tz_localize("UTC") if frame.index.tz is None else frame.index[0]
    assert sheet["time"][0] == int(first.timestamp())


def test_rounding_to_six_significant_digits_is_the_formatted_value():
    from trials.tearsheet import _round

    rng = np.random.default_rng(3)
    edges = [0.0, -0.0, 1e-300, 123456.5, 999999.5, np.nan, np.inf]
    values = np.concatenate([np.cumprod(1 + rng.normal(0, 0.01, 5000)), rng.normal(0, 0.01, 5000), edges])
    expected = [float(f"{v:.6g}") if np.isfinite(v) else None for v in values]
    assert _round(values) == expected
