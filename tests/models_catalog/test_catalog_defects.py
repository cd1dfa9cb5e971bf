"""Defects an audit found in the catalog, each pinned by a test that failed before its fix."""

import numpy as np
import pytest
from scipy.stats import norm

from models_catalog.adapters import log_returns
from models_catalog.definition import ParamError
from models_catalog.registry import CATALOG
from tests.models_catalog.catalog_data import dataset

TRAIN, TEST = 300, 40


def fitted(key, target, *, horizon=1, seed=0, **params):
    bars, features, labels, _ = dataset(target, 560)
    estimator = CATALOG[key].build(params, target=target, seed=seed, horizon=horizon)
    estimator.fit(features.iloc[:TRAIN], labels.iloc[:TRAIN], bars.loc[: features.index[TRAIN - 1]])
    X_test = features.iloc[TRAIN : TRAIN + TEST]
    return estimator, X_test, bars.loc[: X_test.index[-1]]


@pytest.mark.parametrize("key", ["egarch_1_1", "aparch_1_1"])
def test_simulated_volatility_forecasts_repeat_with_the_seed(key):
    def forecast(seed):
        estimator, X_test, bars = fitted(key, "volatility", horizon=5, seed=seed)
        return estimator.predict(X_test, bars)

    assert np.array_equal(forecast(0), forecast(0))
    assert not np.array_equal(forecast(0), forecast(1))  # the seed does reach the simulation


def test_autoregression_multi_step_variance_is_the_ar1_formula():
    """AR(1): Var(y_{t+h} | t) = s2 (1 - phi^(2h)) / (1 - phi^2), and the cumulative return's error weights the
    shock m steps ahead by (1 - phi^(H-m+1)) / (1 - phi)."""
    horizon = 5
    estimator, X_test, bars = fitted("arima", "return", horizon=horizon, p=1, q=0, method="ols")
    forecast = estimator._forecast(X_test, bars)
    phi, s2 = estimator.coefs_[0], estimator.sigma2_ / 100**2
    steps = np.arange(1, horizon + 1)
    np.testing.assert_allclose(forecast.var[0], s2 * (1 - phi ** (2 * steps)) / (1 - phi**2), rtol=1e-12)
    weights = (1 - phi ** (horizon - steps + 1)) / (1 - phi)
    np.testing.assert_allclose(forecast.total_var, s2 * np.sum(weights**2), rtol=1e-12)
    # and P(up) uses it: the normal with the cumulative mean and that variance
    expected = norm.cdf(forecast.mean.sum(axis=1) / np.sqrt(forecast.total_var))
    direction, X_test, bars = fitted("arima", "direction", horizon=horizon, p=1, q=0, method="ols")
    np.testing.assert_allclose(direction.predict_proba(X_test, bars), expected, rtol=1e-9)


def test_arima_cumulative_variance_is_that_of_the_sum_of_steps():
    """ARMA(1,1) by maximum likelihood: the total variance over 3 bars equals Var(y1 + y2 + y3) computed from the
    MA(infinity) weights of the fitted model, not the sum of the steps' variances."""
    estimator, X_test, bars = fitted("arima", "return", horizon=3)
    forecast = estimator._forecast(X_test, bars)
    params = dict(zip(["const", "ar", "ma", "sigma2"], estimator.params_, strict=True))
    phi, theta, s2 = params["ar"], params["ma"], params["sigma2"] / 100**2
    psi = np.array([1.0, phi + theta, phi * (phi + theta)])
    weights = np.array([psi[:3].sum(), psi[:2].sum(), psi[:1].sum()])
    # After ~300 observations the Kalman filter's state is known almost exactly: the exact forecast errors are
    # the MA(infinity) ones.
    np.testing.assert_allclose(forecast.total_var[-1], s2 * np.sum(weights**2), rtol=1e-4)
    assert not np.allclose(forecast.total_var[-1], forecast.var[-1].sum(), rtol=1e-3)


def test_skewed_t_garch_p_up_comes_from_its_skewed_t_forecast_distribution():
    from arch.univariate import SkewStudent

    estimator, X_test, bars = fitted("ar_gjr_garch_skewt", "direction")
    forecast = estimator.forecast(log_returns(bars).loc[estimator.start_ :], X_test.index)
    mean, sd = forecast.mean[:, 0], np.sqrt(forecast.var[:, 0])
    eta, lam = estimator.params_[-2:]
    expected = 1 - SkewStudent().cdf(-mean / sd, np.array([eta, lam]))
    np.testing.assert_allclose(estimator.predict_proba(X_test, bars), expected, rtol=1e-9)
    assert not np.allclose(expected, norm.cdf(mean / sd), atol=1e-4)  # not the normal approximation


def test_skewed_t_garch_p_up_beyond_one_bar_counts_simulated_paths():
    estimator, X_test, bars = fitted("ar_gjr_garch_skewt", "direction", horizon=5)
    p_up = estimator.predict_proba(X_test, bars)
    assert np.all((p_up * 500) % 1 == 0)  # a share of the 500 seeded paths
    assert np.array_equal(p_up, fitted("ar_gjr_garch_skewt", "direction", horizon=5)[0].predict_proba(X_test, bars))


def test_aparch_with_more_asymmetric_than_arch_lags_is_refused_with_a_message():
    with pytest.raises(ParamError) as error:
        CATALOG["aparch_1_1"].validate_params({"p": 1, "o": 2})
    assert error.value.errors == {"o": "must be at most p (1) in APARCH, got 2"}
    assert CATALOG["aparch_1_1"].validate_params({"p": 2, "o": 2})["o"] == 2


@pytest.mark.parametrize("key", ["pls_regression", "principal_component_regression"])
def test_more_components_than_features_is_refused_with_a_message(key):
    definition = CATALOG[key]
    params = definition.validate_params({"n_components": 13})
    with pytest.raises(ParamError) as error:
        definition.validate_for_features(params, n_features=12)
    assert error.value.errors == {"n_components": "must be at most the number of features (12), got 13"}
    definition.validate_for_features(params, n_features=13)


@pytest.mark.parametrize("key", ["svr", "svc", "nu_svr", "nu_svc"])
def test_svm_gamma_is_a_kernel_width_that_changes_the_forecast(key):
    target = CATALOG[key].targets[0]

    def predictions(gamma):
        estimator, X_test, bars = fitted(key, target, gamma=gamma, **({"probability": False} if "svc" in key else {}))
        return estimator.predict_proba(X_test, bars) if target == "direction" else estimator.predict(X_test, bars)

    assert not np.allclose(predictions(0.01), predictions(1.0))
    with pytest.raises(ParamError):
        CATALOG[key].validate_params({"gamma": "scale"})  # the named rules were one and the same here


@pytest.mark.django_db
def test_a_trial_asking_for_more_components_than_features_gets_a_400_naming_it(bundled, alice, api_as, trial_payload):
    payload = {**trial_payload, "model": "pls_regression", "params": {"n_components": 13}}
    payload["data"] = {**payload["data"], "target": "return"}
    response = api_as(alice).post("/api/trials/", payload, format="json")
    assert response.status_code == 400
    assert response.json()["params"] == {"n_components": "must be at most the number of features (12), got 13"}
    payload["data"]["macro"] = ["DCOILWTICO"]  # two more features
    assert api_as(alice).post("/api/trials/", payload, format="json").status_code == 201
