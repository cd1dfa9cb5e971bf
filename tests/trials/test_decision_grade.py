"""Costs, positions, benchmark figures, purged schemes and repeats, end to end through trial_execute and the
predictions export, each checked against an independent computation from the bars and the exported columns."""

import copy
import csv
import io
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from market_data.models import Dataset
from market_data.selectors import dataset_frame
from tests.conftest import TRIAL_PAYLOAD
from trials.features import make_dataset
from trials.figures import FIGURES
from trials.services import trial_create, trial_execute
from trials.walkforward import cpcv_splits

pytestmark = pytest.mark.django_db


def _executed(make_trial, user, team, **overrides):
    """Create (through trial_create, as the API does) and run a trial: data is merged into the
    standard payload, everything else (params included) replaces it."""
    payload = copy.deepcopy(TRIAL_PAYLOAD)
    for key, value in overrides.items():
        payload[key] = {**payload[key], **value} if key == "data" else value
    trial = trial_create(team=team, user=user, payload=payload)
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "succeeded", trial.error
    return trial


def _predictions(client, trial) -> pd.DataFrame:
    response = client.get(f"/api/trials/{trial.pk}/predictions.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    frame = pd.DataFrame(rows).set_index("date")
    frame.index = pd.DatetimeIndex(frame.index)
    return frame.replace("", np.nan).astype("float64")


def _close(key: str) -> pd.Series:
    return dataset_frame(dataset=Dataset.objects.get(key=key, team__isnull=True))["close"]


def _sharpe(returns, per_year=252) -> float:
    returns = np.asarray(returns)
    return returns.mean() / returns.std(ddof=1) * math.sqrt(per_year)


def test_costs_and_long_short_positions_from_the_exported_columns(alice, team_a, make_trial, api_as):
    trial = _executed(
        make_trial, alice, team_a, costs={"commission_bps": 5, "slippage_bps": 2.5}, positions="long_short"
    )
    rows = _predictions(api_as(alice), trial)
    close = _close("SPX")
    # The move each position earns: from the close at `date` to the next bar's close (not the bar's own past move).
    following = (close.shift(-1) / close - 1).loc[rows.index]
    assert np.array_equal(rows["position"], np.where(rows["y_pred"] == 1, 1.0, -1.0))
    assert np.allclose(rows["strategy_return"], rows["position"] * following, rtol=0, atol=1e-15)
    changes = np.abs(np.diff(np.concatenate([[0.0], rows["position"].to_numpy()])))
    assert np.allclose(rows["cost"], changes * 7.5 / 10_000, rtol=0, atol=1e-18)
    assert rows["cost"].gt(0).sum() == np.count_nonzero(changes) > 10
    net = rows["strategy_return"] - rows["cost"]
    assert np.allclose(rows["net_return"], net, rtol=0, atol=1e-15)
    assert np.allclose(rows["equity"], (1 + net).cumprod(), rtol=1e-12)

    metrics = trial.metrics
    assert set(metrics) <= set(FIGURES)  # the trial page and the export know every figure reported
    assert metrics["sharpe"] == pytest.approx(_sharpe(rows["net_return"]), rel=1e-9)
    assert metrics["gross_sharpe"] == pytest.approx(_sharpe(rows["strategy_return"]), rel=1e-9)
    assert metrics["gross_sharpe"] > metrics["sharpe"]
    assert metrics["annual_return"] == pytest.approx(rows["equity"].iloc[-1] ** (252 / len(rows)) - 1, rel=1e-9)
    in_market = rows["position"] != 0
    assert metrics["hit_rate"] == pytest.approx((rows["net_return"][in_market] > 0).mean())
    # Against buy-and-hold of SPX over the same dates.
    slope, intercept = np.polyfit(following, rows["net_return"], 1)
    assert metrics["beta"] == pytest.approx(slope, rel=1e-9)
    assert metrics["alpha"] == pytest.approx(intercept * 252, rel=1e-9)
    active = rows["net_return"] - following
    assert metrics["tracking_error"] == pytest.approx(active.std() * math.sqrt(252), rel=1e-9)
    assert metrics["information_ratio"] == pytest.approx(_sharpe(active), rel=1e-9)
    # Per fold too: the fold's own rows, so a regime where the model fails shows.
    for fold in trial.folds:
        part = rows.loc[fold["test_start"][:10] : fold["test_end"][:10]]
        assert fold["metrics"]["sharpe"] == pytest.approx(_sharpe(part["net_return"]), rel=1e-9)
        b = following.loc[part.index]
        assert fold["metrics"]["beta"] == pytest.approx(np.polyfit(b, part["net_return"], 1)[0], rel=1e-9)


def test_return_target_goes_long_on_a_predicted_rise_and_flat_otherwise(alice, team_a, make_trial, api_as):
    trial = _executed(make_trial, alice, team_a, model="ridge", params={}, data={"target": "return", "horizon": 1})
    rows = _predictions(api_as(alice), trial)
    assert np.array_equal(rows["position"], (rows["y_pred"] > 0).astype(float))
    assert 0 < rows["position"].mean() < 1
    assert "gross_sharpe" not in trial.metrics  # no costs: the net figures are the gross ones
    assert np.array_equal(rows["cost"], np.zeros(len(rows)))


def test_benchmark_is_another_bars_dataset_aligned_by_date(alice, team_a, make_trial, api_as):
    trial = _executed(make_trial, alice, team_a, data={"benchmark": "IXIC"})
    rows = _predictions(api_as(alice), trial)
    ixic = _close("IXIC")
    spx_dates = _close("SPX").index
    aligned = ixic.reindex(spx_dates, method="ffill")
    b = (aligned.shift(-1) / aligned - 1).loc[rows.index]
    slope, intercept = np.polyfit(b, rows["net_return"], 1)
    assert trial.metrics["beta"] == pytest.approx(slope, rel=1e-9)
    assert trial.metrics["alpha"] == pytest.approx(intercept * 252, rel=1e-9)
    assert trial.metrics["information_ratio"] == pytest.approx(_sharpe(rows["net_return"] - b), rel=1e-9)
    assert [d["key"] for d in trial.data_used] == ["SPX", "IXIC"]


def test_repeats_of_a_model_without_a_random_step_run_once_and_say_so(alice, team_a, make_trial):
    trial = _executed(make_trial, alice, team_a, repeats=3)
    assert trial.across_seeds["deterministic"] is True and trial.across_seeds["seeds"] == [0]
    assert "no random step" in trial.across_seeds["note"]


def test_repeats_report_each_metric_across_seeds(alice, team_a, make_trial):
    forest = {"model": "random_forest_classifier", "params": {"n_estimators": 10, "max_depth": 3}}
    trial = _executed(make_trial, alice, team_a, repeats=2, **forest)
    single = [_executed(make_trial, alice, team_a, seed=seed, **forest).metrics for seed in (0, 1)]
    assert trial.across_seeds["seeds"] == [0, 1] and trial.across_seeds["deterministic"] is False
    assert trial.metrics == single[0]
    for name in ("sharpe", "accuracy", "alpha"):
        values = [run[name] for run in single]
        assert trial.across_seeds["mean"][name] == pytest.approx(np.mean(values), rel=1e-12)
        assert trial.across_seeds["std"][name] == pytest.approx(np.std(values, ddof=1), rel=1e-9)
    assert trial.progress == 1.0 and len(trial.folds) == 3


def test_purged_kfold_tests_every_row_once(alice, team_a, make_trial, api_as):
    trial = _executed(make_trial, alice, team_a, validation={"scheme": "purged_kfold", "folds": 4, "embargo": 3})
    rows = _predictions(api_as(alice), trial)
    bars = dataset_frame(dataset=Dataset.objects.get(key="SPX"))
    X, _, _ = make_dataset(
        bars, target="direction", horizon=1, start=pd.Timestamp("2012-01-01"), end=pd.Timestamp("2016-12-31")
    )
    assert rows.index.equals(X.index)
    assert trial.metrics["sharpe"] == pytest.approx(_sharpe(rows["net_return"]), rel=1e-9)
    assert len(trial.folds) == 4 and trial.folds[1]["n_train"] == len(X) - trial.folds[1]["n_test"] - 1 - 3


def test_cpcv_reports_the_distribution_of_its_path_sharpes(alice, team_a, make_trial, api_as):
    trial = _executed(make_trial, alice, team_a, validation={"scheme": "cpcv", "groups": 6, "test_groups": 2})
    rows = _predictions(api_as(alice), trial)
    metrics = trial.metrics
    assert metrics["cpcv_paths"] == 5 and len(trial.folds) == 15
    assert set(metrics) <= set(FIGURES)
    assert metrics["cpcv_sharpe_p5"] <= metrics["cpcv_sharpe_mean"]
    assert metrics["cpcv_sharpe_std"] > 0
    # The predictions are path 1's; its first group comes from the first split, trained here by hand.
    bars = dataset_frame(dataset=Dataset.objects.get(key="SPX"))
    X, y, _ = make_dataset(
        bars, target="direction", horizon=1, start=pd.Timestamp("2012-01-01"), end=pd.Timestamp("2016-12-31")
    )
    assert rows.index.equals(X.index)
    first = cpcv_splits(len(X), groups=6, test_groups=2, gap=1, embargo=0)[0]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000, random_state=0))
    model.fit(X.iloc[first.train], y.iloc[first.train])
    group0 = first.test[: len(first.test) // 2]
    assert np.array_equal(rows["y_pred"].iloc[group0], model.predict(X.iloc[group0]))
    assert metrics["sharpe"] == pytest.approx(_sharpe(rows["net_return"]), rel=1e-9)
    body = api_as(alice).get(f"/api/trials/{trial.pk}/").json()
    assert "not a tradable backtest" in body["validation_note"]
