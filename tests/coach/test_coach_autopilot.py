"""Autopilot, off by default: an owner lets a goal run by itself; the coach's valid proposals are launched through
trial_create and the gateway, marked automated, until the goal's trial budget; an owner's Stop or failures in a
row stop it."""

import pytest
from django.test import Client

from coach.models import Goal, Proposal
from coach.services import autopilot_failure, conversation_start, goal_autopilot_set, goal_create
from compliance.models import Decision
from tests.fakes.fake_anthropic import text, tool_use
from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def goal(alice, team_a):
    return goal_create(team=team_a, user=alice, data={"objective": "A forest on SPX", "trial_budget": 1})


def test_autopilot_launches_up_to_the_budget_then_stops(alice, bob, goal, team_a, fake_claude, proposal_input, say):
    conversation = conversation_start(team=team_a, user=bob, goal="", team_goal=goal)
    assert goal.autopilot is False  # off by default
    goal_autopilot_set(goal=goal, user=alice, on=True)
    fake_claude.reply(tool_use(proposal_input), tool_use({**proposal_input, "seed": 8, "name": "second"}))
    fake_claude.reply(text("Two ideas."))

    say(bob, conversation, "Go.")

    [trial] = Trial.objects.all()
    assert trial.created_by == alice and trial.name == "SPX forest probe"
    assert Decision.objects.get(trial=trial).automated is True
    assert list(Proposal.objects.order_by("id").values_list("status", flat=True)) == ["launched", "proposed"]
    goal.refresh_from_db()
    assert goal.autopilot is False and goal.autopilot_stopped == "the trial budget of 1 is used"


def test_only_owners_start_it_and_stop_stops_it(alice, bob, goal):
    from accounts.services import PermissionDenied

    with pytest.raises(PermissionDenied):
        goal_autopilot_set(goal=goal, user=bob, on=True)
    page = Client()
    page.force_login(alice)
    assert page.post(f"/coach/goals/{goal.pk}/", {"autopilot": "on"}).status_code == 302
    assert Goal.objects.get(pk=goal.pk).autopilot is True
    assert "Stop" in page.get(f"/coach/goals/{goal.pk}/").content.decode()
    page.post(f"/coach/goals/{goal.pk}/", {"autopilot": "off"})
    goal.refresh_from_db()
    assert goal.autopilot is False and goal.autopilot_stopped == "stopped by alice"


def test_failures_in_a_row_stop_it(alice, goal, settings):
    settings.COACH_AUTOPILOT_MAX_FAILURES = 2
    goal_autopilot_set(goal=goal, user=alice, on=True)
    autopilot_failure(goal=goal, failed=True)
    autopilot_failure(goal=goal, failed=False)  # a success resets the count
    autopilot_failure(goal=goal, failed=True)
    assert Goal.objects.get(pk=goal.pk).autopilot is True
    autopilot_failure(goal=goal, failed=True)
    goal.refresh_from_db()
    assert goal.autopilot is False and goal.autopilot_stopped == "2 of its trials failed in a row"
