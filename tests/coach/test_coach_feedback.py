"""The result of a trial launched from a proposal comes back into the conversation (a trial_status_changed
listener), with net-of-cost and deflated figures, and the coach reads it on its next turn."""

import pytest

from coach.models import Message
from tests.fakes.fake_anthropic import text, tool_use
from trials.services import trial_execute

pytestmark = pytest.mark.django_db


def test_a_finished_trial_reports_back_and_the_coach_reads_it(
    alice, api_as, conversation, fake_claude, proposal_input, say, django_capture_on_commit_callbacks
):
    fake_claude.reply(tool_use(proposal_input))
    fake_claude.reply(text("Launch it."))
    [card] = say(alice, conversation).json()["reply"]["proposals"]
    trial_id = api_as(alice).post(f"/api/coach/proposals/{card['id']}/launch/").json()["trial"]

    with django_capture_on_commit_callbacks(execute=True):  # the listener runs after the commit, as in the worker
        trial_execute(trial_id=trial_id)

    [feedback] = Message.objects.filter(feedback_trial_id=trial_id)
    from trials.models import Trial

    trial = Trial.objects.get(pk=trial_id)
    assert trial.status == "succeeded" and trial.metrics["trials_in_question"] == 1
    assert feedback.role == "user" and feedback.user is None
    assert f'Trial #{trial_id} "SPX forest probe"' in feedback.text and "succeeded" in feedback.text
    assert f"Sharpe {trial.metrics['sharpe']:.3f}" in feedback.text
    assert f"(DSR) {trial.metrics['dsr']:.3f} over 1 trials in the question" in feedback.text
    assert "The DSR, not the raw Sharpe ratio, is the figure to improve" in feedback.text

    fake_claude.reply(text("The forest's DSR is low; try fewer features."))
    say(alice, conversation, "How did it do?")

    last = fake_claude.bodies[-1]
    turn = last["messages"][-1]
    assert turn["role"] == "user"
    assert [block["text"] for block in turn["content"]] == [feedback.text, "How did it do?"]
    assert "the deflated Sharpe ratio (dsr)" in last["system"] and "figure to improve" in last["system"]
    page = api_as(alice).get(f"/api/coach/conversations/{conversation.pk}/").json()
    assert feedback.text in [m["text"] for m in page["messages"]]


def test_a_trial_not_launched_by_the_coach_reports_nowhere(
    alice, team_a, make_trial, django_capture_on_commit_callbacks, conversation
):
    trial = make_trial(alice, team_a)
    with django_capture_on_commit_callbacks(execute=True):
        trial_execute(trial_id=trial.pk)
    assert not Message.objects.exists()


def test_the_feedback_says_where_the_trial_stands_against_the_goal():
    from coach.feedback import feedback_text
    from coach.models import Goal, Proposal
    from trials.models import Trial

    trial = Trial(pk=7, name="probe", status="succeeded", metrics={"sharpe": 0.84, "max_drawdown": -0.153, "dsr": 0.97})
    proposal = Proposal(pk=3)
    goal = Goal(objective="SPX", sharpe_min=1.0, max_drawdown_min=-0.2, dsr_min=None)
    text = feedback_text(trial=trial, proposal=proposal, goal=goal)
    assert text.endswith(
        "Against the goal: net Sharpe 0.840 (target ≥ 1, not met); max drawdown -15.3 % (target ≥ -20 %, met)."
    )
    assert "Against the goal" not in feedback_text(trial=trial, proposal=proposal, goal=None)
