"""Every feature at date t depends only on data up to t: changing anything later leaves it unchanged."""

import arch.data.core_cpi
import arch.data.sp500
import arch.data.wti
import pandas as pd
import pytest

from trials.features import build_features, build_target, known_from, make_dataset


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


@pytest.mark.parametrize(
    ("frequency", "dated", "known"),
    [
        ("1q", "2012-01-01", "2012-06-30"),  # Q1 2012: known at the end of Q2, not on 2012-01-03
        ("6mo", "2012-01-01", "2012-12-31"),
        ("1y", "2012-01-01", "2013-12-31"),
        ("1w", "2012-01-02", "2012-01-16"),
        ("2w", "2012-01-02", "2012-01-30"),
        ("1mo", "2012-01-01", "2012-02-29"),
        ("1d", "2012-01-03", "2012-01-03"),
    ],
)
def test_every_frequency_has_a_publication_lag(bars, frequency, dated, known):
    cpi = arch.data.core_cpi.load()["CPILFESL"]
    # A real series re-dated: one observation (the first, from 1957) at `dated`, the next one a year later.
    series = pd.Series(cpi.iloc[:2].to_numpy(), index=pd.DatetimeIndex([dated, "2014-06-02"]))
    known_at = known_from(series, frequency).index[0]
    assert known_at == pd.Timestamp(known)
    features = build_features(bars, {"X": (series, frequency)})
    before = features.loc[: pd.Timestamp(known) - pd.Timedelta(days=1), "x_level"]
    assert before.isna().all()  # never used before it was published
    assert features.loc[pd.Timestamp(known) :, "x_level"].dropna().iloc[0] == series.iloc[0]


def test_a_declared_lag_replaces_the_frequencys(bars):
    series = pd.Series([1.0, 2.0], index=pd.DatetimeIndex(["2012-01-02", "2013-01-02"]))
    assert known_from(series, "1q", 10).index[0] == pd.Timestamp("2012-01-12")
    with pytest.raises(ValueError, match="no publication lag is known"):
        known_from(series, "tick")


def test_price_features_match_their_definitions_by_hand(bars):
    """Each feature at one date recomputed from the closes with plain Python (windows counted by hand)."""
    import math

    features = build_features(bars)
    close = bars["close"].to_list()
    t = 700  # a row well past every warm-up
    log_ret = [math.log(close[i] / close[i - 1]) for i in range(1, len(close))]  # log_ret[i-1] ends at bar i

    def sample_std(values):
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))

    row = features.iloc[t]
    assert row["ret_5"] == pytest.approx(math.log(close[t] / close[t - 5]))
    assert row["vol_5"] == pytest.approx(sample_std(log_ret[t - 5 : t]))  # the 5 returns ending at bar t
    assert row["vol_20"] == pytest.approx(sample_std(log_ret[t - 20 : t]))
    assert row["ma_gap_20"] == pytest.approx(close[t] / (sum(close[t - 19 : t + 1]) / 20) - 1)
    # Wilder's RSI(14): smoothed average gain over smoothed average loss, from the first change on.
    gain = loss = 0.0
    for i, change in enumerate(close[k] - close[k - 1] for k in range(1, t + 1)):
        up, down = max(change, 0.0), max(-change, 0.0)
        gain, loss = (up, down) if i == 0 else (gain + (up - gain) / 14, loss + (down - loss) / 14)
    assert row["rsi_14"] == pytest.approx(100 - 100 / (1 + gain / loss))
