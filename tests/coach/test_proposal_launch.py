"""One click: a proposal becomes a trial through trial_create and the compliance gateway, or is refused."""

import pytest

from coach.models import Proposal
from compliance.models import Decision, ForbiddenTermsRule
from tests.fakes.fake_anthropic import text, tool_use
from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def propose(alice, conversation, fake_claude, say):
    """The coach proposes `tool_input` in `conversation`; returns the stored Proposal."""

    def make(tool_input):
        fake_claude.reply(text("Here is one."), tool_use(tool_input))
        fake_claude.reply(text("Over to you."))
        response = say(alice, conversation)
        assert response.json()["status"] == "answered", response.content
        return Proposal.objects.get(pk=response.json()["reply"]["proposals"][0]["id"])

    return make


def launch(client, proposal):
    return client.post(f"/api/coach/proposals/{proposal.pk}/launch/", format="json")


def test_launch_creates_the_proposed_trial(api_as, bob, team_a, propose, proposal_input):
    proposal = propose(proposal_input)

    response = launch(api_as(bob), proposal)

    assert response.status_code == 201
    trial = Trial.objects.get(pk=response.json()["trial"])
    assert response.json()["status"] == "queued" and response.json()["proposal"]["status"] == "launched"
    assert trial.team == team_a and trial.created_by == bob and trial.status == Trial.Status.QUEUED
    assert trial.name == "SPX forest probe" and trial.model_key == "random_forest_classifier"
    assert trial.family == "forest" and trial.target == "direction" and trial.seed == 7
    assert trial.params == {
        "n_estimators": 50,
        "max_depth": 3,
        "min_samples_leaf": 20,
        "max_features": "sqrt",
        "n_jobs": 1,
    }
    assert trial.data == {
        "symbol": "SPX",
        "start": "2010-01-01",
        "end": "2015-12-31",
        "target": "direction",
        "horizon": 1,
        "macro": [],
    }
    assert trial.validation == {"scheme": "walk_forward", "folds": 4, "gap": 2}
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.LAUNCHED and proposal.trial == trial
    # The gateway judged it with the coach's rationale and the conversation's goal as free text.
    decision = Decision.objects.get(trial=trial)
    assert decision.outcome == "allowed"
    assert decision.spec["notes"] == proposal_input["rationale"]
    assert decision.spec["goal"].startswith("Find a direction model for SPX")


def test_a_launched_proposal_cannot_launch_twice(api_as, alice, propose, proposal_input):
    proposal = propose(proposal_input)
    assert launch(api_as(alice), proposal).status_code == 201

    again = launch(api_as(alice), proposal)

    assert again.status_code == 409 and "launched" in again.json()["detail"]
    assert Trial.objects.count() == 1


def test_an_invalid_proposal_cannot_be_launched(api_as, alice, propose, proposal_input):
    proposal_input["model"] = "quantum_oracle"
    proposal = propose(proposal_input)
    assert proposal.status == Proposal.Status.INVALID

    response = launch(api_as(alice), proposal)

    assert response.status_code == 409 and "invalid" in response.json()["detail"]
    assert not Trial.objects.exists()


@pytest.mark.parametrize("where", ["rationale", "name"])
def test_a_forbidden_term_written_by_the_coach_is_refused_by_compliance(
    api_as, alice, team_a, propose, proposal_input, where
):
    rule = ForbiddenTermsRule.objects.create(team=team_a, terms="guaranteed, risk-free", reason="no promises")
    proposal_input[where] = "A risk-free edge" if where == "name" else "This edge is guaranteed to pay."
    proposal = propose(proposal_input)

    response = launch(api_as(alice), proposal)

    assert response.status_code == 400
    [violation] = response.json()["compliance"]
    field = "name" if where == "name" else "notes"
    assert violation["rule"] == "forbidden_terms" and violation["rule_id"] == rule.pk and violation["field"] == field
    assert not Trial.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PROPOSED and proposal.trial is None
    # The refusal is in the audit trail (it must survive the launch's transaction).
    refused = Decision.objects.get(outcome="rejected")
    assert refused.user == alice and refused.trial is None and refused.reasons[0]["field"] == field


def test_viewers_cannot_launch_or_dismiss(api_as, victor, propose, proposal_input):
    proposal = propose(proposal_input)

    launched = launch(api_as(victor), proposal)
    dismissed = api_as(victor).post(f"/api/coach/proposals/{proposal.pk}/dismiss/")

    assert launched.status_code == 403 and "viewers can only read" in launched.json()["detail"]
    assert dismissed.status_code == 403
    assert not Trial.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PROPOSED


def test_dismiss_then_launch_is_refused(api_as, alice, propose, proposal_input):
    proposal = propose(proposal_input)

    dismissed = api_as(alice).post(f"/api/coach/proposals/{proposal.pk}/dismiss/")

    assert dismissed.status_code == 200 and dismissed.json()["status"] == "dismissed"
    assert launch(api_as(alice), proposal).status_code == 409
    assert not Trial.objects.exists()
