"""The papers' formulas written out independently of trials.metrics, for tests to compare against."""

import math
from itertools import combinations

import numpy as np
import pandas as pd
from scipy.stats import kurtosis, norm, rankdata, skew

EULER_GAMMA = 0.5772156649015329


def psr_by_hand(r: np.ndarray, sr_star: float) -> float:
    """Bailey and López de Prado (2012), eq. for the probabilistic Sharpe ratio, with sample moments."""
    r = np.asarray(r, dtype="float64")
    sr = r.mean() / r.std(ddof=1)
    g3, g4 = skew(r), kurtosis(r, fisher=False)  # kurtosis not excess
    return norm.cdf((sr - sr_star) * math.sqrt(len(r) - 1) / math.sqrt(1 - g3 * sr + (g4 - 1) / 4 * sr**2))


def expected_max_by_hand(sharpes: list[float], n: int) -> float:
    """Bailey and López de Prado (2014): SR0 = √V[SR]·((1 − γ)Φ⁻¹(1 − 1/N) + γΦ⁻¹(1 − 1/(N e)))."""
    v = np.var(sharpes, ddof=1)
    return math.sqrt(v) * ((1 - EULER_GAMMA) * norm.ppf(1 - 1 / n) + EULER_GAMMA * norm.ppf(1 - 1 / (n * math.e)))


def pbo_by_hand(matrix: np.ndarray, s: int) -> float:
    """Bailey, Borwein, López de Prado and Zhu (2015), CSCV steps 1-6, written out with pandas and scipy."""
    t, n = matrix.shape
    size = t // s
    parts = [pd.DataFrame(matrix[i * size : (i + 1) * size]) for i in range(s)]
    below = 0
    combos = list(combinations(range(s), s // 2))
    for chosen in combos:
        train = pd.concat([parts[i] for i in chosen])
        test = pd.concat([parts[i] for i in range(s) if i not in chosen])
        r_train = train.mean() / train.std()
        r_test = test.mean() / test.std()
        best = int(np.argmax(r_train.to_numpy()))
        omega = rankdata(r_test.to_numpy())[best] / (n + 1)
        below += math.log(omega / (1 - omega)) <= 0
    return below / len(combos)
