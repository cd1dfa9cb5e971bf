"""Conditional-volatility models from arch (GARCH and relatives), for the volatility target.

Each fold fits the model on the training window's percent log returns. Forecasts then fix those parameters on
the return history up to the last date asked for (`fix(..., last_obs=end of training)`, so the start-up backcast
is the training window's) and filter forward: the forecast made at date t uses returns up to t only.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from ..adapters import Forecast, ForecastModel
from ..definition import ModelDefinition, Param
from ..lazy import deferred

if TYPE_CHECKING:
    import numpy as np
else:  # imported at their first use: the web process loads this module and needs neither
    np = deferred("numpy")

EWMAVariance, ZeroMean, arch_model = deferred("arch.univariate", "EWMAVariance", "ZeroMean", "arch_model")
ConvergenceWarning = deferred("arch.utility.exceptions", "ConvergenceWarning")

PCT = 100.0
SIMULATIONS = 500  # seeded paths, for horizons without analytic forecasts (EGARCH, APARCH) and P(up) beyond one bar


class ArchForecast(ForecastModel):
    """An arch model filtered forward with the training window's parameters. Simulations draw from the model's own
    distribution seeded with the trial's seed (arch's `random_state` only reaches its bootstrap), so a seed gives
    the same forecast every run. P(up) comes from the model's forecast distribution: for one bar the
    distribution's own CDF at -mean/sd (skewed-t, Student-t, GED or normal), beyond one bar the share of simulated
    paths whose cumulative return is positive."""

    def __init__(self, build, *, target: str, horizon: int = 1, analytic: bool = True, seed: int = 0):
        super().__init__(target=target, horizon=horizon)
        self.build = build
        self.analytic = analytic
        self.seed = seed

    def fit_returns(self, returns, y):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning.resolve())
            self.params_ = self.build(returns.to_numpy() * PCT).fit(disp="off").params
        self.train_end_ = returns.index[-1]

    def forecast(self, returns, origins):
        model = self.build(returns.to_numpy() * PCT)
        model.distribution = type(model.distribution)(seed=np.random.default_rng(self.seed))
        where = returns.index.get_indexer(origins)
        if (where < 0).any():
            raise ValueError("forecast origins must be dates of the bars")
        fixed = model.fix(self.params_, last_obs=int(returns.index.get_loc(self.train_end_)) + 1)
        paths_needed = self.target == "direction" and self.horizon > 1
        simulate = self.horizon > 1 and (not self.analytic or paths_needed)
        forecast = fixed.forecast(
            horizon=self.horizon,
            start=int(where.min()),
            reindex=False,
            method="simulation" if simulate else "analytic",
            simulations=SIMULATIONS,
        )
        rows = where - where.min()
        mean, var = forecast.mean.to_numpy()[rows], forecast.variance.to_numpy()[rows]
        p_up = None
        if paths_needed:
            p_up = (forecast.simulations.values[rows].sum(axis=2) > 0).mean(axis=1)
        elif self.target == "direction":
            shape = np.asarray(self.params_)[len(self.params_) - model.distribution.num_params :]
            p_up = 1.0 - model.distribution.cdf(-mean[:, 0] / np.sqrt(var[:, 0]), shape)
        return Forecast(mean=mean / PCT, var=var / PCT**2, p_up=p_up)


def _garch(vol: str, *, mean: str | None = None, dist: str | None = None):
    """A factory for an arch_model with volatility process `vol`; the mean, the distribution and the lags come from
    the parameters unless fixed here. `o` (asymmetric lags) is 0 where the process has no such term."""

    def factory(p, *, target, seed, horizon):
        def build(y):
            return arch_model(
                y,
                mean=mean or p["mean"],
                lags=1 if mean == "AR" else 0,
                vol=vol,
                p=p["p"],
                o=p.get("o", 0),
                q=p["q"],
                dist=dist or p["dist"],
                rescale=False,
            )

        return ArchForecast(build, target=target, horizon=horizon, analytic=vol in ("GARCH", "FIGARCH"), seed=seed)

    return factory


def _ewma(p, *, target, seed, horizon):
    lam = None if p["estimate"] else p["lam"]
    return ArchForecast(
        lambda y: ZeroMean(y, volatility=EWMAVariance(lam=lam), rescale=False), target=target, horizon=horizon
    )


ARCH_LAGS = Param("p", "int", 1, 1, 5, help="lags of squared (or absolute) shocks")
ASYMMETRY_LAGS = Param("o", "int", 1, 1, 5, help="lags of the asymmetric (negative-shock) term")
GARCH_LAGS = Param("q", "int", 1, 0, 5, help="lags of the conditional variance")
MEAN = Param("mean", "choice", "Constant", choices=("Constant", "Zero"), help="mean model of daily returns")
DIST = Param("dist", "choice", "normal", choices=("normal", "t", "skewt", "ged"), help="distribution of the shocks")
STUDENT = Param("dist", "choice", "t", choices=("normal", "t", "skewt", "ged"), help="distribution of the shocks")


def _definition(key, name, description, factory, params, targets=("volatility",), **hooks):
    return ModelDefinition(
        key=key,
        name=name,
        family="volatility",
        library="arch",
        targets=targets,
        description=description,
        factory=factory,
        params=params,
        **hooks,
    )


DEFINITIONS = [
    _definition(
        "garch_1_1",
        "GARCH(p, o, q)",
        "Bollerslev's GARCH: variance mean-reverts after shocks. With o >= 1 it is the Glosten-Jagannathan-Runkle "
        "GARCH, where negative shocks raise variance more (the leverage effect). Normal, Student-t, skewed-t or "
        "GED errors.",
        _garch("GARCH"),
        (
            ARCH_LAGS,
            Param("o", "int", 0, 0, 5, help="asymmetric lags: 0 GARCH, 1 or more GJR-GARCH"),
            GARCH_LAGS,
            MEAN,
            DIST,
        ),
    ),
    _definition(
        "egarch_1_1",
        "EGARCH(p, o, q)",
        "Nelson's exponential GARCH: models log variance, with a sign (leverage) term; no positivity constraints.",
        _garch("EGARCH"),
        (ARCH_LAGS, ASYMMETRY_LAGS, GARCH_LAGS, MEAN, DIST),
    ),
    _definition(
        "aparch_1_1",
        "APARCH(p, o, q)",
        "Ding-Granger-Engle asymmetric power ARCH: the power of volatility is estimated along with a leverage "
        "term; Student-t errors by default.",
        _garch("APARCH"),
        (ARCH_LAGS, ASYMMETRY_LAGS, GARCH_LAGS, MEAN, STUDENT),
        check=lambda p: {"o": f"must be at most p ({p['p']}) in APARCH, got {p['o']}"} if p["o"] > p["p"] else {},
    ),
    _definition(
        "figarch_1_1",
        "FIGARCH(1,d,1)",
        "Fractionally integrated GARCH: shocks to volatility decay hyperbolically (long memory); Student-t errors "
        "by default.",
        _garch("FIGARCH"),
        (
            Param("p", "int", 1, 0, 1, help="ARCH lag (0 or 1)"),
            Param("q", "int", 1, 0, 1, help="GARCH lag (0 or 1)"),
            MEAN,
            STUDENT,
        ),
    ),
    _definition(
        "harch",
        "HARCH (1, 5, 22)",
        "Heterogeneous ARCH: variance driven by squared returns averaged over a day, a week and a month.",
        lambda p, *, target, seed, horizon: ArchForecast(
            lambda y: arch_model(y, mean=p["mean"], vol="HARCH", p=[1, 5, 22], dist=p["dist"], rescale=False),
            target=target,
            horizon=horizon,
        ),
        (MEAN, DIST),
    ),
    _definition(
        "ewma_riskmetrics",
        "RiskMetrics EWMA",
        "J.P. Morgan RiskMetrics: exponentially weighted squared returns with a fixed decay (0.94 for daily "
        "data), an honest volatility baseline; or with the decay estimated by maximum likelihood on the training "
        "window.",
        _ewma,
        (
            Param("lam", "float", 0.94, 0.5, 0.999, help="decay of the weights (when not estimated)"),
            Param("estimate", "bool", False, help="estimate the decay by maximum likelihood instead"),
        ),
    ),
    _definition(
        "ar_gjr_garch_skewt",
        "AR(1)-GJR-GARCH(1,1), skewed-t errors",
        "An AR(1) mean with GJR-GARCH variance and Hansen's skewed-t errors: forecasts the mean and the variance, "
        "so it serves direction (P(up) from the forecast distribution), return and volatility.",
        _garch("GARCH", mean="AR", dist="skewt"),
        (ARCH_LAGS, ASYMMETRY_LAGS, GARCH_LAGS),
        targets=("direction", "return", "volatility"),
    ),
]
