"""The deflated Sharpe ratio of a research question and the PBO of a study, through the services the worker
runs, against the papers' formulas applied by hand to the exported returns; and which trials count."""

import copy

import numpy as np
import pandas as pd
import pytest

from compliance.models import ModelRule
from compliance.services import ComplianceRejected
from tests.conftest import TRIAL_PAYLOAD
from tests.trials.papers import expected_max_by_hand, pbo_by_hand, psr_by_hand
from trials.models import Study, Trial
from trials.overfitting import question_of, question_refresh, study_pbo_refresh
from trials.selectors import prediction_frame
from trials.services import trial_cancel, trial_create, trial_execute

pytestmark = pytest.mark.django_db


def _trial(user, team, *, run=True, study=None, **overrides):
    payload = copy.deepcopy(TRIAL_PAYLOAD)
    for key, value in overrides.items():
        payload[key] = {**payload[key], **value} if key == "data" else value
    trial = trial_create(team=team, user=user, payload=payload, study=study)
    if run:
        trial_execute(trial_id=trial.pk)
        trial.refresh_from_db()
        assert trial.status == "succeeded", trial.error
    return trial


def _net(trial) -> np.ndarray:
    return prediction_frame(trial=trial)["net_return"].to_numpy()


def test_dsr_deflates_by_every_trial_of_the_question(bundled, alice, bob, charlie, team_a, team_b, api_as):
    ran = [_trial(alice, team_a, params={"C": c}) for c in (0.5, 0.01)]
    ran.append(_trial(bob, team_a, model="random_forest_classifier", params={"n_estimators": 10, "max_depth": 3}))
    cancelled = _trial(alice, team_a, run=False, params={"C": 2.0})
    trial_cancel(trial=cancelled, user=alice)
    ModelRule.objects.create(catalog_keys="ridge_classifier", reason="not on this desk")
    with pytest.raises(ComplianceRejected):
        _trial(alice, team_a, run=False, model="ridge_classifier", params={})
    ModelRule.objects.all().delete()
    # Not in the question: another date range, another horizon, another team.
    outside = [
        (_trial(alice, team_a, run=False, data={"end": "2016-06-30"}), alice),
        (_trial(alice, team_a, run=False, data={"horizon": 2}), alice),
        (_trial(charlie, team_b, run=False), charlie),
    ]
    for trial, owner in outside:  # left queued, team B's would take the next worker slot (the fair order)
        trial_cancel(trial=trial, user=owner)

    assert question_refresh(question=question_of(ran[0])) == 3
    n = 5  # three that ran, one cancelled, one refused by compliance
    per_bar = [(lambda r: r.mean() / r.std(ddof=1))(_net(t)) for t in ran]
    sr0 = expected_max_by_hand(per_bar, n)
    for trial in ran:
        trial.refresh_from_db()
        assert trial.metrics["trials_in_question"] == n
        assert trial.metrics["dsr"] == pytest.approx(psr_by_hand(_net(trial), sr0), rel=1e-9)
        assert trial.metrics["psr"] == pytest.approx(psr_by_hand(_net(trial), 0.0), rel=1e-9)
        assert trial.metrics["dsr"] < trial.metrics["psr"]
    body = api_as(alice).get(f"/api/trials/{ran[0].pk}/").json()
    assert body["metrics"]["dsr"] == ran[0].metrics["dsr"] and body["dsr_computed_at"] is not None
    assert api_as(charlie).get(f"/api/trials/{ran[0].pk}/").status_code == 404

    # A later trial joins the question: a recompute counts it.
    _trial(alice, team_a, params={"C": 0.1})
    question_refresh(question=question_of(ran[0]))
    ran[0].refresh_from_db()
    assert ran[0].metrics["trials_in_question"] == 6


def test_a_lone_trial_has_dsr_equal_topsr_by_hand(bundled, alice, team_a):
    trial = _trial(alice, team_a)
    question_refresh(question=question_of(trial))
    trial.refresh_from_db()
    assert trial.metrics["trials_in_question"] == 1
    assert trial.metrics["dsr"] == pytest.approx(trial.metrics["psr"], rel=1e-12)


def test_study_pbo_by_cscv_over_its_evaluations(bundled, alice, team_a, api_as):
    study = Study.objects.create(
        team=team_a, created_by=alice, model_keys=["logistic_regression"], data=TRIAL_PAYLOAD["data"],
        validation=TRIAL_PAYLOAD["validation"], metric="sharpe", direction="maximize", budget=8,
    )  # fmt: skip
    evaluations = []
    for number, c in enumerate((0.0005, 0.002, 0.01, 0.05, 0.2, 1.0, 5.0)):
        evaluations.append(_trial(alice, team_a, study=study, params={"C": c}, name=f"#{number}"))
    assert study_pbo_refresh(study_id=study.pk) is None  # seven: not yet
    evaluations.append(_trial(alice, team_a, study=study, params={"C": 50.0}))
    pbo = study_pbo_refresh(study_id=study.pk)
    matrix = pd.concat([pd.Series(_net(t)) for t in evaluations], axis=1).to_numpy()
    assert pbo == pytest.approx(pbo_by_hand(matrix, 16), abs=1e-12)
    body = api_as(alice).get(f"/api/studies/{study.pk}/").json()
    assert body["pbo"] == pbo and body["pbo_evaluations"] == 8 and body["pbo_computed_at"]


def test_a_trial_never_reads_another_teams_private_series(bundled, alice, charlie, team_a, team_b, api_as):
    from market_data.models import Dataset
    from market_data.selectors import dataset_frame
    from market_data.services import dataset_store

    spx = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True)).loc["2010":"2016"]
    theirs = dataset_store(key="DESK", name="b", kind="bars", source="upload", data=spx * 2, provenance={}, team=team_b)
    payload = {**copy.deepcopy(TRIAL_PAYLOAD), "data": {**TRIAL_PAYLOAD["data"], "symbol": "DESK"}}
    response = api_as(alice).post("/api/trials/", payload, format="json")
    assert response.status_code == 400 and "unknown symbol 'DESK'" in response.json()["data"]["symbol"]
    payload["data"] = {**TRIAL_PAYLOAD["data"], "benchmark": "DESK"}
    body = api_as(alice).post("/api/trials/", payload, format="json").json()
    assert "unknown symbol 'DESK'" in body["data"]["benchmark"]
    # With a series of the same key of her own, alice's trial reads hers, never charlie's.
    ours = dataset_store(key="DESK", name="a", kind="bars", source="upload", data=spx, provenance={}, team=team_a)
    trial = _trial(alice, team_a, data={"symbol": "DESK"})
    assert [d["dataset_id"] for d in trial.data_used] == [ours.pk] != [theirs.pk]
    assert Trial.objects.filter(team=team_b).count() == 0
