"""Studies: Optuna asks, each evaluation is an ordinary trial on the real workers, the best is tracked."""

import csv
import io
import time

import pytest
from celery.contrib.testing.worker import start_worker

from mltrainer_site.celery import app as celery_app
from trials.models import Study, Trial
from trials.studies import study_step

STUDY = {
    "name": "tune C",
    "model": "logistic_regression",
    "data": {"symbol": "SPX", "start": "2012-01-01", "end": "2016-12-31", "target": "direction"},
    "validation": {"folds": 3, "gap": 1},
    "metric": "sharpe",
    "budget": 4,
    "parallelism": 2,
}


def _wait(predicate, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out")


def _worker():
    return start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=60, loglevel="WARNING")


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_study_runs_every_evaluation_as_a_trial_and_tracks_the_best(bundled, alice, api_as):
    client = api_as(alice)
    created = client.post("/api/studies/", STUDY, format="json")
    assert created.status_code == 201, created.content
    study_id = created.json()["id"]
    with _worker():
        _wait(lambda: Study.objects.get(pk=study_id).status != "running")
    study = client.get(f"/api/studies/{study_id}/").json()
    assert study["status"] == "succeeded"
    trials = Trial.objects.filter(study_id=study_id)
    assert trials.count() == 4 and set(trials.values_list("status", flat=True)) == {"succeeded"}
    values = {t.pk: t.metrics["sharpe"] for t in trials}
    best_id = max(values, key=values.get)
    assert study["best"]["trial"] == best_id and study["best"]["value"] == values[best_id]
    cs = [t.params["C"] for t in trials]
    assert len(set(cs)) == 4 and all(1e-4 <= c <= 1e4 for c in cs)

    export = client.get(f"/api/studies/{study_id}/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert sorted(int(r["id"]) for r in rows) == sorted(values)
    assert {float(r["sharpe"]) for r in rows} == set(values.values())


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_study_carries_on_after_a_worker_restart(bundled, alice, api_as):
    study_id = api_as(alice).post("/api/studies/", dict(STUDY, budget=3, parallelism=1), format="json").json()["id"]
    with _worker():  # the first worker stops after the first evaluation
        _wait(lambda: Trial.objects.filter(study_id=study_id, status="succeeded").count() >= 1)
    assert Study.objects.get(pk=study_id).status == "running"
    with _worker():  # a new worker picks up where the queue left off
        _wait(lambda: Study.objects.get(pk=study_id).status != "running")
    assert Study.objects.get(pk=study_id).status == "succeeded"
    assert Trial.objects.filter(study_id=study_id, status="succeeded").count() == 3


@pytest.mark.django_db
def test_study_step_respects_parallelism_and_budget(bundled, alice, team_a):
    from trials.studies import study_create

    study = study_create(team=team_a, user=alice, payload=dict(STUDY, budget=3, parallelism=2))
    study_step(study_id=study.pk)
    assert Trial.objects.filter(study=study, status="queued").count() == 2
    study_step(study_id=study.pk)  # nothing finished yet: no new evaluation
    assert Trial.objects.filter(study=study).count() == 2
    Trial.objects.filter(study=study).update(status="succeeded", metrics={"sharpe": 0.1})
    study_step(study_id=study.pk)
    assert Trial.objects.filter(study=study).count() == 3  # the budget caps the third launch
    Trial.objects.filter(study=study).update(status="succeeded", metrics={"sharpe": 0.2})
    study_step(study_id=study.pk)
    assert Study.objects.get(pk=study.pk).status == "succeeded"


@pytest.mark.django_db
def test_cancel_stops_the_study_and_its_queued_trials(bundled, alice, team_a, api_as):
    from trials.studies import study_create

    study = study_create(team=team_a, user=alice, payload=STUDY)
    study_step(study_id=study.pk)
    body = api_as(alice).post(f"/api/studies/{study.pk}/cancel/").json()
    assert body["status"] == "cancelled"
    assert set(Trial.objects.filter(study=study).values_list("status", flat=True)) == {"cancelled"}
    study_step(study_id=study.pk)
    assert Trial.objects.filter(study=study).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"model": "nope"}, "models", "unknown or disabled"),
        ({"metric": "rmse"}, "metric", "must be one of"),
        ({"budget": 0}, "budget", "from 1 to"),
        ({"direction": "up"}, "direction", "maximize or minimize"),
        ({"fixed_params": {"logistic_regression": {"C": -1}}}, "fixed_params", "at least"),
        ({"metric": ["sharpe", "f1"]}, "metric", "must be the name of a metric such as sharpe, got list"),
        ({"direction": ["maximize"]}, "direction", "maximize or minimize"),
        ({"name": "n" * 198}, "name", 'at most 197 characters (evaluations add " #4")'),
        ({"name": "n" * 200}, "name", "at most 197 characters"),
        ({"positions": "long_only"}, "positions", "long_flat, long_short"),
        ({"stop_after": 3}, "stop_after", "unknown field"),
        ({"data": {**STUDY["data"], "start": "2016-10-01"}}, "validation", "usable rows are too few"),
    ],
)
def test_bad_study_spec_is_refused_with_reasons(bundled, alice, api_as, change, field, fragment):
    response = api_as(alice).post("/api/studies/", dict(STUDY, **change), format="json")
    assert response.status_code == 400
    assert fragment in str(response.json()[field])
    assert not Study.objects.exists()


@pytest.mark.django_db
def test_a_study_name_that_fits_with_its_suffix_and_study_settings_reach_every_evaluation(bundled, alice, team_a):
    from trials.studies import study_create

    spec = dict(STUDY, name="n" * 197, costs={"commission_bps": 1}, positions="long_short", repeats=2, budget=4)
    study = study_create(team=team_a, user=alice, payload=spec)
    study_step(study_id=study.pk)
    trials = list(Trial.objects.filter(study=study))
    assert len(trials) == 2 and all(t.status == "queued" for t in trials)  # not refused: the names fit
    assert {len(t.name) for t in trials} == {200}
    assert all(t.positions == "long_short" and t.repeats == 2 for t in trials)
    assert all(t.costs == {"commission_bps": 1.0, "slippage_bps": 0.0} for t in trials)


@pytest.mark.django_db
def test_outsider_cannot_see_or_cancel_a_study(bundled, alice, team_a, charlie, api_as):
    from trials.studies import study_create

    study = study_create(team=team_a, user=alice, payload=STUDY)
    outsider = api_as(charlie)
    assert outsider.get(f"/api/studies/{study.pk}/").status_code == 404
    assert outsider.post(f"/api/studies/{study.pk}/cancel/").status_code == 404
    assert outsider.get(f"/api/studies/{study.pk}/export.csv").status_code == 404
    assert outsider.get("/api/studies/").json() == []
    assert Study.objects.get(pk=study.pk).status == "running"


@pytest.mark.django_db
def test_evaluations_refused_by_compliance_use_budget_without_locking_the_owner_out(bundled, alice, team_a, api_as):
    from compliance.models import ParamBoundRule
    from trials.studies import study_create

    ParamBoundRule.objects.create(param="C", model_key="logistic_regression", max_value=1e-4, reason="tiny C only")
    study = study_create(team=team_a, user=alice, payload=dict(STUDY, budget=6, parallelism=6))
    study_step(study_id=study.pk)
    trials = Trial.objects.filter(study=study)
    assert trials.count() == 6 and set(trials.values_list("status", flat=True)) == {"rejected"}
    assert all("tiny C only" in t.error or "C" in t.error for t in trials)
    study_step(study_id=study.pk)
    assert Study.objects.get(pk=study.pk).status == "succeeded"  # finished, with no successful evaluation
    # Six refusals by the optimiser are not the owner's violations: alice can still submit by hand.
    response = api_as(alice).post("/api/trials/", dict(STUDY["data"] and {
        "model": "logistic_regression", "params": {"C": 1e-4}, "data": STUDY["data"], "validation": STUDY["validation"]
    }), format="json")  # fmt: skip
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_a_study_of_a_model_no_longer_in_the_catalog_fails_with_the_reason(bundled, alice, team_a):
    from trials.studies import study_create

    study = study_create(team=team_a, user=alice, payload=STUDY)
    Study.objects.filter(pk=study.pk).update(model_keys=["logistic_regression", "lasso"])  # lasso became elastic_net
    study_step(study_id=study.pk)
    study.refresh_from_db()
    assert (study.status, study.error) == ("failed", "no longer in the catalog: lasso")
    assert not Trial.objects.filter(study=study).exists()
