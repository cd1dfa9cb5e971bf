"""Every feature at date t depends only on data up to t: changing anything later leaves it unchanged."""

import arch.data.core_cpi
import arch.data.sp500
import arch.data.wti
import pandas as pd
import pytest

from trials.features import build_features, build_target, make_dataset


@pytest.fixture(scope="module")
def bars():
    raw = arch.data.sp500.load().rename(columns=str.lower)
    return raw[["open", "high", "low", "close", "volume"]].loc["2010":"2013"].astype("float64")


@pytest.fixture(scope="module")
def macro():
    return {
        "DCOILWTICO": (arch.data.wti.load()["DCOILWTICO"].dropna(), "1d"),
        "CPILFESL": (arch.data.core_cpi.load()["CPILFESL"], "1mo"),
    }


@pytest.mark.parametrize("cut", ["2011-06-15", "2012-09-14", "2013-06-28"])
def test_changing_any_value_after_t_leaves_every_feature_at_t_unchanged(bars, macro, cut):
    """Perturb every input known only after t (bars after t; macro values by the date they became known) and
    compare every feature column on every date up to t."""
    cut = pd.Timestamp(cut)
    original = build_features(bars, macro)
    future_bars = bars.copy()
    future_bars.loc[future_bars.index > cut, :] *= 1.37
    wti, _ = macro["DCOILWTICO"]
    cpi, _ = macro["CPILFESL"]
    future_macro = {
        "DCOILWTICO": (wti.where(wti.index <= cut, wti * 5), "1d"),
        # A monthly value dated m is known from the end of month m+1: only values known after t may change.
        "CPILFESL": (cpi.where(cpi.index + pd.offsets.MonthEnd(2) <= cut, cpi * 5), "1mo"),
    }
    shocked = build_features(future_bars, future_macro)
    past = original.index <= cut
    pd.testing.assert_frame_equal(original.loc[past], shocked.loc[past])
    assert not original.loc[~past, "ret_1"].equals(shocked.loc[~past, "ret_1"])  # the shock did land after t


def test_monthly_series_is_used_only_after_publication(bars, macro):
    features = build_features(bars, {"CPILFESL": macro["CPILFESL"]})
    cpi = macro["CPILFESL"][0]
    # On 2012-02-15 the newest known CPI is December 2011's (January's is published in February, known from 29 Feb).
    assert features.loc["2012-02-15", "cpilfesl_level"] == cpi.loc["2011-12-01"]
    assert features.loc["2012-02-29", "cpilfesl_level"] == cpi.loc["2012-01-01"]


def test_target_looks_forward_and_dataset_cuts_bars_after_end(bars):
    labels = build_target(bars, target="return", horizon=5)
    close = bars["close"]
    assert labels.iloc[10] == pytest.approx(close.iloc[15] / close.iloc[10] - 1)
    X, y, next_ret = make_dataset(bars, target="direction", horizon=5, end=pd.Timestamp("2012-12-31"))
    # The last labelled row is 5 bars before the end: its label needs the close on the last bar in range.
    in_range = bars.loc[:"2012-12-31"].index
    assert y.index[-1] == in_range[-6]
    assert X.index.equals(y.index) and X.index.equals(next_ret.index)
    assert not X.isna().any().any()
