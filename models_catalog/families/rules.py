"""Technical trading rules as honest baselines: nothing is fitted, every score at date t is computed from bars up
to t (rolling windows look back, positions carry forward), and they run through the same runner and metrics.

Each rule returns a bullishness score in [0, 1] per bar (see RuleModel). Signal-strength rules map a signed,
volatility-normalised strength z to 0.5 + 0.5 * tanh(z). Rules that hold a position between an entry and an
exit event give 0.25 + 0.5 * position + 0.25 * tanh(z): the side comes from the position and the strength only
orders scores within a side, so score > 0.5 exactly when the rule is long.
"""

import numpy as np
import pandas as pd

from trials.features import rsi

from ..adapters import RuleModel
from ..definition import ModelDefinition, Param

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
]
