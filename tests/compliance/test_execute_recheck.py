"""The second look when a worker starts a trial: rules changed since submission, and the data hash."""

import pandas as pd
import pytest

from compliance.models import DataIntegrityRule, DataSourceRule, Decision, InstrumentRule, ParamBoundRule
from market_data.models import Bar
from trials.models import Trial, TrialPredictions
from trials.services import trial_execute

pytestmark = pytest.mark.django_db


def test_a_rule_added_after_submission_stops_the_trial_at_execution(alice, team_a, submit, rule):
    trial = submit(alice, team_a)
    assert trial.status == "queued"
    rule(InstrumentRule, mode="deny", patterns="SPX", reason="index licence expired")

    trial_execute(trial_id=trial.pk)

    trial.refresh_from_db()
    assert trial.status == Trial.Status.REJECTED
    assert "[instruments] SPX is on the instrument deny-list" in trial.error and "index licence expired" in trial.error
    assert trial.finished_at is not None
    # Nothing trained.
    assert not TrialPredictions.objects.filter(trial=trial).exists()
    assert trial.folds == [] and trial.metrics == {} and trial.data_used == []
    decisions = list(Decision.objects.filter(trial_id=trial.pk).order_by("id"))
    assert [(d.stage, d.outcome) for d in decisions] == [("submit", "allowed"), ("execute", "rejected")]
    assert decisions[1].reasons[0]["rule"] == "instruments" and decisions[1].rules[0]["kind"] == "instruments"


def test_a_tightened_rule_stops_the_trial_and_a_loosened_one_does_not(alice, team_a, submit, rule):
    bound = rule(ParamBoundRule, param="C", max_value=1.0)
    strict, loose = submit(alice, team_a, params={"C": 0.9}), submit(alice, team_a, params={"C": 0.2})
    bound.max_value = 0.5
    bound.save()

    trial_execute(trial_id=strict.pk)
    trial_execute(trial_id=loose.pk)

    strict.refresh_from_db()
    loose.refresh_from_db()
    assert strict.status == "rejected" and "C is 0.9, at most 0.5" in strict.error
    assert loose.status == "succeeded", loose.error
    executed = Decision.objects.get(trial_id=loose.pk, stage="execute")
    assert executed.outcome == "allowed"
    # The version recorded is the edited one, not the one in force at submission.
    [version] = executed.rules
    assert version["history_id"] == bound.history.latest().history_id and version["snapshot"]["max_value"] == 0.5
    submitted = Decision.objects.get(trial_id=loose.pk, stage="submit")
    assert submitted.rules[0]["history_id"] != version["history_id"]
    assert submitted.rules[0]["snapshot"]["max_value"] == 1.0


def test_data_integrity_is_verified_when_the_worker_starts(alice, team_a, submit, rule, live_dataset):
    live_dataset("UPSPX", "upload", pd.Timestamp("2019-12-31"))
    rule(DataSourceRule, sources="bundled, upload")
    rule(DataIntegrityRule, reason="results must be reproducible from provenance")
    whole = {"symbol": "UPSPX", "start": None, "end": None}
    intact, tampered = submit(alice, team_a, data=whole), submit(alice, team_a, data=whole)
    assert intact.status == tampered.status == "queued"  # the hash is checked at execution, not submission

    trial_execute(trial_id=intact.pk)
    intact.refresh_from_db()
    assert intact.status == "succeeded", intact.error

    bar = Bar.objects.filter(dataset__key="UPSPX").order_by("ts").last()
    Bar.objects.filter(pk=bar.pk).update(close=bar.close * 1.01)  # a value changed behind the provenance hash
    trial_execute(trial_id=tampered.pk)
    tampered.refresh_from_db()
    assert tampered.status == "rejected"
    assert "[data_integrity] the stored values of UPSPX no longer match its provenance hash" in tampered.error
    assert not TrialPredictions.objects.filter(trial=tampered).exists()


def test_a_pending_trial_is_never_executed(alice, bob, team_a, submit, rule):
    from compliance.models import ApprovalRule

    rule(ApprovalRule)  # every trial needs approval
    trial = submit(bob, team_a)
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "pending_approval" and trial.started_at is None
    assert not Decision.objects.filter(trial_id=trial.pk, stage="execute").exists()
