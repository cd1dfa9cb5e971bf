"""No entry's prediction at date t depends on bars or features after t.

For EVERY entry and target: fit on the training rows, predict a test block, then (1) perturb every bar (OHLCV) and
every feature row after a date t inside the block and (2) cut the data at t; the predictions at dates <= t must
not change. Feature models pass trivially row by row; the test bites on models that read `bars` (rules,
time-series, GARCH, regime models), which must filter forward and never normalise over the block.
"""

import numpy as np
import pandas as pd
import pytest

from models_catalog.adapters import RuleModel
from models_catalog.registry import CATALOG
from tests.models_catalog.catalog_data import dataset, entry_tasks, fast_params

ROWS = 400
TRAIN = 220
TEST = 60
CUT = 30  # predictions for the first CUT test rows must not depend on what follows


def perturbed_after(frame: pd.DataFrame, t: pd.Timestamp, rng: np.random.Generator) -> pd.DataFrame:
    frame = frame.copy()
    later = frame.index > t
    noise = rng.uniform(0.7, 1.4, size=(int(later.sum()), frame.shape[1]))
    frame.loc[later] = frame.loc[later].to_numpy() * noise
    return frame


def predictions(estimator, target, X, bars):
    y_pred = np.asarray(estimator.predict(X, bars), dtype="float64")
    if target == "direction":
        return np.column_stack([y_pred, np.asarray(estimator.predict_proba(X, bars), dtype="float64")])
    return y_pred[:, None]


def fitted_and_predicted(estimator, target):
    """(before, shaken, cut): test-block predictions as given, with everything after t perturbed, and cut at t."""
    bars, features, labels, _ = dataset(target, ROWS)
    X_train, y_train = features.iloc[:TRAIN], labels.iloc[:TRAIN]
    X_test = features.iloc[TRAIN : TRAIN + TEST]
    t = X_test.index[CUT - 1]
    test_bars = bars.loc[: X_test.index[-1]]
    estimator.fit(X_train, y_train, bars.loc[: X_train.index[-1]])
    before = predictions(estimator, target, X_test, test_bars)
    rng = np.random.default_rng(7)
    shaken = predictions(estimator, target, perturbed_after(X_test, t, rng), perturbed_after(test_bars, t, rng))
    cut = predictions(estimator, target, X_test.loc[:t], test_bars.loc[:t])
    return before, shaken, cut


def test_the_check_catches_a_model_that_peeks():
    # Ranks each close against the whole history it is given, later closes included: a classic leak.
    peeking = RuleModel(lambda bars: bars["close"].rank(pct=True), {}, target="direction")
    before, shaken, cut = fitted_and_predicted(peeking, "direction")
    assert not np.allclose(shaken[:CUT], before[:CUT])
    assert not np.allclose(cut, before[:CUT])


@pytest.mark.parametrize(("key", "target"), entry_tasks(CATALOG))
def test_predictions_up_to_t_ignore_everything_after_t(key, target):
    definition = CATALOG[key]
    before, shaken, cut = fitted_and_predicted(definition.build(fast_params(definition), target=target, seed=0), target)

    np.testing.assert_allclose(shaken[:CUT], before[:CUT], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(cut, before[:CUT], rtol=1e-9, atol=1e-12)
    # The perturbation is large enough to matter where the model does read the data.
    if key in ("momentum", "garch_1_1", "arima", "hmm_gaussian") and target != "direction":
        assert not np.allclose(shaken[CUT:], before[CUT:])
