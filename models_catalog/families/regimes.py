"""Regime models: a Gaussian mixture (scikit-learn) or a Gaussian hidden Markov model (hmmlearn) fitted on the
training window's daily returns and short-term volatility. Their regime probabilities as of each date feed
another model as features, gate a trading rule, or (HMM) forecast the next return's distribution directly.

The HMM's probabilities are forward-filtered: P(regime at t | observations up to t), never hmmlearn's
forward-backward smoothing, which would use later observations. Regimes are ordered calmest first, so
"regime 0" means the same thing in every fold.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from ..adapters import FeatureModel, Forecast, ForecastModel, RuleModel
from ..definition import ModelDefinition, Param
from ..lazy import deferred

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")
from .common import REGRESSION_TARGETS
from .rules import ma_crossover, momentum

GaussianHMM = deferred("hmmlearn.hmm", "GaussianHMM")
multivariate_normal, norm = deferred("scipy.stats", "multivariate_normal", "norm")
GradientBoostingClassifier, GradientBoostingRegressor = deferred(
    "sklearn.ensemble", "GradientBoostingClassifier", "GradientBoostingRegressor"
)
ConvergenceWarning = deferred("sklearn.exceptions", "ConvergenceWarning")
LogisticRegression, Ridge = deferred("sklearn.linear_model", "LogisticRegression", "Ridge")
GaussianMixture = deferred("sklearn.mixture", "GaussianMixture")

PCT = 100.0
VOL_WINDOW = 10


def observations(bars: pd.DataFrame) -> pd.DataFrame:
    """Per bar: the daily log return and the 10-bar realised volatility, in percent."""
    returns = np.log(bars["close"]).diff() * PCT
    return pd.DataFrame({"ret": returns, "vol": returns.rolling(VOL_WINDOW).std()}).dropna()


class RegimeDetector:
    def __init__(self, kind: str, n_regimes: int, seed: int):
        self.kind = kind
        self.n_regimes = n_regimes
        self.seed = seed

    def fit(self, bars: pd.DataFrame, start, end):
        obs = observations(bars).loc[start:end]
        self.start_ = obs.index[0]
        if self.kind == "gmm":
            self.model_ = GaussianMixture(self.n_regimes, covariance_type="full", random_state=self.seed)
        else:
            self.model_ = GaussianHMM(self.n_regimes, covariance_type="full", n_iter=50, random_state=self.seed)
        with warnings.catch_warnings():
            # EM stopping at its iteration cap is routine here (hmmlearn only logs it; scikit-learn warns).
            warnings.simplefilter("ignore", ConvergenceWarning.resolve())
            self.model_.fit(obs.to_numpy())
        self.order_ = np.argsort(self.model_.means_[:, 1])  # by mean volatility: calmest regime first
        return self

    def probabilities(self, bars: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
        """(dates, regimes) probabilities of each regime at each date given observations up to that date."""
        obs = observations(bars).loc[min(self.start_, dates[0]) :]
        probs = self.model_.predict_proba(obs.to_numpy()) if self.kind == "gmm" else self._filtered(obs.to_numpy())
        frame = pd.DataFrame(probs[:, self.order_], index=obs.index)
        return frame.reindex(dates).fillna(1.0 / self.n_regimes).to_numpy()

    def _filtered(self, obs: np.ndarray) -> np.ndarray:
        model = self.model_
        log_b = np.column_stack(
            [multivariate_normal(model.means_[k], model.covars_[k]).logpdf(obs) for k in range(self.n_regimes)]
        )
        # Scaled forward recursion: alpha_t = normalise((alpha_{t-1} @ A) * b_t), emission densities shifted by
        # each row's maximum (the shift cancels in the normalisation).
        emission = np.exp(log_b - log_b.max(axis=1, keepdims=True))
        filtered = np.empty_like(emission)
        alpha = model.startprob_ * emission[0]
        filtered[0] = alpha / alpha.sum()
        for t in range(1, len(obs)):
            alpha = (filtered[t - 1] @ model.transmat_) * emission[t]
            total = alpha.sum()
            # An observation impossible under every reachable regime: fall back on the emissions alone.
            filtered[t] = alpha / total if total > 0 else emission[t] / emission[t].sum()
        return filtered


class RegimeFeatureModel:
    """A feature model trained on the features plus the regime probabilities (the calmest one left out)."""

    def __init__(self, detector: RegimeDetector, model: FeatureModel):
        self.detector = detector
        self.model = model

    def _with_regimes(self, X, bars):
        probs = self.detector.probabilities(bars, X.index)[:, 1:]
        extra = pd.DataFrame(probs, index=X.index, columns=[f"regime_{k}" for k in range(1, probs.shape[1] + 1)])
        return X.join(extra)

    def fit(self, X, y, bars):
        self.detector.fit(bars, X.index[0], X.index[-1])
        self.model.fit(self._with_regimes(X, bars), y)
        return self

    def predict(self, X, bars):
        return self.model.predict(self._with_regimes(X, bars))

    def predict_proba(self, X, bars):
        return self.model.predict_proba(self._with_regimes(X, bars))


class RegimeFilteredRule(RuleModel):
    """A trading rule that may only be long while the calmest regime's probability is at least `calm`."""

    def __init__(self, detector: RegimeDetector, score, params: dict, *, calm: float, target: str):
        super().__init__(self._gated, params, target=target)
        self.detector = detector
        self.rule = score
        self.calm = calm

    def _gated(self, bars, **params):
        score = self.rule(bars, **params)
        calm = self.detector.probabilities(bars, bars.index[bars.index >= self.detector.start_])[:, 0]
        calm = pd.Series(calm, index=bars.index[bars.index >= self.detector.start_]).reindex(bars.index)
        return score.where(calm >= self.calm, np.minimum(score, 0.5))

    def fit(self, X, y, bars):
        self.detector.fit(bars, X.index[0], X.index[-1])
        return self


class HmmForecast(ForecastModel):
    """The HMM's own forecast: filtered regime probabilities pushed through the transition matrix weight each
    regime's normal distribution of the next daily return."""

    def __init__(self, detector: RegimeDetector, *, target: str, horizon: int = 1):
        super().__init__(target=target, horizon=horizon)
        self.detector = detector

    def fit(self, X, y, bars):
        self.start_ = X.index[0]
        self.detector.fit(bars, X.index[0], X.index[-1])
        return self

    def _forecast(self, X, bars):
        model, order = self.detector.model_, self.detector.order_
        probs = self.detector.probabilities(bars, X.index)  # columns in calm-first order
        transmat = model.transmat_[np.ix_(order, order)]
        mu, sigma2 = model.means_[order, 0], model.covars_[order, 0, 0]
        means, variances, p_up = [], [], None
        for _ in range(self.horizon):
            probs = probs @ transmat
            mean = probs @ mu
            means.append(mean)
            variances.append(probs @ (sigma2 + mu**2) - mean**2)
            if self.horizon == 1:
                p_up = probs @ norm.cdf(mu / np.sqrt(sigma2))
        return Forecast(mean=np.array(means).T / PCT, var=np.array(variances).T / PCT**2, p_up=p_up)


N_REGIMES = Param("n_regimes", "int", 2, 2, 5, help="regimes to find")
DETECTOR = Param(
    "detector", "choice", "hmm", choices=("hmm", "gmm"), help="hidden Markov model (hmmlearn) or Gaussian mixture"
)
CALM = Param("calm", "float", 0.5, 0.0, 1.0, help="minimum probability of the calm regime to be long")
BOOSTING = (
    Param("n_estimators", "int", 100, 10, 2000, log=True, help="boosting stages"),
    Param("learning_rate", "float", 0.05, 0.001, 1.0, log=True),
    Param("max_depth", "int", 3, 1, 10),
)
WHAT = (
    "a hidden Markov model (forward-filtered) or a Gaussian mixture on daily returns and 10-day volatility, "
    "fitted on the training window"
)


def _definition(key, name, targets, description, factory, params, *, detector=True):
    return ModelDefinition(
        key=key,
        name=name,
        family="regime",
        library="hmmlearn",
        targets=targets,
        description=description,
        factory=factory,
        params=(N_REGIMES, *((DETECTOR,) if detector else ()), *params),
    )


def _feature_factory(make, *, scale):
    def factory(p, *, target, seed, horizon):
        estimator = make(p, target, seed)
        return RegimeFeatureModel(
            RegimeDetector(p["detector"], p["n_regimes"], seed), FeatureModel(estimator, target=target, scale=scale)
        )

    return factory


def _boosting(p, target, seed):
    cls = GradientBoostingClassifier if target == "direction" else GradientBoostingRegressor
    return cls(
        n_estimators=p["n_estimators"],
        learning_rate=p["learning_rate"],
        max_depth=p["max_depth"],
        subsample=0.8,
        random_state=seed,
    )


def _filter_factory(rule, rule_keys):
    def factory(p, *, target, seed, horizon):
        params = {name: p[name] for name in rule_keys}
        return RegimeFilteredRule(
            RegimeDetector(p["detector"], p["n_regimes"], seed), rule, params, calm=p["calm"], target=target
        )

    return factory


DEFINITIONS = [
    _definition(
        "regime_logistic",
        "Logistic regression with regimes",
        ("direction",),
        f"L2 logistic regression on the features plus regime probabilities from {WHAT}.",
        _feature_factory(lambda p, target, seed: LogisticRegression(C=p["C"], max_iter=1000), scale=True),
        (Param("C", "float", 1.0, 1e-4, 1e4, log=True, help="inverse regularisation strength"),),
    ),
    _definition(
        "regime_ridge",
        "Ridge regression with regimes",
        REGRESSION_TARGETS,
        f"Ridge regression on the features plus regime probabilities from {WHAT}.",
        _feature_factory(lambda p, target, seed: Ridge(alpha=p["alpha"]), scale=True),
        (Param("alpha", "float", 1.0, 1e-6, 1e6, log=True, help="regularisation strength"),),
    ),
    _definition(
        "regime_gradient_boosting",
        "Gradient boosting with regimes",
        ("direction", *REGRESSION_TARGETS),
        f"Gradient-boosted trees on the features plus regime probabilities from {WHAT}: trees can split on the regime.",
        _feature_factory(_boosting, scale=False),
        BOOSTING,
    ),
    _definition(
        "regime_filter_momentum",
        "Momentum, long only in the calm regime",
        ("direction", "return"),
        f"The time-series momentum rule, allowed to be long only while the calm regime of {WHAT} is likely.",
        _filter_factory(momentum, ("lookback", "skip")),
        (
            Param("lookback", "int", 120, 5, 1000),
            Param("skip", "int", 0, 0, 100, help="most recent bars left out"),
            CALM,
        ),
    ),
    _definition(
        "regime_filter_ma_crossover",
        "MA crossover, long only in the calm regime",
        ("direction", "return"),
        f"The moving-average crossover rule, allowed to be long only while the calm regime of {WHAT} is likely.",
        _filter_factory(ma_crossover, ("fast", "slow", "kind")),
        (
            Param("fast", "int", 20, 2, 500),
            Param("slow", "int", 100, 5, 1000),
            Param("kind", "choice", "sma", choices=("sma", "ema")),
            CALM,
        ),
    ),
    _definition(
        "hmm_gaussian",
        "Gaussian hidden Markov model forecast",
        ("direction", "return", "volatility"),
        "A Gaussian HMM on daily returns and 10-day volatility: filtered regime probabilities, moved one step "
        "by the transition matrix, give a mixture forecast of the next returns (mean, P(up), volatility).",
        lambda p, *, target, seed, horizon: HmmForecast(
            RegimeDetector("hmm", p["n_regimes"], seed), target=target, horizon=horizon
        ),
        (),
        detector=False,
    ),
]
