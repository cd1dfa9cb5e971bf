"""More forecasting models of daily returns and their volatility: Theta, unobserved components, a Kalman-filter
time-varying autoregression, a VAR of return, range and volume, a Markov-switching regression, a threshold
autoregression, forecast combinations, stochastic volatility by quasi-likelihood, range-based volatility (the
estimators and the CARR model), MIDAS volatility and analogue (pattern-matching) forecasts.

Like statsmodels_ts, each model is fitted on the training window and filtered forward with fixed parameters, so
the forecast made at date t uses prices up to t only. Series are in percent (returns x 100).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..adapters import FeatureModel, Forecast, ForecastModel, log_returns
from ..definition import ModelDefinition, Param
from ..lazy import deferred

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")
from . import arch_volatility, statsmodels_ts
from .common import REGRESSION_TARGETS
from .statsmodels_ts import PCT, StateSpaceForecast, impulse_response, positions, quiet

ThetaModel = deferred("statsmodels.tsa.forecasting.theta", "ThetaModel")
UnobservedComponents = deferred("statsmodels.tsa.statespace.structural", "UnobservedComponents")
SARIMAX = deferred("statsmodels.tsa.statespace.sarimax", "SARIMAX")
VAR = deferred("statsmodels.tsa.api", "VAR")
MarkovRegression = deferred("statsmodels.tsa.regime_switching.markov_regression", "MarkovRegression")
norm = deferred("scipy.stats", "norm")
minimize = deferred("scipy.optimize", "minimize")
ConstantMean, MIDASHyperbolic, StudentsT = deferred("arch.univariate", "ConstantMean", "MIDASHyperbolic", "StudentsT")
KNeighborsClassifier, KNeighborsRegressor = deferred("sklearn.neighbors", "KNeighborsClassifier", "KNeighborsRegressor")

MEAN_TARGETS = ("direction", "return")
LOG_NORMAL_SHOCK = 1.2704  # -E[log z^2] for a standard normal z


class ThetaForecast(ForecastModel):
    """Assimakopoulos-Nikolopoulos Theta method on the log price (Hyndman-Billah form): simple exponential
    smoothing plus half the drift of a linear trend. Smoothing weight and drift come from the training window;
    the level is filtered forward with them."""

    def fit_returns(self, returns, y):
        log_price = np.cumsum(returns.to_numpy() * PCT)
        with quiet():
            params = ThetaModel(log_price, period=1, deseasonalize=False).fit().params
        self.alpha_, self.drift_ = float(np.clip(params["alpha"], 1e-3, 1.0)), float(params["b0"])
        levels = self._levels(log_price)
        self.sigma2_ = float(np.var(log_price[1:] - levels[:-1]))

    def _levels(self, log_price):
        levels = np.empty_like(log_price)
        level = log_price[0]
        for t, value in enumerate(log_price):
            level = self.alpha_ * value + (1 - self.alpha_) * level
            levels[t] = level
        return levels

    def forecast(self, returns, origins):
        log_price = np.cumsum(returns.to_numpy() * PCT)
        where = positions(returns.index, origins)
        level, now = self._levels(log_price)[where], log_price[where]
        steps = np.arange(1, self.horizon + 1)
        paths = level[:, None] + self.drift_ / 2 * (steps - 1 + 1 / self.alpha_)[None, :]
        mean = np.diff(np.column_stack([now, paths]), axis=1)
        # ARIMA(0,1,1) errors: the level h steps ahead has variance s2 (1 + (h - 1) alpha^2).
        level_var = self.sigma2_ * (1 + (steps - 1) * self.alpha_**2)
        var = np.tile(np.diff(level_var, prepend=0.0), (len(where), 1))
        return Forecast(mean=mean / PCT, var=var / PCT**2, total_var=np.full(len(where), level_var[-1]) / PCT**2)


class TimeVaryingAutoregression(ForecastModel):
    """r_t = c_t + phi_t r_{t-1} + e_t with coefficients that follow random walks, tracked by the Kalman filter:
    a regression whose intercept and persistence drift. The noise variance and the starting coefficients come
    from least squares on the training window; `drift` sets the coefficients' step variance relative to it."""

    def __init__(self, *, target, horizon, drift):
        super().__init__(target=target, horizon=horizon)
        self.drift = drift

    def fit_returns(self, returns, y):
        r = returns.to_numpy() * PCT
        design = np.column_stack([np.ones(len(r) - 1), r[:-1]])
        beta, *_ = np.linalg.lstsq(design, r[1:], rcond=None)
        self.sigma2_ = float(np.var(r[1:] - design @ beta))
        self.beta0_, self.cov0_ = beta, self.sigma2_ * np.linalg.inv(design.T @ design)

    def _filter(self, r):
        """Coefficients and their covariance given returns up to each date."""
        beta, cov = self.beta0_.copy(), self.cov0_.copy()
        step = self.drift * self.sigma2_ * np.eye(2)
        betas, covs = np.zeros((len(r), 2)), np.zeros((len(r), 2, 2))
        betas[0], covs[0] = beta, cov
        for t in range(1, len(r)):
            cov = cov + step
            x = np.array([1.0, r[t - 1]])
            gain = cov @ x / (x @ cov @ x + self.sigma2_)
            beta = beta + gain * (r[t] - x @ beta)
            cov = cov - np.outer(gain, x @ cov)
            betas[t], covs[t] = beta, cov
        return betas, covs

    def forecast(self, returns, origins):
        r = returns.to_numpy() * PCT
        where = positions(returns.index, origins)
        betas, covs = self._filter(r)
        beta, cov = betas[where], covs[where]
        x = np.column_stack([np.ones(len(where)), r[where]])
        means, previous = [], r[where]
        for _ in range(self.horizon):
            previous = beta[:, 0] + beta[:, 1] * previous
            means.append(previous)
        # The coefficients' own uncertainty adds to the first step's variance and carries through the recursion.
        uncertainty = np.einsum("ni,nij,nj->n", x, cov + self.drift * self.sigma2_ * np.eye(2), x)
        var, total = np.zeros((len(where), self.horizon)), np.zeros(len(where))
        for i, phi in enumerate(beta[:, 1]):
            psi = impulse_response(np.array([phi]), self.horizon)
            var[i] = self.sigma2_ * np.cumsum(psi**2) + uncertainty[i] * psi**2
            total[i] = self.sigma2_ * np.sum(np.cumsum(psi) ** 2) + uncertainty[i] * np.sum(psi) ** 2
        return Forecast(mean=np.array(means).T / PCT, var=var / PCT**2, total_var=total / PCT**2)


def bar_series(bars: pd.DataFrame) -> pd.DataFrame:
    """Per bar, in percent: the log return, the log high-low range and (where the index trades volume) the change
    of log volume."""
    frame = pd.DataFrame(
        {"ret": np.log(bars["close"]).diff() * PCT, "range": np.log(bars["high"] / bars["low"]) * PCT},
        index=bars.index,
    )
    volume = bars["volume"]
    if (volume > 0).all():
        frame["volume"] = np.log(volume).diff() * PCT
    return frame.dropna()


class VarForecast(ForecastModel):
    """A vector autoregression of the daily return with the day's range and the change of volume (Gallant, Rossi
    and Tauchen's price-volume system), order chosen by AIC up to `max_lags` on the training window. The return
    forecast iterates the fitted system; its variance sums the MA(infinity) responses to the shocks' covariance."""

    def __init__(self, *, target, horizon, max_lags):
        super().__init__(target=target, horizon=horizon)
        self.max_lags = max_lags

    def fit(self, X, y, bars):
        self.start_ = X.index[0]
        series = bar_series(bars).loc[X.index[0] : X.index[-1]]
        with quiet():
            result = VAR(series.to_numpy()).fit(maxlags=self.max_lags, ic="aic", trend="c")
        if result.k_ar == 0:
            result = VAR(series.to_numpy()).fit(1, trend="c")
        self.columns_, self.lags_ = list(series.columns), result.k_ar
        self.intercept_, self.coefs_ = result.intercept, result.coefs
        phi = result.ma_rep(self.horizon)  # (horizon + 1, k, k)
        sigma = result.sigma_u
        self.step_var_ = np.cumsum([(p @ sigma @ p.T)[0, 0] for p in phi[: self.horizon]])
        cumulative = np.cumsum(phi[: self.horizon], axis=0)
        self.total_var_ = float(sum((c @ sigma @ c.T)[0, 0] for c in cumulative))
        return self

    def _forecast(self, X, bars):
        series = bar_series(bars)[self.columns_].loc[min(self.start_, X.index[0]) :]
        values = series.to_numpy()
        where = positions(series.index, X.index)
        history = np.stack([values[np.maximum(where - j, 0)] for j in range(self.lags_)], axis=1)  # (n, lags, k)
        means = []
        for _ in range(self.horizon):
            step = self.intercept_ + np.einsum("jab,njb->na", self.coefs_, history)
            means.append(step[:, 0])
            history = np.concatenate([step[:, None, :], history[:, :-1]], axis=1)
        n = len(where)
        return Forecast(
            mean=np.array(means).T / PCT,
            var=np.tile(self.step_var_, (n, 1)) / PCT**2,
            total_var=np.full(n, self.total_var_) / PCT**2,
        )


class MarkovSwitchingRegression(ForecastModel):
    """Hamilton's regime-switching regression r_t = c_S + b_S r_{t-1} + e_S: each regime has its own intercept,
    persistence and variance. Filtered regime probabilities at each date, pushed through the transition matrix,
    weight the regimes' normal forecasts; beyond one bar the mixture mean is iterated."""

    def __init__(self, *, target, horizon, k_regimes):
        super().__init__(target=target, horizon=horizon)
        self.k_regimes = k_regimes

    def _model(self, r):
        return MarkovRegression(
            r[1:], k_regimes=self.k_regimes, exog=r[:-1], switching_exog=True, switching_variance=True, trend="c"
        )

    def fit_returns(self, returns, y):
        r = returns.to_numpy() * PCT
        with quiet():
            self.params_ = self._model(r).fit(disp=False, search_reps=0).params

    def forecast(self, returns, origins):
        r = returns.to_numpy() * PCT
        model = self._model(r)
        with quiet():
            result = model.filter(self.params_)
        names = list(model.param_names)
        k = range(self.k_regimes)
        c = np.array([self.params_[names.index(f"const[{i}]")] for i in k])
        b = np.array([self.params_[names.index(f"x1[{i}]")] for i in k])
        s2 = np.array([self.params_[names.index(f"sigma2[{i}]")] for i in k])
        transition = model.regime_transition_matrix(self.params_)[..., 0]
        where = positions(returns.index, origins)
        filtered = np.asarray(result.filtered_marginal_probabilities)  # row i: the regime of return i + 1
        probs = np.where(where[:, None] >= 1, filtered[np.maximum(where - 1, 0)], 1.0 / self.k_regimes).T
        previous, means, variances, p_up = r[where], [], [], None
        for step in range(self.horizon):
            probs = transition @ probs
            regime_means = c[:, None] + b[:, None] * previous[None, :]
            mean = np.sum(probs * regime_means, axis=0)
            variances.append(np.sum(probs * (s2[:, None] + regime_means**2), axis=0) - mean**2)
            means.append(mean)
            if step == 0 and self.horizon == 1:
                p_up = np.sum(probs * norm.cdf(regime_means / np.sqrt(s2)[:, None]), axis=0)
            previous = mean
        return Forecast(mean=np.array(means).T / PCT, var=np.array(variances).T / PCT**2, p_up=p_up)


class ThresholdAutoregression(ForecastModel):
    """Tong's self-exciting threshold autoregression (SETAR): two AR(1) regimes split by whether the return
    `delay` bars back is above a threshold, chosen by least squares among the middle quantiles of the training
    window. Beyond one bar the regime of each step follows the forecast path."""

    def __init__(self, *, target, horizon, delay, trim):
        super().__init__(target=target, horizon=horizon)
        self.delay, self.trim = delay, trim

    def fit_returns(self, returns, y):
        r = returns.to_numpy() * PCT
        d = self.delay
        target, lag, switch = r[d:], r[d - 1 : -1], r[: len(r) - d]
        best = None
        for threshold in np.quantile(switch, np.linspace(self.trim, 1 - self.trim, 25)):
            fits, sse = [], 0.0
            for side in (switch <= threshold, switch > threshold):
                design = np.column_stack([np.ones(side.sum()), lag[side]])
                coef, *_ = np.linalg.lstsq(design, target[side], rcond=None)
                residual = target[side] - design @ coef
                fits.append((coef, float(np.mean(residual**2))))
                sse += float(residual @ residual)
            if best is None or sse < best[0]:
                best = (sse, threshold, fits)
        _, self.threshold_, ((self.low_, self.low_var_), (self.high_, self.high_var_)) = best

    def forecast(self, returns, origins):
        r = returns.to_numpy() * PCT
        where = positions(returns.index, origins)
        path = [r[np.maximum(where - j, 0)] for j in range(self.delay - 1, -1, -1)]  # oldest first, ends at t
        means, variances = [], []
        for _ in range(self.horizon):
            high = path[-self.delay] > self.threshold_
            coef = np.where(high[:, None], self.high_, self.low_)
            step = coef[:, 0] + coef[:, 1] * path[-1]
            means.append(step)
            variances.append(np.where(high, self.high_var_, self.low_var_))
            path.append(step)
        return Forecast(mean=np.array(means).T / PCT, var=np.array(variances).T / PCT**2)


class StochasticVolatility(StateSpaceForecast):
    """Taylor's log-normal stochastic volatility by Harvey, Ruiz and Shephard's quasi-likelihood: log r_t^2 is an
    AR(1) log-variance plus noise, i.e. an ARMA(1,1), filtered by the Kalman filter; the variance forecast is
    exp(E[log r^2] + 1.27), undoing the mean of log z^2 for a normal shock."""

    def __init__(self, *, target, horizon):
        super().__init__(lambda endog: SARIMAX(endog, order=(1, 0, 1), trend="c"), target=target, horizon=horizon)

    def fit_returns(self, returns, y):
        # A small offset keeps zero-return days finite; fixed on the training window so later data cannot move it.
        self.offset_ = 1e-2 * float(np.mean((returns.to_numpy() * PCT) ** 2))
        super().fit_returns(returns, y)

    def _endog(self, returns):
        return np.log((returns.to_numpy() * PCT) ** 2 + self.offset_)

    def forecast(self, returns, origins):
        log_square = super().forecast(returns, origins).mean * PCT
        variance = np.exp(log_square + LOG_NORMAL_SHOCK)
        return Forecast(mean=np.zeros_like(variance), var=variance / PCT**2)


def range_estimate(bars: pd.DataFrame, estimator: str, window: int) -> pd.Series:
    """Rolling daily variance from OHLC bars by the named estimator (Parkinson, Garman-Klass, Rogers-Satchell,
    Yang-Zhang, or close to close)."""
    o, h, lo, c = (np.log(bars[name]) for name in ("open", "high", "low", "close"))
    previous = c.shift(1)
    if estimator == "close":
        daily = (c - previous) ** 2
    elif estimator == "parkinson":
        daily = (h - lo) ** 2 / (4 * np.log(2))
    elif estimator == "garman_klass":
        daily = 0.5 * (h - lo) ** 2 - (2 * np.log(2) - 1) * (c - o) ** 2
    else:
        rogers_satchell = (h - c) * (h - o) + (lo - c) * (lo - o)
        if estimator == "rogers_satchell":
            daily = rogers_satchell
        else:  # Yang-Zhang: overnight, open-to-close and Rogers-Satchell variances combined
            k = 0.34 / (1.34 + (window + 1) / (window - 1))
            overnight, intraday = (o - previous).rolling(window).var(), (c - o).rolling(window).var()
            return overnight + k * intraday + (1 - k) * rogers_satchell.rolling(window).mean()
    return daily.rolling(window).mean()


class RangeVolatility:
    """A range-based volatility estimate over the last `window` bars, carried forward as the forecast: nothing
    is fitted (Parkinson 1980, Garman-Klass 1980, Rogers-Satchell 1991, Yang-Zhang 2000)."""

    def __init__(self, *, estimator, window):
        self.estimator, self.window = estimator, window

    def fit(self, X, y, bars):
        return self

    def predict(self, X, bars):
        variance = range_estimate(bars, self.estimator, self.window).reindex(X.index)
        fallback = float(np.nanmedian(variance)) if variance.notna().any() else 1e-4
        return np.sqrt(np.maximum(variance.fillna(fallback).to_numpy(), 0.0))


class ConditionalRange(ForecastModel):
    """Chou's conditional autoregressive range (CARR): the expected daily log range follows
    lambda_t = w + a R_{t-1} + b lambda_{t-1}, fitted by exponential quasi-likelihood; volatility is
    lambda * sqrt(pi / 8), the range-to-deviation ratio of a driftless random walk."""

    def fit(self, X, y, bars):
        self.start_ = X.index[0]
        ranges = self._ranges(bars).loc[X.index[0] : X.index[-1]].to_numpy()
        mean = float(np.mean(ranges))

        def loss(theta):
            w, a, b = theta
            lam = self._filter(ranges, w, a, b, mean)
            return float(np.sum(np.log(lam) + ranges / lam))

        fit = minimize(loss, x0=[0.1 * mean, 0.2, 0.7], bounds=[(1e-6, None), (0.0, 1.0), (0.0, 0.999)])
        w, a, b = fit.x
        if a + b >= 0.999:  # keep the process stationary: shrink towards the boundary
            a, b = a * 0.998 / (a + b), b * 0.998 / (a + b)
        self.params_, self.mean_ = (float(w), float(a), float(b)), mean
        return self

    @staticmethod
    def _ranges(bars):
        return (np.log(bars["high"] / bars["low"]) * PCT).clip(lower=1e-3)

    @staticmethod
    def _filter(ranges, w, a, b, start):
        lam = np.empty(len(ranges) + 1)
        lam[0] = start
        for t, value in enumerate(ranges):
            lam[t + 1] = w + a * value + b * lam[t]
        return lam[:-1]

    def _forecast(self, X, bars):
        ranges = self._ranges(bars).loc[self.start_ :]
        w, a, b = self.params_
        values = ranges.to_numpy()
        lam = self._filter(values, w, a, b, self.mean_)
        where = positions(ranges.index, X.index)
        following = w + a * values[where] + b * lam[where]  # lambda for the bar after each origin
        steps = [following]
        for _ in range(self.horizon - 1):
            steps.append(w + (a + b) * steps[-1])
        sd = np.array(steps).T * np.sqrt(np.pi / 8)
        return Forecast(mean=np.zeros_like(sd), var=sd**2 / PCT**2)


class ScoreDrivenVolatility(ForecastModel):
    """Harvey's Beta-t-EGARCH, a score-driven (GAS) model: the log scale moves with the score of a Student-t
    likelihood, u = (nu + 1) r^2 / (nu exp(2 lambda) + r^2) - 1, which is bounded, so a crash day moves volatility
    less than in a GARCH. Fitted by maximum likelihood on the training window."""

    def fit_returns(self, returns, y):
        r = returns.to_numpy() * PCT
        start = float(np.log(np.std(r)))

        def loss(theta):
            omega, phi, kappa, nu = theta
            lam = self._filter(r, omega, phi, kappa, nu, start)
            z2 = r**2 / np.exp(2 * lam)
            return float(np.sum(lam + (nu + 1) / 2 * np.log1p(z2 / nu)) - len(r) * self._constant(nu))

        # The likelihood is flat along some directions on a short window: start from the best point of a small
        # grid of persistent, responsive settings rather than from one guess.
        grid = [[start, phi, kappa, 8.0] for phi in (0.9, 0.97, 0.99) for kappa in (0.02, 0.05, 0.1)]
        fit = minimize(
            loss,
            x0=min(grid, key=loss),
            bounds=[(start - 3, start + 3), (0.0, 0.999), (0.0, 1.0), (2.1, 100.0)],
            method="L-BFGS-B",
        )
        self.params_, self.start_value_ = tuple(float(v) for v in fit.x), start

    @staticmethod
    def _constant(nu):
        from scipy.special import gammaln

        return gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(np.pi * nu)

    @staticmethod
    def _filter(r, omega, phi, kappa, nu, start):
        """lambda_t for each return (the log scale before seeing it), and one more for the bar after the last."""
        lam = np.empty(len(r) + 1)
        lam[0] = start
        for t, value in enumerate(r):
            u = (nu + 1) * value**2 / (nu * np.exp(2 * lam[t]) + value**2) - 1
            lam[t + 1] = omega * (1 - phi) + phi * lam[t] + kappa * u
        return lam[: len(r)]

    def forecast(self, returns, origins):
        r = returns.to_numpy() * PCT
        omega, phi, kappa, nu = self.params_
        lam = np.empty(len(r) + 1)
        lam[0] = self.start_value_
        for t, value in enumerate(r):
            u = (nu + 1) * value**2 / (nu * np.exp(2 * lam[t]) + value**2) - 1
            lam[t + 1] = omega * (1 - phi) + phi * lam[t] + kappa * u
        following = lam[positions(returns.index, origins) + 1]  # the log scale of the bar after each origin
        steps = np.arange(self.horizon)
        path = omega + phi ** steps[None, :] * (following[:, None] - omega)
        var = np.exp(2 * path) * nu / (nu - 2)
        return Forecast(mean=np.zeros_like(var), var=var / PCT**2)


class Combination:
    """The equal-weight average of member models' forecasts (and P(up)): Bates and Granger's combination, which
    in forecasting competitions tends to beat its members."""

    def __init__(self, members, *, target):
        self.members, self.target = members, target

    def fit(self, X, y, bars):
        for member in self.members:
            member.fit(X, y, bars)
        return self

    def predict(self, X, bars):
        if self.target == "direction":
            return (self.predict_proba(X, bars) > 0.5).astype("float64")
        return np.mean([member.predict(X, bars) for member in self.members], axis=0)

    def predict_proba(self, X, bars):
        return np.mean([member.predict_proba(X, bars) for member in self.members], axis=0)


def _members(keys, target, seed, horizon):
    definitions = {d.key: d for d in (*statsmodels_ts.DEFINITIONS, *arch_volatility.DEFINITIONS)}
    return [definitions[key].build({}, target=target, seed=seed, horizon=horizon) for key in keys]


class AnalogueForecast(FeatureModel):
    """The method of analogues: the `k` past days whose last `window` returns (scaled by their own volatility)
    look most like today's, and what followed them. Trained on the training window's patterns and labels."""

    def __init__(self, *, target, window, k):
        cls = KNeighborsClassifier if target == "direction" else KNeighborsRegressor
        super().__init__(cls(n_neighbors=k, weights="distance"), target=target)
        self.window = window

    def _patterns(self, X, bars):
        returns = log_returns(bars)
        lagged = pd.concat({j: returns.shift(j) for j in range(self.window)}, axis=1)
        scaled = lagged.div(lagged.std(axis=1) + 1e-12, axis=0)
        return scaled.reindex(X.index).fillna(0.0)

    def fit(self, X, y, bars):
        return super().fit(self._patterns(X, bars), y)

    def predict(self, X, bars):
        return super().predict(self._patterns(X, bars))

    def predict_proba(self, X, bars):
        return super().predict_proba(self._patterns(X, bars))


def _definition(key, name, targets, description, factory, params=(), *, family="time_series", library="statsmodels"):
    return ModelDefinition(
        key=key,
        name=name,
        family=family,
        library=library,
        targets=targets,
        description=description,
        factory=factory,
        params=params,
    )


def _midas(p, *, target, seed, horizon):
    def build(y):
        return ConstantMean(
            y,
            volatility=MIDASHyperbolic(m=p["m"]),
            distribution=StudentsT(),
            rescale=False,
        )

    return arch_volatility.ArchForecast(build, target=target, horizon=horizon, analytic=False, seed=seed)


DEFINITIONS = [
    _definition(
        "theta",
        "Theta method",
        MEAN_TARGETS,
        "The Theta method of Assimakopoulos and Nikolopoulos (M3 competition winner) on the log price: simple "
        "exponential smoothing plus half the drift of a linear trend, both fitted on the training window.",
        lambda p, *, target, seed, horizon: ThetaForecast(target=target, horizon=horizon),
    ),
    _definition(
        "unobserved_components",
        "Unobserved components (Kalman filter)",
        MEAN_TARGETS,
        "Harvey's structural time-series model of daily returns: a stochastic level (a slowly drifting expected "
        "return) plus an autoregressive component and, optionally, a damped stochastic cycle; maximum likelihood "
        "and the Kalman filter.",
        lambda p, *, target, seed, horizon: StateSpaceForecast(
            lambda endog: UnobservedComponents(
                endog,
                level=p["level"],
                autoregressive=p["autoregressive"] or None,
                cycle=p["cycle"],
                stochastic_cycle=p["cycle"],
                damped_cycle=p["cycle"],
            ),
            target=target,
            horizon=horizon,
        ),
        (
            Param("level", "choice", "llevel", choices=("llevel", "rwalk", "fixed intercept"), help="trend component"),
            Param("autoregressive", "int", 1, 0, 3, help="order of the autoregressive component"),
            Param("cycle", "bool", False, help="add a damped stochastic cycle"),
        ),
    ),
    _definition(
        "tvp_autoregression",
        "Time-varying autoregression (Kalman filter)",
        MEAN_TARGETS,
        "An AR(1) of daily returns whose intercept and persistence follow random walks, tracked by the Kalman "
        "filter as each return arrives: a regression that adapts to changing dynamics.",
        lambda p, *, target, seed, horizon: TimeVaryingAutoregression(target=target, horizon=horizon, drift=p["drift"]),
        (Param("drift", "float", 1e-4, 1e-7, 1e-1, log=True, help="coefficient step variance / noise variance"),),
        library="mlTrainer",
    ),
    _definition(
        "var_price_volume",
        "VAR of return, range and volume",
        MEAN_TARGETS,
        "A vector autoregression of the daily return, the day's high-low range and the change of volume, order "
        "chosen by AIC: lets range and volume shocks feed the return forecast.",
        lambda p, *, target, seed, horizon: VarForecast(target=target, horizon=horizon, max_lags=p["max_lags"]),
        (Param("max_lags", "int", 5, 1, 20, help="largest order AIC may choose"),),
    ),
    _definition(
        "markov_switching_regression",
        "Markov-switching autoregressive regression",
        ("direction", "return", "volatility"),
        "Hamilton's regime-switching regression of the return on the previous return: each hidden regime has its "
        "own intercept, persistence and variance; forecasts mix the regimes by their filtered probabilities.",
        lambda p, *, target, seed, horizon: MarkovSwitchingRegression(
            target=target, horizon=horizon, k_regimes=p["k_regimes"]
        ),
        (Param("k_regimes", "int", 2, 2, 3, help="hidden regimes"),),
        family="regime",
    ),
    _definition(
        "setar",
        "Threshold autoregression (SETAR)",
        MEAN_TARGETS,
        "Tong's self-exciting threshold autoregression: one AR(1) after returns below a threshold, another above "
        "it (the threshold chosen by least squares), so reactions to falls and rises can differ.",
        lambda p, *, target, seed, horizon: ThresholdAutoregression(
            target=target, horizon=horizon, delay=p["delay"], trim=p["trim"]
        ),
        (
            Param("delay", "int", 1, 1, 5, help="the return this many bars back picks the regime"),
            Param("trim", "float", 0.15, 0.05, 0.4, help="share of the sample kept out at each end of the search"),
        ),
        family="regime",
        library="mlTrainer",
    ),
    _definition(
        "forecast_combination",
        "Forecast combination (ARIMA, Theta, Holt)",
        MEAN_TARGETS,
        "The equal-weight average of ARIMA(1,1), Theta and damped Holt forecasts (and of their P(up)): Bates and "
        "Granger's combination, a hard benchmark in forecasting competitions.",
        lambda p, *, target, seed, horizon: Combination(
            [
                *_members(("arima", "holt_trend"), target, seed, horizon),
                ThetaForecast(target=target, horizon=horizon),
            ],
            target=target,
        ),
        library="mlTrainer",
    ),
    _definition(
        "volatility_combination",
        "Volatility forecast combination (GARCH, HAR, EWMA)",
        ("volatility",),
        "The equal-weight average of GARCH(1,1), HAR-RV and RiskMetrics EWMA volatility forecasts.",
        lambda p, *, target, seed, horizon: Combination(
            _members(("garch_1_1", "har_rv", "ewma_riskmetrics"), target, seed, horizon), target=target
        ),
        family="volatility",
        library="mlTrainer",
    ),
    _definition(
        "stochastic_volatility",
        "Stochastic volatility (quasi-likelihood)",
        ("volatility",),
        "Taylor's log-normal stochastic volatility, estimated by Harvey-Ruiz-Shephard quasi-maximum likelihood: "
        "the Kalman filter on log squared returns (an AR(1) log-variance plus noise).",
        lambda p, *, target, seed, horizon: StochasticVolatility(target=target, horizon=horizon),
        family="volatility",
    ),
    _definition(
        "range_volatility",
        "Range-based volatility estimator",
        ("volatility",),
        "Daily volatility from the open, high, low and close of the last `window` bars (Parkinson, Garman-Klass, "
        "Rogers-Satchell or Yang-Zhang; close to close for comparison), carried forward: nothing is fitted.",
        lambda p, *, target, seed, horizon: RangeVolatility(estimator=p["estimator"], window=p["window"]),
        (
            Param(
                "estimator",
                "choice",
                "yang_zhang",
                choices=("yang_zhang", "garman_klass", "parkinson", "rogers_satchell", "close"),
            ),
            Param("window", "int", 20, 2, 250, help="bars averaged"),
        ),
        family="volatility",
        library="mlTrainer",
    ),
    _definition(
        "carr",
        "Conditional autoregressive range (CARR)",
        ("volatility",),
        "Chou's CARR(1,1): a GARCH-like recursion for the expected daily high-low range, fitted by exponential "
        "quasi-likelihood; ranges carry more information about volatility than closes.",
        lambda p, *, target, seed, horizon: ConditionalRange(target=target, horizon=horizon),
        family="volatility",
        library="mlTrainer",
    ),
    _definition(
        "beta_t_egarch",
        "Beta-t-EGARCH (score-driven volatility)",
        ("volatility",),
        "Harvey's score-driven volatility: the log scale follows the bounded score of a Student-t likelihood, so "
        "extreme days move the forecast less than in a GARCH; maximum likelihood.",
        lambda p, *, target, seed, horizon: ScoreDrivenVolatility(target=target, horizon=horizon),
        family="volatility",
        library="mlTrainer",
    ),
    _definition(
        "midas_hyperbolic",
        "MIDAS hyperbolic volatility",
        ("volatility",),
        "Ghysels' mixed-data-sampling volatility with hyperbolic (long-memory) lag weights over `m` past squared "
        "returns; Student-t errors.",
        _midas,
        (Param("m", "int", 22, 5, 252, help="lags of squared returns weighted"),),
        family="volatility",
        library="arch",
    ),
    _definition(
        "analogue_knn",
        "Analogue (pattern-matching) forecast",
        ("direction", *REGRESSION_TARGETS),
        "The method of analogues: find the k past days whose last returns, scaled by their own volatility, look "
        "most like today's, and forecast what followed them.",
        lambda p, *, target, seed, horizon: AnalogueForecast(target=target, window=p["window"], k=p["k"]),
        (Param("window", "int", 10, 2, 60, help="returns in a pattern"), Param("k", "int", 30, 1, 500, log=True)),
        family="neighbors",
        library="scikit-learn",
    ),
]
