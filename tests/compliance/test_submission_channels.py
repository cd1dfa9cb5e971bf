"""What a refused submission looks like on the API (400 with a `compliance` list) and on the web form (each
message next to the field it concerns)."""

import pytest
from django.test import Client

from compliance.models import ForbiddenTermsRule, InstrumentRule, QuotaRule, ValidationRule
from trials.models import Trial

pytestmark = pytest.mark.django_db


def test_api_answers_400_with_the_violated_rules(alice, team_a, bundled, api_as, trial_payload, rule):
    instruments = rule(InstrumentRule, mode="deny", patterns="SPX", reason="licence")
    rule(ValidationRule, min_folds=5, reason="robustness")
    response = api_as(alice).post("/api/trials/", trial_payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["compliance"]
    assert [(v["rule"], v["field"]) for v in body["compliance"]] == [("instruments", "symbol"), ("validation", "folds")]
    assert body["compliance"][0]["rule_id"] == instruments.pk
    assert body["compliance"][0]["message"] == "SPX is on the instrument deny-list — licence"
    assert body["compliance"][1]["message"] == "3 folds, at least 5 are required — robustness"
    assert not Trial.objects.exists()


def test_api_accepts_a_compliant_trial(alice, team_a, bundled, api_as, trial_payload, rule):
    rule(ValidationRule, min_folds=3)
    response = api_as(alice).post("/api/trials/", trial_payload, format="json")
    assert response.status_code == 201 and response.json()["status"] == "queued"


def test_web_form_shows_messages_next_to_their_fields(alice, team_a, bundled, rule):
    rule(ForbiddenTermsRule, terms="risk-free")
    rule(ValidationRule, min_gap=3)
    rule(QuotaRule, max_active_per_team=0)
    client = Client()
    client.force_login(alice)
    form = {
        "team": "team-a",
        "name": "Risk-free carry",
        "model": "ridge",
        "target": "return",
        "symbol": "SPX",
        "start": "2012-01-01",
        "end": "2016-12-31",
        "horizon": 1,
        "folds": 3,
        "gap": 1,
        "seed": 0,
        "params": "",
    }
    response = client.post("/trials/new/", form)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "the name contains the forbidden term 'risk-free'" in errors["name"][0]
    assert "a gap of 1 bars, at least 3 are required" in errors["gap"][0]
    assert "Team A has 0 trials queued or running, the limit is 0" in errors["__all__"][0]
    page = response.content.decode()
    assert "forbidden term" in page and "at least 3 are required" in page
    assert not Trial.objects.exists()
