"""Each kind of rule, once allowing and once refusing a submission through trial_create (the path every
trial takes: API, web form, studies, coach)."""

import pandas as pd
import pytest
from django.utils import timezone

from compliance.models import (
    DataFreshnessRule,
    DataSourceRule,
    Decision,
    ForbiddenTermsRule,
    InstrumentRule,
    ModelRule,
    ParamBoundRule,
    QuotaRule,
    ValidationRule,
)
from compliance.services import ComplianceRejected
from trials.models import Trial

pytestmark = pytest.mark.django_db


def refused(submit, user, team, **overrides) -> list[tuple[str, str | None, str]]:
    with pytest.raises(ComplianceRejected) as excinfo:
        submit(user, team, **overrides)
    return [(v.rule, v.field, v.message) for v in excinfo.value.violations]


def test_no_rules_allow_and_record_the_decision(alice, team_a, submit):
    trial = submit(alice, team_a)
    assert trial.status == Trial.Status.QUEUED
    decision = Decision.objects.get(trial_id=trial.pk)
    assert (decision.stage, decision.outcome, decision.reasons, decision.rules) == ("submit", "allowed", [], [])
    assert decision.username == "alice" and decision.team_slug == "team-a"


def test_data_sources(alice, team_a, submit, rule, live_dataset):
    live_dataset("LIVESPX", "polygon", pd.Timestamp.now())
    rule(DataSourceRule, team=team_a, sources="bundled", reason="vendor contract pending")
    assert submit(alice, team_a).status == "queued"  # SPX is bundled
    [(kind, field, message)] = refused(submit, alice, team_a, data={"symbol": "LIVESPX", "start": None, "end": None})
    assert (kind, field) == ("data_sources", "symbol")
    assert "polygon" in message and "vendor contract pending" in message


def test_data_source_rule_of_another_team_does_not_apply(alice, team_a, team_b, submit, rule):
    rule(DataSourceRule, team=team_b, sources="")
    assert submit(alice, team_a).status == "queued"


def test_instrument_allow_list_with_patterns(alice, team_a, submit, rule):
    rule(InstrumentRule, mode="allow", patterns="SP*\nDJI")
    assert submit(alice, team_a).status == "queued"
    [(kind, field, message)] = refused(submit, alice, team_a, data={"symbol": "IXIC"})
    assert (kind, field) == ("instruments", "symbol") and "IXIC is not on the instrument allow-list" in message


def test_instrument_deny_list(alice, team_a, submit, rule):
    rule(InstrumentRule, team=team_a, mode="deny", patterns="ix*")
    assert submit(alice, team_a).status == "queued"
    assert refused(submit, alice, team_a, data={"symbol": "IXIC"})[0][:2] == ("instruments", "symbol")


def test_banned_family_and_catalog_entry(alice, team_a, submit, rule):
    rule(ModelRule, mode="ban", families="forest", catalog_keys="ridge")
    assert submit(alice, team_a).status == "queued"  # logistic_regression, linear
    assert refused(submit, alice, team_a, model="random_forest_classifier", params={})[0][:2] == ("models", "model")
    ridge = refused(submit, alice, team_a, model="ridge", params={}, data={"target": "return"})
    assert ridge[0][:2] == ("models", "model") and "ridge is banned" in ridge[0][2]


def test_allowed_families_only(alice, team_a, submit, rule):
    rule(ModelRule, team=team_a, mode="allow", families="linear")
    assert submit(alice, team_a).status == "queued"
    assert refused(submit, alice, team_a, model="gradient_boosting_classifier", params={})[0][0] == "models"


def test_param_bounds_stricter_than_catalog(alice, team_a, submit, rule):
    rule(ParamBoundRule, param="n_estimators", family="forest", max_value=500, reason="cluster budget")
    ok = submit(alice, team_a, model="random_forest_classifier", params={"n_estimators": 500})
    assert ok.status == "queued"
    [(kind, field, message)] = refused(
        submit, alice, team_a, model="random_forest_classifier", params={"n_estimators": 1000}
    )
    assert (kind, field) == ("param_bounds", "params")
    assert "n_estimators is 1000, at most 500" in message and "cluster budget" in message
    # The catalog default (200) is within bounds; a model without the parameter is not concerned.
    assert submit(alice, team_a, model="random_forest_classifier", params={}).status == "queued"
    assert submit(alice, team_a).status == "queued"


def test_param_lower_bound(alice, team_a, submit, rule):
    rule(ParamBoundRule, param="C", model_key="logistic_regression", min_value=0.1)
    assert submit(alice, team_a, params={"C": 0.5}).status == "queued"
    assert refused(submit, alice, team_a, params={"C": 0.01})[0][:2] == ("param_bounds", "params")


def test_validation_min_folds_and_gap(alice, team_a, submit, rule):
    rule(ValidationRule, min_folds=4, min_gap=5)
    assert submit(alice, team_a, validation={"folds": 4, "gap": 5}).status == "queued"
    found = refused(submit, alice, team_a, validation={"folds": 3, "gap": 1})
    assert [(kind, field) for kind, field, _ in found] == [("validation", "folds"), ("validation", "gap")]


def test_validation_gap_counts_the_embargo_the_horizon_imposes(alice, team_a, submit, rule):
    rule(ValidationRule, min_gap=4)
    # horizon 5 forces an embargo of 4 bars whatever gap was asked for (trials.walkforward.effective_gap)
    assert submit(alice, team_a, data={"horizon": 5, "target": "return"}, model="ridge", params={}).status == "queued"
    assert refused(submit, alice, team_a, data={"horizon": 1})[0][:2] == ("validation", "gap")


def test_validation_min_out_of_sample_length(alice, team_a, submit, rule):
    # 2012..2016 is about 1258 bars: 3 folds test 3 * (1258 // 4) = 942 of them.
    rule(ValidationRule, min_out_of_sample_bars=900)
    assert submit(alice, team_a).status == "queued"
    found = refused(submit, alice, team_a, data={"start": "2015-01-01"})
    assert found[0][:2] == ("validation", "start") and "widen the date range" in found[0][2]


def test_data_freshness_applies_to_live_sources_only(alice, team_a, submit, rule, live_dataset):
    now = pd.Timestamp.now()
    live_dataset("FRESH", "polygon", now - pd.Timedelta(days=1))
    live_dataset("STALE", "polygon", now - pd.Timedelta(days=30))
    rule(DataFreshnessRule, max_age_days=7)
    rule(DataSourceRule, sources="bundled, polygon")
    whole = {"start": None, "end": None}
    assert submit(alice, team_a, data={"symbol": "FRESH", **whole}).status == "queued"
    assert submit(alice, team_a).status == "queued"  # bundled SPX ends years ago: freshness does not apply
    [(kind, field, message)] = refused(submit, alice, team_a, data={"symbol": "STALE", **whole})
    assert (kind, field) == ("data_freshness", "symbol") and "at most 7 days old" in message


def test_quota_per_user_and_per_team(alice, bob, team_a, submit, rule):
    rule(QuotaRule, max_active_per_user=2, max_active_per_team=3)
    submit(alice, team_a)
    submit(alice, team_a)
    [(kind, _, message)] = refused(submit, alice, team_a)
    assert kind == "quota" and "you have 2 trials queued or running, the limit is 2" in message
    submit(bob, team_a)
    found = refused(submit, bob, team_a)
    assert [kind for kind, _, _ in found] == ["quota"] and "Team A has 3 trials" in found[0][2]
    # Finished trials do not count.
    Trial.objects.filter(created_by=alice).update(status="succeeded", finished_at=timezone.now())
    assert submit(alice, team_a).status == "queued"


def test_forbidden_terms_in_name_and_free_text(alice, team_a, submit, rule):
    rule(ForbiddenTermsRule, terms="guaranteed, risk-free", reason="marketing language misleads investors")
    assert submit(alice, team_a, name="momentum probe").status == "queued"
    [(kind, field, message)] = refused(submit, alice, team_a, name="Guaranteed alpha")
    assert (kind, field) == ("forbidden_terms", "name") and "'guaranteed'" in message
    # Notes and goals (as the AI coach writes them) are checked too, though the trial does not store them.
    found = refused(submit, alice, team_a, notes="a risk-free carry", goal="beat SPX")
    assert found[0][:2] == ("forbidden_terms", "notes")
    # Whole words only: "unguaranteed" is not "guaranteed".
    assert submit(alice, team_a, name="unguaranteed returns").status == "queued"


def test_disabled_rule_does_not_apply(alice, team_a, submit, rule):
    rule(InstrumentRule, mode="deny", patterns="SPX", enabled=False)
    assert submit(alice, team_a).status == "queued"


def test_every_violation_is_listed_and_the_refusal_is_recorded_without_a_trial(alice, team_a, submit, rule):
    instruments = rule(InstrumentRule, mode="deny", patterns="SPX")
    folds = rule(ValidationRule, min_folds=10)
    found = refused(submit, alice, team_a)
    assert [kind for kind, _, _ in found] == ["instruments", "validation"]
    assert not Trial.objects.exists()
    decision = Decision.objects.get()
    assert decision.trial_id is None and decision.outcome == "rejected" and decision.stage == "submit"
    assert decision.spec["data"]["symbol"] == "SPX" and decision.username == "alice"
    assert [r["rule"] for r in decision.reasons] == ["instruments", "validation"]
    versions = {(r["kind"], r["id"]): r for r in decision.rules}
    assert versions[("instruments", instruments.pk)]["history_id"] == instruments.history.latest().history_id
    assert versions[("validation", folds.pk)]["snapshot"]["min_folds"] == 10
