"""The service the Celery task calls: trains, stores, is safe to run twice, stops when cancelled."""

import numpy as np
import pandas as pd
import pytest
from django.utils import timezone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from market_data.models import Dataset
from market_data.selectors import dataset_frame
from trials.features import make_dataset
from trials.models import Trial, TrialPredictions
from trials.selectors import prediction_frame
from trials.services import trial_cancel, trial_execute

pytestmark = pytest.mark.django_db


def test_execute_trains_and_matches_a_plain_scikit_learn_walk_forward(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "succeeded", trial.error
    assert trial.progress == 1.0 and trial.attempts == 1 and trial.finished_at is not None
    # The metrics are also rows the lists sort and filter by (trials.metric_index).
    indexed = dict(trial.metric_values.values_list("name", "value"))
    assert indexed == {k: v for k, v in trial.metrics.items() if isinstance(v, float)} and "sharpe" in indexed

    # Recompute the same walk-forward by hand with scikit-learn alone.
    bars = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True))
    X, y, next_ret = make_dataset(
        bars, target="direction", horizon=1, start=pd.Timestamp("2012-01-01"), end=pd.Timestamp("2016-12-31")
    )
    n, folds, gap = len(X), 3, 1
    size = n // (folds + 1)
    expected = []
    for k in range(folds):
        test_start = n - (folds - k) * size
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000, random_state=0))
        model.fit(X.iloc[: test_start - gap], y.iloc[: test_start - gap])
        expected.append(model.predict(X.iloc[test_start : test_start + size]))
    expected = np.concatenate(expected)

    stored = list(prediction_frame(trial=trial)[["y_pred", "strategy_return"]].itertuples(index=False, name=None))
    assert np.array_equal([p for p, _ in stored], expected)
    tested = next_ret.iloc[n - folds * size :]
    assert np.allclose([r for _, r in stored], expected * tested.to_numpy())
    accuracy = float(np.mean(expected == y.iloc[n - folds * size :].to_numpy()))
    assert trial.metrics["accuracy"] == pytest.approx(accuracy)
    assert trial.data_used == [
        {
            "key": "SPX",
            "dataset_id": Dataset.objects.get(key="SPX").pk,
            "source": "bundled",
            "sha256": Dataset.objects.get(key="SPX").sha256,
            "rows": 5031,
        }
    ]


def test_running_twice_does_not_train_twice(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    trial_execute(trial_id=trial.pk)
    finished_at = Trial.objects.get(pk=trial.pk).finished_at
    trial_execute(trial_id=trial.pk)  # a duplicate delivery of the task
    trial.refresh_from_db()
    assert trial.attempts == 1 and trial.finished_at == finished_at
    # One prediction per test row, not two sets of them.
    assert len(prediction_frame(trial=trial)) == sum(fold["n_test"] for fold in trial.folds)


def test_orphaned_running_trial_is_restarted_cleanly(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    stale = timezone.now() - timezone.timedelta(hours=1)
    Trial.objects.filter(pk=trial.pk).update(status="running", heartbeat_at=stale, progress=0.5, attempts=1)
    trial_execute(trial_id=trial.pk)  # the broker redelivered the task of a worker that died
    trial.refresh_from_db()
    assert trial.status == "succeeded" and trial.attempts == 2 and len(trial.folds) == 3


def test_trial_running_elsewhere_is_left_alone(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    Trial.objects.filter(pk=trial.pk).update(status="running", heartbeat_at=timezone.now())
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "running" and trial.attempts == 0


def test_cancel_queued_trial_is_immediate(alice, team_a, make_trial, api_as):
    trial = make_trial(alice, team_a)
    body = api_as(alice).post(f"/api/trials/{trial.pk}/cancel/").json()
    assert body["status"] == "cancelled"
    trial_execute(trial_id=trial.pk)  # the queued task still arrives: it must not train
    trial.refresh_from_db()
    assert trial.status == "cancelled" and trial.attempts == 0
    assert not TrialPredictions.objects.filter(trial=trial).exists()


def test_cancel_running_trial_stops_between_folds(alice, bob, team_a, make_trial):
    trial = make_trial(alice, team_a)
    Trial.objects.filter(pk=trial.pk).update(status="running", heartbeat_at=timezone.now())
    trial_cancel(trial=trial, user=bob)  # a teammate may stop it
    Trial.objects.filter(pk=trial.pk).update(status="queued")  # let this process claim it, flag still set
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "cancelled" and trial.folds == [] and trial.metrics == {}
    assert not TrialPredictions.objects.filter(trial=trial).exists()


def test_viewer_cannot_cancel(alice, victor, team_a, make_trial, api_as):
    trial = make_trial(alice, team_a)
    response = api_as(victor).post(f"/api/trials/{trial.pk}/cancel/")
    assert response.status_code == 403
    assert Trial.objects.get(pk=trial.pk).status == "queued"


def test_multi_bar_horizon_embargoes_overlapping_labels(alice, team_a, make_trial):
    trial = make_trial(alice, team_a, data={"horizon": 5}, validation={"gap": 0})
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "succeeded", trial.error
    bars = dataset_frame(dataset=Dataset.objects.get(key="SPX"))
    for fold in trial.folds:
        between = bars.loc[fold["train_end"][:10] : fold["test_start"][:10]]
        # The last training label looks 5 bars ahead: it is known exactly at the first test decision, not later.
        assert len(between) - 1 == 5
