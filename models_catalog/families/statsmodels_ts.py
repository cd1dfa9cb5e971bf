"""Time-series models from statsmodels, fitted per fold on the training window's daily log returns and
filtered forward with those fixed parameters, so the forecast made at date t uses prices up to t only.

Series are modelled in percent (returns x 100), where the optimisers are well conditioned.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ..adapters import Forecast, ForecastModel, log_returns
from ..definition import TARGETS, ModelDefinition, Param
from ..lazy import deferred

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")

sm = deferred("statsmodels.api")
norm = deferred("scipy.stats", "norm")
ConvergenceWarning, EstimationWarning = deferred(
    "statsmodels.tools.sm_exceptions", "ConvergenceWarning", "EstimationWarning"
)
AutoReg, ar_select_order = deferred("statsmodels.tsa.ar_model", "AutoReg", "ar_select_order")
MarkovRegression = deferred("statsmodels.tsa.regime_switching.markov_regression", "MarkovRegression")
ExponentialSmoothing = deferred("statsmodels.tsa.statespace.exponential_smoothing", "ExponentialSmoothing")
SARIMAX = deferred("statsmodels.tsa.statespace.sarimax", "SARIMAX")

ALL_TASKS = TARGETS
MEAN_TASKS = ("direction", "return")
PCT = 100.0


@contextmanager
def quiet():
    """Silence the optimisers' routine chatter (non-convergence notes, start-value fallbacks, overflow in
    trial steps of the likelihood search); exceptions still propagate."""
    with warnings.catch_warnings():
        for category in (ConvergenceWarning.resolve(), EstimationWarning.resolve(), RuntimeWarning):
            warnings.simplefilter("ignore", category)
        yield


def positions(index: pd.DatetimeIndex, origins: pd.DatetimeIndex) -> np.ndarray:
    where = index.get_indexer(origins)
    if (where < 0).any():
        raise ValueError("forecast origins must be dates of the bars")
    return where


class StateSpaceForecast(ForecastModel):
    """A linear Gaussian state-space model (SARIMAX, exponential smoothing) of percent log returns, or of the
    percent log price when `level` is set. Forecasts at each origin come from the Kalman filter's predicted
    state, propagated `horizon` steps through the fitted system matrices."""

    def __init__(self, build, *, target: str, horizon: int = 1, level: bool = False):
        super().__init__(target=target, horizon=horizon)
        self.build = build
        self.level = level

    def _endog(self, returns: pd.Series) -> np.ndarray:
        values = returns.to_numpy() * PCT
        return np.cumsum(values) if self.level else values

    def fit_returns(self, returns, y):
        with quiet():
            result = self.build(self._endog(returns)).fit(disp=False)
        self.params_ = result.params
        # Models that concentrate the scale out of the likelihood (exponential smoothing) re-estimate it from
        # whatever they filter, later data included, and scale their covariances by it; forecasts must use the
        # training window's scale instead.
        self.scale_ = float(result.filter_results.scale) if result.model.ssm.filter_concentrated else None

    def forecast(self, returns, origins):
        endog = self._endog(returns)
        with quiet():
            result = self.build(endog).filter(self.params_).filter_results
        where = positions(returns.index, origins)
        Z, d = result.design[..., 0], result.obs_intercept[:, 0]
        T, c = result.transition[..., 0], result.state_intercept[:, 0]
        R, Q, H = result.selection[..., 0], result.state_cov[..., 0], result.obs_cov[..., 0]
        RQR = R @ Q @ R.T
        # predicted_state[:, t + 1] is the state for t + 1 given data up to t.
        state = result.predicted_state[:, where + 1]
        cov = result.predicted_state_cov[:, :, where + 1]
        means, variances = [], []
        # The cumulative forecast's variance: Var(S_k) = Var(S_{k-1}) + Var(y_k) + 2 Z Cov(s_k, S_{k-1}), with
        # Cov(s_{k+1}, S_k) = T Cov(s_k, S_{k-1}) + T P_k Z' (the state and observation shocks are independent).
        total, cross = np.zeros(len(where)), np.zeros_like(state)
        for _ in range(self.horizon):
            means.append(d[0] + Z[0] @ state)
            step_var = np.einsum("i,ijn,j->n", Z[0], cov, Z[0]) + H[0, 0]
            variances.append(step_var)
            total = total + step_var + 2 * (Z[0] @ cross)
            cross = T @ cross + np.einsum("ij,jkn,k->in", T, cov, Z[0])
            state = c[:, None] + T @ state
            cov = np.einsum("ij,jkn,lk->iln", T, cov, T) + RQR[:, :, None]
        means, variances = np.array(means).T, np.array(variances).T
        rescale = 1.0 if self.scale_ is None else self.scale_ / float(result.scale)
        variances, total = variances * rescale, total * rescale
        if self.level:
            # Level forecasts to per-step return forecasts: increments of the mean; variance increments add up
            # to the exact variance of the cumulative return (the level's own).
            means = np.diff(means, axis=1, prepend=endog[where][:, None])
            total = variances[:, -1]
            variances = np.diff(variances, axis=1, prepend=0.0)
        return Forecast(
            mean=means / PCT, var=np.maximum(variances, 1e-12) / PCT**2, total_var=np.maximum(total, 1e-12) / PCT**2
        )


def impulse_response(coefs: np.ndarray, horizon: int) -> np.ndarray:
    """psi_0..psi_{horizon-1} of an AR with these lag coefficients: psi_0 = 1, psi_j = sum_i coefs_i psi_{j-1-i}."""
    psi = np.zeros(horizon)
    psi[0] = 1.0
    for j in range(1, horizon):
        psi[j] = sum(coefs[i] * psi[j - 1 - i] for i in range(min(j, len(coefs))))
    return psi


class AutoRegForecast(ForecastModel):
    """AutoReg fitted by OLS (optionally with lags chosen by AIC); forecasts iterate the AR recursion."""

    def __init__(self, *, target: str, lags: int, select_lags: bool, horizon: int = 1):
        super().__init__(target=target, horizon=horizon)
        self.lags = lags
        self.select_lags = select_lags

    def fit_returns(self, returns, y):
        endog = returns.to_numpy() * PCT
        lags = list(range(1, self.lags + 1))
        if self.select_lags:
            lags = ar_select_order(endog, maxlag=self.lags, ic="aic", trend="c").ar_lags or []
        result = AutoReg(endog, lags=lags, trend="c").fit()
        self.const_ = result.params[0]
        self.coefs_ = np.zeros(self.lags)
        self.coefs_[np.array(lags, dtype=int) - 1] = result.params[1:]
        self.sigma2_ = result.sigma2

    def forecast(self, returns, origins):
        endog = returns.to_numpy() * PCT
        where = positions(returns.index, origins)
        # state[:, j] = the return j bars before the origin (0 before the series starts: no peeking ahead).
        state = np.stack([np.where(where - j >= 0, endog[np.maximum(where - j, 0)], 0.0) for j in range(self.lags)], 1)
        means = []
        for _ in range(self.horizon):
            step_mean = self.const_ + state @ self.coefs_
            means.append(step_mean)
            state = np.column_stack([step_mean, state[:, :-1]])
        psi = impulse_response(self.coefs_, self.horizon)
        # The error of the step-h forecast is sum_{j<h} psi_j e_{t+h-j}: its variance accumulates psi_j^2, and the
        # cumulative return's error weights shock e_{t+m} by sum_{j<=H-m} psi_j.
        step_var = self.sigma2_ * np.cumsum(psi**2)
        total_var = self.sigma2_ * np.sum(np.cumsum(psi) ** 2)
        n = len(where)
        return Forecast(
            mean=np.array(means).T / PCT,
            var=np.tile(step_var, (n, 1)) / PCT**2,
            total_var=np.full(n, total_var) / PCT**2,
        )


class MarkovSwitchingForecast(ForecastModel):
    """Hamilton's Markov-switching regression: regimes with their own mean and variance. The filtered (not
    smoothed) regime probabilities at each date, pushed through the transition matrix, weight the regimes'
    normal distributions for the next bars."""

    def __init__(self, *, target: str, k_regimes: int, horizon: int = 1):
        super().__init__(target=target, horizon=horizon)
        self.k_regimes = k_regimes

    def _model(self, endog):
        return MarkovRegression(endog, k_regimes=self.k_regimes, trend="c", switching_variance=True)

    def fit_returns(self, returns, y):
        with quiet():
            self.params_ = self._model(returns.to_numpy() * PCT).fit(disp=False).params

    def forecast(self, returns, origins):
        model = self._model(returns.to_numpy() * PCT)
        with quiet():
            result = model.filter(self.params_)
        names = list(model.param_names)
        mu = np.array([self.params_[names.index(f"const[{k}]")] for k in range(self.k_regimes)])
        sigma2 = np.array([self.params_[names.index(f"sigma2[{k}]")] for k in range(self.k_regimes)])
        transition = model.regime_transition_matrix(self.params_)[..., 0]  # [i, j] = P(next = i | now = j)
        probs = np.asarray(result.filtered_marginal_probabilities)[positions(returns.index, origins)].T
        means, variances, p_up = [], [], None
        for step in range(self.horizon):
            probs = transition @ probs
            mean = mu @ probs
            means.append(mean)
            variances.append((sigma2 + mu**2) @ probs - mean**2)
            if step == 0 and self.horizon == 1:
                p_up = norm.cdf(mu / np.sqrt(sigma2)) @ probs
        return Forecast(mean=np.array(means).T / PCT, var=np.array(variances).T / PCT**2, p_up=p_up)


class HeterogeneousAutoregressiveVol:
    """Corsi's HAR-RV: OLS of the volatility target on daily, weekly (5) and monthly (22) realised volatility
    from bars up to each date. Learns from the supplied targets, so it fits whatever horizon the trial uses."""

    def __init__(self, *, target: str, log: bool):
        self.log = log

    def _design(self, bars: pd.DataFrame, dates: pd.DatetimeIndex) -> np.ndarray:
        squared = log_returns(bars) ** 2
        parts = [np.sqrt(squared.rolling(window).mean()) for window in (1, 5, 22)]
        frame = pd.concat(parts, axis=1).reindex(dates)
        values = frame.to_numpy()
        values = np.log(np.maximum(values, 1e-6)) if self.log else values
        return sm.add_constant(values, has_constant="add")

    def fit(self, X, y, bars):
        design = self._design(bars, X.index)
        target = np.log(np.maximum(y.to_numpy(), 1e-6)) if self.log else y.to_numpy()
        ok = np.isfinite(design).all(axis=1)
        result = sm.OLS(target[ok], design[ok]).fit()
        self.params_ = result.params
        # Log model: Duan's smearing turns a forecast of mean log volatility into one of volatility.
        self.smearing_ = float(np.mean(np.exp(result.resid))) if self.log else 1.0
        return self

    def predict(self, X, bars):
        forecast = self._design(bars, X.index) @ self.params_
        forecast = np.exp(forecast) * self.smearing_ if self.log else forecast
        return np.nan_to_num(np.maximum(forecast, 0.0), nan=0.0)


def _definition(key, name, targets, description, factory, params, **hooks):
    return ModelDefinition(
        key=key,
        name=name,
        family="time_series",
        library="statsmodels",
        targets=targets,
        description=description,
        factory=factory,
        params=params,
        **hooks,
    )


def _arima(p, *, target, seed, horizon):
    if p["method"] == "ols":
        return AutoRegForecast(target=target, lags=p["p"], select_lags=p["select_lags"], horizon=horizon)
    seasonal = (p["seasonal_p"], 0, 0, p["season"]) if p["seasonal_p"] else (0, 0, 0, 0)
    return StateSpaceForecast(
        lambda endog: SARIMAX(
            endog, order=(p["p"], p["d"], p["q"]), seasonal_order=seasonal, trend="c" if p["d"] == 0 else "n"
        ),
        target=target,
        horizon=horizon,
    )


def _arima_check(p):
    if p["method"] != "ols":
        return {}
    errors = {
        name: "must be 0 when method is ols (least squares fits a pure AR(p))"
        for name in ("d", "q", "seasonal_p")
        if p[name]
    }
    if not p["p"]:
        errors["p"] = "must be at least 1 when method is ols"
    return errors


DEFINITIONS = [
    _definition(
        "arima",
        "ARIMA on returns",
        MEAN_TASKS,
        "Seasonal ARIMA(p, d, q)(P, 0, 0) with a constant on daily log returns (ARMA(1, 1) by default). Fitted by "
        "exact maximum likelihood (state space), or, for a pure AR(p), by least squares with the lags optionally "
        "chosen by AIC. ARIMA(0, 1, 1) is simple exponential smoothing of returns; a seasonal AR term at 5 bars "
        "catches day-of-week effects. P(up) from the Gaussian forecast distribution.",
        _arima,
        (
            Param("p", "int", 1, 0, 10, help="autoregressive lags"),
            Param("d", "int", 0, 0, 1, help="differences of the return series"),
            Param("q", "int", 1, 0, 10, help="moving-average lags"),
            Param("seasonal_p", "int", 0, 0, 3, help="seasonal autoregressive lags"),
            Param("season", "int", 5, 2, 22, help="bars per season"),
            Param("method", "choice", "mle", choices=("mle", "ols"), help="exact likelihood, or OLS (AR(p) only)"),
            Param("select_lags", "bool", False, help="OLS: keep only the lags (up to p) that AIC selects"),
        ),
        check=_arima_check,
    ),
    _definition(
        "holt_trend",
        "Holt's linear trend on log price",
        MEAN_TASKS,
        "Holt's level-and-trend smoothing of the log price (optionally damped): the forecast return is the "
        "smoothed local trend.",
        lambda p, *, target, seed, horizon: StateSpaceForecast(
            lambda endog: ExponentialSmoothing(
                endog, trend=True, damped_trend=p["damped"], initialization_method="estimated"
            ),
            target=target,
            horizon=horizon,
            level=True,
        ),
        (Param("damped", "bool", True, help="damp the trend towards flat"),),
    ),
    _definition(
        "markov_switching",
        "Markov-switching regime model",
        ALL_TASKS,
        "Hamilton's Markov-switching model: hidden regimes (e.g. calm and turbulent) each with their own mean "
        "and variance; forecasts are regime-probability mixtures, so it serves direction, return and volatility.",
        lambda p, *, target, seed, horizon: MarkovSwitchingForecast(
            target=target, k_regimes=p["k_regimes"], horizon=horizon
        ),
        (Param("k_regimes", "int", 2, 2, 4, help="hidden regimes"),),
    ),
    _definition(
        "har_rv",
        "HAR realised volatility",
        ("volatility",),
        "Corsi's heterogeneous autoregressive model: next-horizon volatility regressed (OLS) on daily, weekly and "
        "monthly realised volatility, optionally in logs.",
        lambda p, *, target, seed, horizon: HeterogeneousAutoregressiveVol(target=target, log=p["log"]),
        (Param("log", "bool", True, help="regress log volatility (with smearing back to volatility)"),),
    ),
]
