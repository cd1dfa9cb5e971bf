"""Adapters that give every library's estimator the runner's fit/predict/predict_proba(X, bars) interface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .lazy import deferred

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")

norm = deferred("scipy.stats", "norm")
clone = deferred("sklearn.base", "clone")
TransformedTargetRegressor = deferred("sklearn.compose", "TransformedTargetRegressor")
make_pipeline = deferred("sklearn.pipeline", "make_pipeline")
StandardScaler = deferred("sklearn.preprocessing", "StandardScaler")


class FeatureModel:
    """A scikit-learn-style estimator trained on the feature frame; `bars` is not needed and ignored.

    `scale` puts a StandardScaler (fitted on the training rows only) in front of models that need it.
    `scale_target` standardises a regression target on the training rows (and maps predictions back): returns and
    volatilities are ~0.01, which defeats penalties, epsilon-tubes and kernels tuned for unit-scale targets.
    `max_train_rows` keeps only the most recent training rows, for models whose cost grows fast with rows.
    """

    def __init__(
        self,
        estimator,
        *,
        target: str,
        scale: bool = False,
        scale_target: bool = False,
        max_train_rows: int | None = None,
    ):
        self.target = target
        self.pipeline = make_pipeline(StandardScaler(), clone(estimator)) if scale else clone(estimator)
        if scale_target and target != "direction":
            self.pipeline = TransformedTargetRegressor(regressor=self.pipeline, transformer=StandardScaler())
        self.max_train_rows = max_train_rows
        self._constant: float | None = None

    def fit(self, X: pd.DataFrame, y: pd.Series, bars: pd.DataFrame | None = None):
        if self.max_train_rows:
            X, y = X.iloc[-self.max_train_rows :], y.iloc[-self.max_train_rows :]
        values = y.to_numpy()
        if self.target == "direction" and len(np.unique(values)) < 2:
            # A training window with one class only: the honest prediction is that class, with certainty.
            self._constant = float(values[0])
            return self
        self._constant = None
        self.pipeline.fit(X.to_numpy(), values)
        return self

    def predict(self, X: pd.DataFrame, bars: pd.DataFrame | None = None) -> np.ndarray:
        if self._constant is not None:
            return np.full(len(X), self._constant)
        return np.asarray(self.pipeline.predict(X.to_numpy()), dtype="float64")

    def predict_proba(self, X: pd.DataFrame, bars: pd.DataFrame | None = None) -> np.ndarray:
        if self._constant is not None:
            return np.full(len(X), self._constant)
        model = self.pipeline
        if hasattr(model, "predict_proba"):
            try:
                classes = list(model.classes_)
                return model.predict_proba(X.to_numpy())[:, classes.index(1)]
            except AttributeError:
                pass  # e.g. SVC(probability=False) exposes predict_proba but refuses to use it
        if hasattr(model, "decision_function"):
            # A monotone map of the margin to (0, 1): enough for ROC AUC, labelled as a score, not a probability.
            return 1.0 / (1.0 + np.exp(-np.asarray(model.decision_function(X.to_numpy()), dtype="float64")))
        return self.predict(X)


def log_returns(bars: pd.DataFrame) -> pd.Series:
    """Daily log returns of the close, dated at the close that ends them."""
    return np.log(bars["close"]).diff().dropna()


@dataclass
class Forecast:
    """Per-origin forecasts of the next `horizon` daily log returns: row i is made at origin i's close.

    `mean` and `var` are (origins, horizon) arrays of each step's conditional mean and variance. `total_var`, when
    the model knows it, is the variance of the cumulative return over the horizon, covariances of the steps'
    errors included; without it the steps' variances are added. `p_up`, when the model knows its predictive
    distribution better than a normal with those moments, is P(cumulative return > 0).
    """

    mean: np.ndarray
    var: np.ndarray
    p_up: np.ndarray | None = None
    total_var: np.ndarray | None = None

    def cumulative_var(self) -> np.ndarray:
        return self.var.sum(axis=1) if self.total_var is None else self.total_var


class ForecastModel:
    """A model of daily log returns, fitted on the training window's returns from `bars`, that forecasts the
    next `horizon` returns as of each date from prices up to that date. Subclasses implement `fit_returns` and
    `forecast` (which must filter forward with the fitted parameters, never smooth); this class turns a forecast
    into each target:

    - return: E[simple return over the horizon] for a lognormal with the cumulative mean and variance;
    - direction: P(up) (normal approximation unless the model supplies its own), y_pred = P(up) > 0.5;
    - volatility: sqrt of the mean expected squared daily log return over the horizon, the target's definition.

    The cumulative variance is the forecast's `total_var` when the model supplies it (ARIMA, autoregressions);
    otherwise the steps' variances are added, exact for horizon 1 and for models whose forecast errors are not
    autocorrelated across steps. `horizon` is the trial's.
    """

    def __init__(self, *, target: str, horizon: int = 1):
        self.target = target
        self.horizon = horizon
        self.start_: pd.Timestamp | None = None

    def fit_returns(self, returns: pd.Series, y: pd.Series) -> None:
        raise NotImplementedError

    def forecast(self, returns: pd.Series, origins: pd.DatetimeIndex) -> Forecast:
        raise NotImplementedError

    def fit(self, X: pd.DataFrame, y: pd.Series, bars: pd.DataFrame):
        self.start_ = X.index[0]
        self.fit_returns(log_returns(bars).loc[X.index[0] : X.index[-1]], y)
        return self

    def _forecast(self, X: pd.DataFrame, bars: pd.DataFrame) -> Forecast:
        returns = log_returns(bars).loc[min(self.start_, X.index[0]) :]
        return self.forecast(returns, X.index)

    @staticmethod
    def _p_up(forecast: Forecast) -> np.ndarray:
        if forecast.p_up is not None:
            return np.clip(forecast.p_up, 0.0, 1.0)
        return norm.cdf(forecast.mean.sum(axis=1) / np.sqrt(forecast.cumulative_var()))

    def predict(self, X: pd.DataFrame, bars: pd.DataFrame) -> np.ndarray:
        forecast = self._forecast(X, bars)
        if self.target == "volatility":
            return np.sqrt(np.mean(forecast.mean**2 + forecast.var, axis=1))
        if self.target == "return":
            return np.expm1(forecast.mean.sum(axis=1) + forecast.cumulative_var() / 2)
        return (self._p_up(forecast) > 0.5).astype("float64")

    def predict_proba(self, X: pd.DataFrame, bars: pd.DataFrame) -> np.ndarray:
        return self._p_up(self._forecast(X, bars))


class RuleModel:
    """A technical trading rule: nothing to fit; `score(bars, **params)` gives, for every bar, a bullishness score
    in [0, 1] computed from bars up to that date (NaN while the rule lacks history, treated as neutral 0.5).

    direction: y_pred = 1 (long) when the score is above 0.5, predict_proba = the score (a score, not a calibrated
    probability). return: the signed signal strength (2 * score - 1) times the trailing 20-bar volatility of simple
    returns, i.e. "a move of about one typical day in the signal's direction".
    """

    def __init__(self, score, params: dict, *, target: str):
        self.score = score
        self.params = params
        self.target = target

    def fit(self, X: pd.DataFrame, y: pd.Series, bars: pd.DataFrame):
        return self

    def _scores(self, X: pd.DataFrame, bars: pd.DataFrame) -> np.ndarray:
        score = self.score(bars, **self.params).reindex(X.index)
        return np.clip(score.fillna(0.5).to_numpy(dtype="float64"), 0.0, 1.0)

    def predict(self, X: pd.DataFrame, bars: pd.DataFrame) -> np.ndarray:
        score = self._scores(X, bars)
        if self.target == "direction":
            return (score > 0.5).astype("float64")
        scale = bars["close"].pct_change().rolling(20, min_periods=5).std().reindex(X.index)
        return (2 * score - 1) * scale.fillna(0.0).to_numpy()

    def predict_proba(self, X: pd.DataFrame, bars: pd.DataFrame) -> np.ndarray:
        return self._scores(X, bars)
