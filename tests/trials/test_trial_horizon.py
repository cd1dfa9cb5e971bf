"""The trial's horizon drives the model's: an ARIMA trial 5 bars ahead forecasts 5 bars ahead."""

import numpy as np
import pandas as pd
import pytest

from market_data.models import Dataset
from market_data.selectors import dataset_frame
from models_catalog.registry import CATALOG
from trials.features import make_dataset
from trials.runner import walk_forward_run
from trials.selectors import prediction_frame
from trials.services import trial_create, trial_execute

pytestmark = pytest.mark.django_db


def test_a_five_bar_arima_trial_scores_five_bar_forecasts(bundled, alice, team_a):
    data = {"symbol": "SPX", "target": "return", "horizon": 5, "start": "2015-01-01", "end": "2016-12-31"}
    payload = {"model": "arima", "data": data, "validation": {"folds": 2, "gap": 4}}
    trial = trial_create(team=team_a, user=alice, payload=payload)
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "succeeded", trial.error

    bars = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True))
    features, labels, next_returns = make_dataset(
        bars, target="return", horizon=5, start=pd.Timestamp(data["start"]), end=pd.Timestamp(data["end"])
    )

    def bare(horizon):
        return walk_forward_run(
            definition=CATALOG["arima"], params={}, target="return", seed=0, features=features, labels=labels,
            next_returns=next_returns, bars=bars, folds=2, gap=4, horizon=horizon,
        ).predictions["y_pred"].to_numpy()  # fmt: skip

    stored = prediction_frame(trial=trial)["y_pred"].to_numpy()
    np.testing.assert_allclose(stored, bare(5), rtol=1e-9)
    assert not np.allclose(stored, bare(1), rtol=1e-3)  # one-bar forecasts are not what the trial asked for


def test_no_catalog_entry_has_a_horizon_of_its_own():
    assert not [key for key, definition in CATALOG.items() if "horizon" in {p.name for p in definition.params}]
