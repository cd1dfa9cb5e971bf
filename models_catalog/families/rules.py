"""Technical trading rules as honest baselines: nothing is fitted, every score at date t is computed from bars up
to t (rolling windows look back, positions carry forward), and they run through the same runner and metrics.

Each rule returns a bullishness score in [0, 1] per bar (see RuleModel). Signal-strength rules map a signed,
volatility-normalised strength z to 0.5 + 0.5 * tanh(z). Rules that hold a position between an entry and an
exit event give 0.25 + 0.5 * position + 0.25 * tanh(z): the side comes from the position and the strength only
orders scores within a side, so score > 0.5 exactly when the rule is long.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..adapters import RuleModel
from ..definition import ModelDefinition, Param
from ..indicators import rsi
from ..lazy import deferred

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")

TARGETS = ("direction", "return")


def strength(z: pd.Series) -> pd.Series:
    return 0.5 + 0.5 * np.tanh(z)


def held(enter: pd.Series, leave: pd.Series, z: pd.Series) -> pd.Series:
    """Long from each `enter` bar until the next `leave` bar (an enter wins a tie), scored as described above."""
    state = pd.Series(np.nan, index=enter.index)
    state[leave.fillna(False).astype(bool)] = 0.0
    state[enter.fillna(False).astype(bool)] = 1.0
    position = state.ffill().fillna(0.0)
    return 0.25 + 0.5 * position + 0.25 * np.tanh(z)


def daily_vol(close: pd.Series, window: int = 20) -> pd.Series:
    return np.log(close).diff().rolling(window).std()


def average_true_range(bars: pd.DataFrame, window: int) -> pd.Series:
    previous = bars["close"].shift(1)
    true_range = pd.concat(
        [bars["high"] - bars["low"], (bars["high"] - previous).abs(), (bars["low"] - previous).abs()], axis=1
    ).max(axis=1)
    return true_range.ewm(alpha=1 / window, adjust=False, min_periods=window).mean()


def moving_average(close: pd.Series, window: int, kind: str) -> pd.Series:
    if kind == "ema":
        return close.ewm(span=window, adjust=False, min_periods=window).mean()
    return close.rolling(window).mean()


def buy_and_hold(bars):
    return pd.Series(1.0, index=bars.index)


def ma_crossover(bars, *, fast, slow, kind):
    close = bars["close"]
    gap = moving_average(close, fast, kind) / moving_average(close, slow, kind) - 1
    return strength(gap / daily_vol(close))


def momentum(bars, *, lookback, skip):
    close = bars["close"]
    move = np.log(close.shift(skip) / close.shift(lookback))
    return strength(move / (daily_vol(close) * np.sqrt(lookback - skip)))


def short_term_reversal(bars, *, lookback):
    close = bars["close"]
    return strength(-np.log(close / close.shift(lookback)) / (daily_vol(close) * np.sqrt(lookback)))


def rsi_reversion(bars, *, window, lower, upper):
    level = rsi(bars["close"], window)
    return held(level < lower, level > upper, (50 - level) / 10)


def macd(bars, *, fast, slow, signal):
    close = bars["close"]
    line = close.ewm(span=fast, adjust=False).mean() - close.ewm(span=slow, adjust=False).mean()
    histogram = line - line.ewm(span=signal, adjust=False).mean()
    histogram.iloc[: slow + signal] = np.nan  # the EMAs have not warmed up yet
    return strength(histogram / (close * daily_vol(close)))


def bollinger_reversion(bars, *, window, width):
    close = bars["close"]
    mean, sd = close.rolling(window).mean(), close.rolling(window).std()
    z = (close - mean) / sd
    return held(z < -width, z > 0, -z)


def donchian_breakout(bars, *, entry, exit):
    close = bars["close"]
    upper, lower = bars["high"].rolling(entry).max().shift(1), bars["low"].rolling(entry).min().shift(1)
    exit_low = bars["low"].rolling(exit).min().shift(1)
    z = (close - (upper + lower) / 2) / ((upper - lower) / 2)
    return held(close > upper, close < exit_low, z)


def volume_breakout(bars, *, window, volume_ratio, exit):
    close, volume = bars["close"], bars["volume"]
    prior_high = bars["high"].rolling(window).max().shift(1)
    usual_volume = volume.rolling(window).mean().shift(1)
    loud = volume > volume_ratio * usual_volume
    z = np.log(volume / usual_volume).where(usual_volume > 0)
    return held((close > prior_high) & loud, close < bars["low"].rolling(exit).min().shift(1), z)


def stochastic_reversion(bars, *, window, smooth, lower, upper):
    low, high = bars["low"].rolling(window).min(), bars["high"].rolling(window).max()
    percent_d = (100 * (bars["close"] - low) / (high - low)).rolling(smooth).mean()
    return held(percent_d < lower, percent_d > upper, (50 - percent_d) / 10)


def keltner_breakout(bars, *, window, atr_multiple):
    close = bars["close"]
    middle = close.ewm(span=window, adjust=False, min_periods=window).mean()
    atr = average_true_range(bars, window)
    return held(close > middle + atr_multiple * atr, close < middle, (close - middle) / atr)


def obv_trend(bars, *, window):
    close, volume = bars["close"], bars["volume"]
    obv = (np.sign(close.diff()).fillna(0) * volume).cumsum()
    # Relative to its own moving average, so where the bars start (the cumulative sum's origin) cancels out.
    return strength((obv - obv.rolling(window).mean()) / volume.rolling(window).sum() * np.sqrt(window))


def adx_trend(bars, *, window, threshold):
    high, low = bars["high"], bars["low"]
    up, down = high.diff(), -low.diff()
    plus_dm = up.where((up > down) & (up > 0), 0.0)
    minus_dm = down.where((down > up) & (down > 0), 0.0)
    atr = average_true_range(bars, window)

    def wilder(series):
        return series.ewm(alpha=1 / window, adjust=False, min_periods=window).mean()

    plus_di, minus_di = 100 * wilder(plus_dm) / atr, 100 * wilder(minus_dm) / atr
    adx = wilder(100 * (plus_di - minus_di).abs() / (plus_di + minus_di))
    trending = (adx > threshold).astype("float64").where(adx.notna())
    return strength(trending * (plus_di - minus_di) / 10)


def volatility_filter(bars, *, short, long, threshold):
    close = bars["close"]
    ratio = daily_vol(close, short) / daily_vol(close, long)
    return strength(3 * np.log(threshold / ratio))


def near_high_momentum(bars, *, window, band):
    close = bars["close"]
    proximity = close / close.rolling(window).max()
    return strength((proximity - (1 - band)) / (daily_vol(close) * np.sqrt(5)))


def cci_reversion(bars, *, window, level):
    typical = (bars["high"] + bars["low"] + bars["close"]) / 3
    mean = typical.rolling(window).mean()
    deviation = typical.rolling(window).apply(lambda x: np.abs(x - x.mean()).mean(), raw=True)
    cci = (typical - mean) / (0.015 * deviation)
    return held(cci < -level, cci > 0, -cci / level)


def close_location_reversal(bars, *, window):
    spread = (bars["high"] - bars["low"]).replace(0, np.nan)
    location = ((bars["close"] - bars["low"]) / spread).rolling(window).mean()  # 0 at the lows, 1 at the highs
    return strength(4 * (0.5 - location))


def turn_of_month(bars, *, days_before, days_after):
    """Long for the next bar when it falls in the last `days_before` or first `days_after` trading days of a
    month (the turn-of-the-month effect). Sessions are counted on the Monday-Friday calendar (exchange holidays
    ignored), so the rule needs no later bars."""

    def day(values):
        return np.asarray(values, dtype="datetime64[D]")

    following = bars.index + pd.offsets.BDay(1)
    month_start = following.to_period("M").start_time
    month_end = following + pd.offsets.BMonthEnd(0)
    session = np.busday_count(day(month_start), day(following)) + 1  # 1 = the month's first session
    sessions_after = np.busday_count(day(following) + 1, day(month_end) + 1)
    in_window = (sessions_after < days_before) | (session <= days_after)
    return pd.Series(np.where(in_window, 0.75, 0.25), index=bars.index)


def ichimoku_cloud(bars, *, tenkan, kijun, senkou):
    """Long while the close is above the cloud (the two spans, plotted `kijun` bars ahead, so computed from bars
    `kijun` back) and the conversion line is above the base line."""
    high, low, close = bars["high"], bars["low"], bars["close"]

    def midpoint(window):
        return (high.rolling(window).max() + low.rolling(window).min()) / 2

    conversion, base = midpoint(tenkan), midpoint(kijun)
    span_a, span_b = ((conversion + base) / 2).shift(kijun), midpoint(senkou).shift(kijun)
    top, bottom = np.maximum(span_a, span_b), np.minimum(span_a, span_b)
    above = (close > top) & (conversion > base)
    below = close < bottom
    z = (close - (top + bottom) / 2) / (close * daily_vol(close) * np.sqrt(kijun))
    return held(above, below, z).where(span_b.notna())


def parabolic_sar(bars, *, step, maximum):
    """Wilder's parabolic stop-and-reverse: long while the close is above the SAR, which trails the trend and
    accelerates by `step` (up to `maximum`) at each new extreme."""
    high, low = bars["high"].to_numpy(), bars["low"].to_numpy()
    n = len(high)
    long_side = np.ones(n, dtype=bool)
    sar = np.full(n, np.nan)
    if n < 3:
        return pd.Series(0.5, index=bars.index)
    up, af, extreme, point = True, step, high[0], low[0]
    for t in range(1, n):
        point = point + af * (extreme - point)
        if up:
            point = min(point, low[t - 1], low[max(t - 2, 0)])
            if low[t] < point:
                up, point, extreme, af = False, extreme, low[t], step
            elif high[t] > extreme:
                extreme, af = high[t], min(af + step, maximum)
        else:
            point = max(point, high[t - 1], high[max(t - 2, 0)])
            if high[t] > point:
                up, point, extreme, af = True, extreme, high[t], step
            elif low[t] < extreme:
                extreme, af = low[t], min(af + step, maximum)
        sar[t], long_side[t] = point, up
    close = bars["close"]
    z = (close - sar) / (close * daily_vol(close))
    position = pd.Series(long_side.astype("float64"), index=bars.index)
    return (0.25 + 0.5 * position + 0.25 * np.tanh(z)).where(~np.isnan(sar))


def aroon_trend(bars, *, window, threshold):
    """Long when Aroon-up (how recent the window's high is) is above `threshold` and above Aroon-down."""

    def recency(series, pick):
        return series.rolling(window + 1).apply(lambda x: pick(x) / window * 100, raw=True)

    aroon_up = recency(bars["high"], lambda x: np.argmax(x))
    aroon_down = recency(bars["low"], lambda x: np.argmin(x))
    trending = (aroon_up > threshold) & (aroon_up > aroon_down)
    return held(trending, aroon_up < aroon_down, (aroon_up - aroon_down) / 50)


def money_flow_index(bars, window):
    typical = (bars["high"] + bars["low"] + bars["close"]) / 3
    flow = typical * bars["volume"]
    change = typical.diff()
    positive = flow.where(change > 0, 0.0).rolling(window).sum()
    negative = flow.where(change < 0, 0.0).rolling(window).sum()
    return 100 - 100 / (1 + positive / negative.replace(0, np.nan))


def mfi_reversion(bars, *, window, lower, upper):
    """RSI weighted by volume (the money flow index): buy below `lower`, sell above `upper`."""
    level = money_flow_index(bars, window)
    return held(level < lower, level > upper, (50 - level) / 10)


def chaikin_money_flow(bars, *, window):
    """Long while Chaikin money flow (volume weighted by where the close sits in the day's range) is positive:
    buying pressure."""
    spread = (bars["high"] - bars["low"]).replace(0, np.nan)
    multiplier = ((bars["close"] - bars["low"]) - (bars["high"] - bars["close"])) / spread
    volume = bars["volume"].where(bars["volume"] > 0)
    cmf = (multiplier * volume).rolling(window).sum() / volume.rolling(window).sum()
    return strength(5 * cmf)


def kama_trend(bars, *, window, fast, slow):
    """Long while the close is above Kaufman's adaptive moving average, which speeds up in trends (efficiency
    ratio near 1) and slows down in noise."""
    close = bars["close"].to_numpy()
    change = np.abs(pd.Series(close).diff(window).to_numpy())
    noise = pd.Series(np.abs(np.diff(close, prepend=np.nan))).rolling(window).sum().to_numpy()
    ratio = np.where(noise > 0, change / noise, 0.0)
    smoothing = (ratio * (2 / (fast + 1) - 2 / (slow + 1)) + 2 / (slow + 1)) ** 2
    kama = np.full(len(close), np.nan)
    for t in range(window, len(close)):
        previous = close[t - 1] if np.isnan(kama[t - 1]) else kama[t - 1]
        kama[t] = previous + smoothing[t] * (close[t] - previous)
    series = bars["close"]
    return strength((series - kama) / (series * daily_vol(series) * np.sqrt(window)))


def trix(bars, *, window, signal):
    """Long while TRIX (the one-bar change of a triple-smoothed EMA of the log close) is above its signal EMA."""
    smoothed = np.log(bars["close"])
    for _ in range(3):
        smoothed = smoothed.ewm(span=window, adjust=False).mean()
    rate = smoothed.diff()
    gap = rate - rate.ewm(span=signal, adjust=False).mean()
    gap.iloc[: 3 * window + signal] = np.nan  # warm-up of the smoothing
    return strength(gap / (daily_vol(bars["close"]) / window))


def vortex(bars, *, window):
    """Long while the positive vortex movement (today's high against yesterday's low) dominates the negative."""
    high, low, close = bars["high"], bars["low"], bars["close"]
    previous = close.shift(1)
    true_range = pd.concat([high - low, (high - previous).abs(), (low - previous).abs()], axis=1).max(axis=1)
    total = true_range.rolling(window).sum()
    plus = (high - low.shift(1)).abs().rolling(window).sum() / total
    minus = (low - high.shift(1)).abs().rolling(window).sum() / total
    return strength(5 * (plus - minus))


def connors_rsi2(bars, *, trend, oversold, exit):
    """Connors' RSI(2) pullback: in an uptrend (close above its `trend`-bar average) buy when the 2-bar RSI is
    below `oversold`; sell when the close is back above its `exit`-bar average."""
    close = bars["close"]
    level = rsi(close, 2)
    uptrend = close > close.rolling(trend).mean()
    z = (50 - level) / 20
    return held(uptrend & (level < oversold), close > close.rolling(exit).mean(), z).where(level.notna())


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def weekday_effect(bars, *, avoid):
    """Long except for the next session when it falls on the `avoid` weekday (the weekend / Monday effect);
    sessions are counted on the Monday-Friday calendar, so the rule needs no later bars."""
    following = bars.index + pd.offsets.BDay(1)
    return pd.Series(np.where(following.dayofweek == WEEKDAYS.index(avoid), 0.25, 0.75), index=bars.index)


def halloween(bars, *, first_month, last_month):
    """ "Sell in May": long from `first_month` through `last_month` (November to April by default), flat in the
    other months; the month is that of the next business day."""
    month = (bars.index + pd.offsets.BDay(1)).month
    inside = (
        (month >= first_month) | (month <= last_month)
        if first_month > last_month
        else ((month >= first_month) & (month <= last_month))
    )
    return pd.Series(np.where(inside, 0.75, 0.25), index=bars.index)


def gap_reversal(bars, *, threshold):
    """Long for the next bar after a session that opened down by more than `threshold` daily volatilities from
    the previous close (overnight gaps tend to fill); flat otherwise."""
    close = bars["close"]
    gap = np.log(bars["open"] / close.shift(1)) / daily_vol(close)
    return (0.25 + 0.5 * (gap < -threshold) + 0.25 * np.tanh(-gap - threshold)).where(gap.notna())


def coppock_curve(bars, *, long_roc, short_roc, smoothing):
    """Coppock's long-term momentum (a weighted average of two rates of change), here in trading bars: long
    while it is positive and rising."""
    close = bars["close"]
    total = close.pct_change(long_roc) + close.pct_change(short_roc)
    weights = np.arange(1, smoothing + 1)
    curve = total.rolling(smoothing).apply(lambda x: np.dot(x, weights) / weights.sum(), raw=True)
    rising = curve.diff() > 0
    return held((curve > 0) & rising, curve < 0, curve / (daily_vol(close) * np.sqrt(long_roc)))


def supertrend(bars, *, window, multiple):
    """Long while the close is above the SuperTrend line: a trailing band `multiple` average true ranges from the
    mid-price that only moves in the trend's direction and flips when the close crosses it."""
    high, low, close = bars["high"].to_numpy(), bars["low"].to_numpy(), bars["close"].to_numpy()
    atr = average_true_range(bars, window).to_numpy()
    mid = (high + low) / 2
    upper, lower = mid + multiple * atr, mid - multiple * atr
    final_upper, final_lower = upper.copy(), lower.copy()
    up = np.zeros(len(close), dtype=bool)
    for t in range(1, len(close)):
        if np.isnan(atr[t - 1]):
            up[t] = close[t] > mid[t]
            continue
        final_upper[t] = (
            upper[t] if upper[t] < final_upper[t - 1] or close[t - 1] > final_upper[t - 1] else (final_upper[t - 1])
        )
        final_lower[t] = (
            lower[t] if lower[t] > final_lower[t - 1] or close[t - 1] < final_lower[t - 1] else (final_lower[t - 1])
        )
        up[t] = close[t] > final_upper[t - 1] if not up[t - 1] else close[t] >= final_lower[t - 1]
    line = np.where(up, final_lower, final_upper)
    z = (close - line) / atr
    score = 0.25 + 0.5 * up + 0.25 * np.tanh(z)
    return pd.Series(score, index=bars.index).where(~np.isnan(atr))


def volatility_squeeze(bars, *, window, width):
    """The squeeze: when the Bollinger band (`width` standard deviations) sits inside the Keltner channel (1.5
    ATR), volatility is compressed; on its release, follow the direction of the close against its mean."""
    close = bars["close"]
    mean, sd = close.rolling(window).mean(), close.rolling(window).std()
    atr = average_true_range(bars, window)
    squeezed = (width * sd) < (1.5 * atr)
    released = squeezed.shift(1, fill_value=False) & ~squeezed
    momentum = (close - mean) / sd
    return held(released & (momentum > 0), close < mean, momentum).where(sd.notna() & atr.notna())


def heikin_ashi_trend(bars, *, run):
    """Long after `run` consecutive rising Heikin-Ashi candles (open and close averaged to filter noise), until a
    falling one."""
    ha_close = (bars["open"] + bars["high"] + bars["low"] + bars["close"]) / 4
    values = ha_close.to_numpy()
    ha_open = np.empty(len(values))
    ha_open[0] = (bars["open"].iloc[0] + bars["close"].iloc[0]) / 2
    for t in range(1, len(values)):
        ha_open[t] = (ha_open[t - 1] + values[t - 1]) / 2
    rising = pd.Series(values > ha_open, index=bars.index)
    streak = rising.astype(int).rolling(run).sum() == run
    body = (ha_close - ha_open) / (bars["close"] * daily_vol(bars["close"]))
    return held(streak, ~rising, body)


def elder_impulse(bars, *, ema, fast, slow, signal):
    """Elder's impulse system: long while both the `ema`-bar EMA and the MACD histogram are rising (inertia and
    momentum agree), flat once both fall."""
    close = bars["close"]
    trend = close.ewm(span=ema, adjust=False).mean()
    line = close.ewm(span=fast, adjust=False).mean() - close.ewm(span=slow, adjust=False).mean()
    histogram = line - line.ewm(span=signal, adjust=False).mean()
    green = (trend.diff() > 0) & (histogram.diff() > 0)
    red = (trend.diff() < 0) & (histogram.diff() < 0)
    z = histogram.diff() / (close * daily_vol(close) / slow)
    score = held(green, red, z)
    score.iloc[: slow + signal] = np.nan
    return score


def _rule(key, name, description, score, params=()):
    return ModelDefinition(
        key=key,
        name=name,
        family="rule",
        library="mlTrainer",
        targets=TARGETS,
        description=description,
        factory=lambda p, *, target, seed, horizon: RuleModel(score, p, target=target),
        params=params,
    )


def window(name, default, low=2, high=500, help=""):
    return Param(name, "int", default, low, high, help=help)


DEFINITIONS = [
    _rule(
        "buy_and_hold",
        "Buy and hold",
        "Always long: the benchmark every direction model has to beat after costs.",
        buy_and_hold,
    ),
    _rule(
        "ma_crossover",
        "Moving-average crossover",
        "Long while the fast moving average is above the slow one; strength is the gap in daily volatilities.",
        ma_crossover,
        (
            window("fast", 20),
            window("slow", 100, 5, 1000),
            Param("kind", "choice", "sma", choices=("sma", "ema"), help="simple or exponential averages"),
        ),
    ),
    _rule(
        "momentum",
        "Time-series momentum",
        "Long when the return over the lookback (optionally skipping the latest bars) is positive, scaled as a "
        "t-statistic.",
        momentum,
        (window("lookback", 120, 5, 1000), window("skip", 0, 0, 100, help="most recent bars left out")),
    ),
    _rule(
        "short_term_reversal",
        "Short-term reversal",
        "Long after a fall over the last few bars, flat after a rise: bets that short moves overshoot.",
        short_term_reversal,
        (window("lookback", 5, 1, 60),),
    ),
    _rule(
        "rsi_reversion",
        "RSI mean reversion",
        "Buy when Wilder's RSI drops below `lower` (oversold), sell when it rises above `upper`.",
        rsi_reversion,
        (
            window("window", 14),
            Param("lower", "float", 30.0, 1.0, 50.0),
            Param("upper", "float", 70.0, 50.0, 99.0),
        ),
    ),
    _rule(
        "macd",
        "MACD signal-line cross",
        "Long while the MACD line (fast minus slow EMA) is above its signal EMA.",
        macd,
        (window("fast", 12), window("slow", 26), window("signal", 9, 2, 100)),
    ),
    _rule(
        "bollinger_reversion",
        "Bollinger band mean reversion",
        "Buy a close below the lower band (mean minus `width` standard deviations), sell back at the mean.",
        bollinger_reversion,
        (window("window", 20), Param("width", "float", 2.0, 0.5, 5.0, help="band width in standard deviations")),
    ),
    _rule(
        "donchian_breakout",
        "Donchian channel breakout",
        "Turtle-style trend following: buy a close above the prior `entry`-bar high, sell below the prior "
        "`exit`-bar low.",
        donchian_breakout,
        (window("entry", 55), window("exit", 20)),
    ),
    _rule(
        "volume_breakout",
        "Volume-confirmed breakout",
        "Buy a close above the prior high only on volume well above normal; sell below the prior `exit`-bar low.",
        volume_breakout,
        (
            window("window", 20),
            Param("volume_ratio", "float", 1.5, 1.0, 10.0, help="volume versus its average needed to confirm"),
            window("exit", 10),
        ),
    ),
    _rule(
        "stochastic_reversion",
        "Stochastic oscillator reversion",
        "Buy when the smoothed %K (close within the recent high-low range) is below `lower`, sell above `upper`.",
        stochastic_reversion,
        (
            window("window", 14),
            window("smooth", 3, 1, 20),
            Param("lower", "float", 20.0, 1.0, 50.0),
            Param("upper", "float", 80.0, 50.0, 99.0),
        ),
    ),
    _rule(
        "keltner_breakout",
        "Keltner channel breakout",
        "Buy a close above the EMA plus `atr_multiple` average true ranges, sell back below the EMA.",
        keltner_breakout,
        (window("window", 20), Param("atr_multiple", "float", 1.5, 0.25, 5.0)),
    ),
    _rule(
        "obv_trend",
        "On-balance volume trend",
        "Long while on-balance volume (volume signed by the day's move) is above its moving average: volume "
        "leading price.",
        obv_trend,
        (window("window", 20),),
    ),
    _rule(
        "adx_trend",
        "ADX directional trend",
        "Long when Wilder's ADX says the market is trending (above `threshold`) and +DI is above -DI.",
        adx_trend,
        (window("window", 14), Param("threshold", "float", 20.0, 5.0, 60.0)),
    ),
    _rule(
        "volatility_filter",
        "Low-volatility filter",
        "Long while short-term volatility is below `threshold` times long-term volatility: stay out of "
        "turbulent markets.",
        volatility_filter,
        (window("short", 20), window("long", 120, 10, 1000), Param("threshold", "float", 1.0, 0.3, 3.0)),
    ),
    _rule(
        "near_high_momentum",
        "Near-high momentum",
        "George-Hwang style: long while the close is within `band` of its `window`-bar high.",
        near_high_momentum,
        (window("window", 250, 20, 1000), Param("band", "float", 0.05, 0.005, 0.5)),
    ),
    _rule(
        "cci_reversion",
        "CCI mean reversion",
        "Buy when the commodity channel index falls below -`level` (stretched below its typical price), sell "
        "when it is back above zero.",
        cci_reversion,
        (window("window", 20), Param("level", "float", 100.0, 20.0, 300.0)),
    ),
    _rule(
        "close_location_reversal",
        "Close-location reversal",
        "Long after closes near the bottom of the day's high-low range (averaged over `window` bars), which "
        "tend to bounce.",
        close_location_reversal,
        (window("window", 3, 1, 20),),
    ),
    _rule(
        "turn_of_month",
        "Turn-of-the-month calendar rule",
        "Long only around month ends (the last few and first few trading days), a documented calendar anomaly; "
        "trading days left in the month come from the business-day calendar, not from later bars.",
        turn_of_month,
        (window("days_before", 1, 0, 10), window("days_after", 3, 0, 10)),
    ),
    _rule(
        "ichimoku_cloud",
        "Ichimoku cloud",
        "Long while the close is above the Ichimoku cloud (the two leading spans, as plotted, so computed from bars "
        "`kijun` back) and the conversion line is above the base line; flat below the cloud.",
        ichimoku_cloud,
        (window("tenkan", 9), window("kijun", 26), window("senkou", 52)),
    ),
    _rule(
        "parabolic_sar",
        "Parabolic SAR",
        "Wilder's parabolic stop-and-reverse: long while the close is above a stop that trails the trend and "
        "accelerates at each new extreme.",
        parabolic_sar,
        (Param("step", "float", 0.02, 0.001, 0.2, log=True), Param("maximum", "float", 0.2, 0.01, 1.0)),
    ),
    _rule(
        "aroon_trend",
        "Aroon trend",
        "Long while the window's high is recent (Aroon-up above `threshold` and above Aroon-down).",
        aroon_trend,
        (window("window", 25), Param("threshold", "float", 70.0, 10.0, 99.0)),
    ),
    _rule(
        "mfi_reversion",
        "Money flow index reversion",
        "The money flow index (an RSI weighted by volume): buy below `lower`, sell above `upper`.",
        mfi_reversion,
        (window("window", 14), Param("lower", "float", 30.0, 1.0, 50.0), Param("upper", "float", 70.0, 50.0, 99.0)),
    ),
    _rule(
        "chaikin_money_flow",
        "Chaikin money flow",
        "Long while Chaikin money flow (volume weighted by where each close sits in its day's range) shows buying "
        "pressure.",
        chaikin_money_flow,
        (window("window", 20),),
    ),
    _rule(
        "kama_trend",
        "Kaufman adaptive moving average",
        "Long while the close is above Kaufman's adaptive average, fast in trends and slow in noise (efficiency "
        "ratio over `window` bars).",
        kama_trend,
        (window("window", 10), window("fast", 2, 2, 50), window("slow", 30, 5, 200)),
    ),
    _rule(
        "trix",
        "TRIX",
        "Long while the rate of change of a triple-smoothed EMA is above its signal line.",
        trix,
        (window("window", 15), window("signal", 9)),
    ),
    _rule(
        "vortex",
        "Vortex indicator",
        "Long while positive vortex movement (highs against the previous lows) outweighs negative movement.",
        vortex,
        (window("window", 14),),
    ),
    _rule(
        "connors_rsi2",
        "Connors RSI(2) pullback",
        "In an uptrend (close above its `trend`-bar average), buy when the 2-bar RSI is oversold; sell once the "
        "close is back above its `exit`-bar average.",
        connors_rsi2,
        (window("trend", 200, 20, 500), Param("oversold", "float", 10.0, 1.0, 40.0), window("exit", 5)),
    ),
    _rule(
        "weekday_effect",
        "Weekday effect",
        "Long except for the next session when it falls on the `avoid` weekday (the Monday effect by default).",
        weekday_effect,
        (Param("avoid", "choice", "monday", choices=WEEKDAYS),),
    ),
    _rule(
        "halloween",
        "Halloween (sell in May)",
        "Long from November through April and flat from May to October, the Bouman-Jacobsen seasonal anomaly "
        "(months adjustable).",
        halloween,
        (Param("first_month", "int", 11, 1, 12), Param("last_month", "int", 4, 1, 12)),
    ),
    _rule(
        "gap_reversal",
        "Overnight gap reversal",
        "Long for the next bar after a session that opened down by more than `threshold` daily volatilities from "
        "the previous close: betting that the gap fills.",
        gap_reversal,
        (Param("threshold", "float", 0.5, 0.0, 5.0),),
    ),
    _rule(
        "coppock_curve",
        "Coppock curve",
        "Coppock's long-term momentum (a weighted average of two rates of change, here over about six months of "
        "trading bars instead of 14 and 11 months): long while "
        "positive and rising.",
        coppock_curve,
        (window("long_roc", 126, 20, 1000), window("short_roc", 105, 10, 1000), window("smoothing", 42, 5, 1000)),
    ),
    _rule(
        "supertrend",
        "SuperTrend",
        "Long while the close is above the SuperTrend: an ATR band that trails the trend and flips when crossed.",
        supertrend,
        (window("window", 10), Param("multiple", "float", 3.0, 0.5, 10.0)),
    ),
    _rule(
        "volatility_squeeze",
        "Volatility squeeze breakout",
        "When Bollinger bands leave the Keltner channel after a squeeze (compressed volatility), follow the close "
        "against its mean; exit back at the mean.",
        volatility_squeeze,
        (window("window", 20), Param("width", "float", 2.0, 0.5, 5.0, help="Bollinger width in standard deviations")),
    ),
    _rule(
        "heikin_ashi_trend",
        "Heikin-Ashi trend",
        "Long after `run` consecutive rising Heikin-Ashi candles (averaged open and close), until a falling one.",
        heikin_ashi_trend,
        (window("run", 3, 1, 20),),
    ),
    _rule(
        "elder_impulse",
        "Elder impulse system",
        "Long while both a 13-bar EMA and the MACD histogram rise (trend and momentum agree), flat once both fall.",
        elder_impulse,
        (window("ema", 13), window("fast", 12), window("slow", 26), window("signal", 9, 2, 100)),
    ),
]
