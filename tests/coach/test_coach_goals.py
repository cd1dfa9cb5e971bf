"""Team goals: an object the team edits (objective, targets, universe, trial budget); its page shows the best trial
against each target; a conversation tied to it carries the goal and its progress in the coach's prompt."""

import pytest
from django.test import Client

from coach.models import Goal
from tests.fakes.fake_anthropic import text
from trials.models import Trial

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def results(alice, team_a, make_trial):
    """Two finished trials of team A on SPX with known figures (stored as a worker would leave them)."""
    made = []
    for sharpe, drawdown, dsr in ((0.8, -0.25, 0.60), (1.3, -0.15, 0.97)):
        trial = make_trial(alice, team_a)
        Trial.objects.filter(pk=trial.pk).update(
            status="succeeded", metrics={"sharpe": sharpe, "max_drawdown": drawdown, "dsr": dsr}
        )
        made.append(trial.pk)
    return made


def test_a_goal_is_set_from_its_page_and_shows_the_best_trial_per_target(alice, results):
    page = browser(alice)
    posted = page.post(
        "/coach/goals/",
        {"objective": "A direction model for SPX that survives costs", "sharpe_min": "1", "max_drawdown_min": "-0.2",
         "dsr_min": "0.99", "symbols": "SPX", "start": "2010-01-01", "end": "2018-12-31", "trial_budget": "20"},
    )  # fmt: skip
    goal = Goal.objects.get()
    assert posted.status_code == 302 and posted["Location"] == f"/coach/goals/{goal.pk}/"
    assert goal.symbols == ["SPX"] and goal.max_drawdown_min == -0.2 and goal.trial_budget == 20

    shown = page.get(f"/coach/goals/{goal.pk}/").content.decode()

    best = results[1]
    assert '<tr data-metric="sharpe"><td>net Sharpe ≥ 1.0</td>\n        <td>1.300</td>' in shown
    assert f'href="/trials/{best}/">#{best}</a></td>\n        <td>yes</td>' in shown
    assert "<td>0.970</td>" in shown and "<td>no</td>" in shown  # DSR 0.97 < 0.99
    assert "Trial budget: 0 of 20 launched" in shown
    assert "For Team A · SPX · Jan. 1, 2010 → Dec. 31, 2018." in shown and "Team Team" not in shown


def test_the_prompt_carries_the_goal_and_its_progress(alice, team_a, results, fake_claude, say, bundled):
    from coach.services import conversation_start, goal_create

    goal = goal_create(team=team_a, user=alice, data={"objective": "Beat SPX net of costs", "sharpe_min": 1,
                                                      "dsr_min": 0.95, "trial_budget": 10})  # fmt: skip
    conversation = conversation_start(team=team_a, user=alice, goal="", team_goal=goal)
    fake_claude.reply(text("On it."))

    say(alice, conversation)

    system = fake_claude.bodies[0]["system"]
    assert "Beat SPX net of costs" in system and conversation.goal == "Beat SPX net of costs"
    assert f"- net Sharpe >= 1: best 1.3 (trial #{results[1]}), met" in system
    assert f"- DSR >= 0.95: best 0.97 (trial #{results[1]}), met" in system
    assert "- trial budget: 0 of 10 launched from proposals" in system


def test_bad_goal_values_are_named(alice, team_a):
    response = browser(alice).post("/coach/goals/", {"objective": "x", "sharpe_min": "lots"})
    assert response.status_code == 400 and "sharpe_min must be a number" in response.content.decode()
    assert not Goal.objects.exists()


def test_goals_belong_to_the_team(alice, charlie, victor, team_a):
    from coach.services import goal_create

    goal = goal_create(team=team_a, user=alice, data={"objective": "team A's secret plan"})

    assert browser(charlie).get(f"/coach/goals/{goal.pk}/").status_code == 404
    assert "team A&#x27;s secret plan" not in browser(charlie).get("/coach/goals/").content.decode()
    assert browser(victor).get(f"/coach/goals/{goal.pk}/").status_code == 200  # viewers read
    assert browser(victor).post(f"/coach/goals/{goal.pk}/", {"objective": "changed"}).status_code == 403
    goal.refresh_from_db()
    assert goal.objective == "team A's secret plan"


def test_goals_api_round_trip_with_progress_and_the_first_bad_field_named(alice, bob, results, api_as):
    goal = {"objective": "SPX direction that survives costs", "sharpe_min": 1.0, "max_drawdown_min": -0.2,
            "symbols": ["SPX"], "start": "2010-01-01", "end": "2018-12-31", "trial_budget": 20}  # fmt: skip
    created = api_as(bob).post("/api/coach/goals/", goal, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["team"], body["objective"], body["symbols"], body["trial_budget"], body["autopilot"]) == (
        "team-a",
        goal["objective"],
        ["SPX"],
        20,
        False,
    )
    sharpe = next(t for t in body["progress"]["targets"] if t["metric"] == "sharpe")
    assert (sharpe["value"], sharpe["trial"], sharpe["met"]) == (1.3, results[1], True)  # the better of the two
    drawdown = next(t for t in body["progress"]["targets"] if t["metric"] == "max_drawdown")
    assert (drawdown["value"], drawdown["met"]) == (-0.15, True)
    changed = api_as(alice).put(f"/api/coach/goals/{body['id']}/", dict(goal, sharpe_min=2.0), format="json")
    assert changed.status_code == 200 and changed.json()["sharpe_min"] == 2.0
    assert next(t for t in changed.json()["progress"]["targets"] if t["metric"] == "sharpe")["met"] is False
    assert [g["id"] for g in api_as(alice).get("/api/coach/goals/").json()] == [body["id"]]

    bad_goals = [
        ({"objective": ""}, "objective"),
        (dict(goal, end="2009-01-01"), "end must be after start"),
        (dict(goal, trial_budget=0), "trial_budget"),
        (dict(goal, symbols=[1]), "symbols"),
    ]
    for bad, word in bad_goals:
        refused = api_as(alice).post("/api/coach/goals/", bad, format="json")
        assert refused.status_code == 400 and word in str(refused.json()), (bad, refused.content)
    assert Goal.objects.count() == 1


def test_goals_api_isolation_and_roles_with_the_autopilot_for_owners(alice, bob, victor, charlie, results, api_as):
    goal_id = api_as(alice).post("/api/coach/goals/", {"objective": "beat SPX"}, format="json").json()["id"]
    assert api_as(charlie).get("/api/coach/goals/").json() == []
    for method, path, body in (
        ("get", "", None),
        ("put", "", {"objective": "x"}),
        ("post", "autopilot/", {"on": True}),
    ):
        response = getattr(api_as(charlie), method)(f"/api/coach/goals/{goal_id}/{path}", body, format="json")
        assert response.status_code == 404, (method, path)
    assert api_as(victor).post("/api/coach/goals/", {"objective": "x"}, format="json").status_code == 403
    assert api_as(victor).get(f"/api/coach/goals/{goal_id}/").status_code == 200  # a viewer reads
    assert api_as(bob).post(f"/api/coach/goals/{goal_id}/autopilot/", {"on": True}, format="json").status_code == 403
    assert (
        api_as(alice).post(f"/api/coach/goals/{goal_id}/autopilot/", {"on": "maybe"}, format="json").status_code == 400
    )
    on = api_as(alice).post(f"/api/coach/goals/{goal_id}/autopilot/", {"on": True}, format="json").json()
    assert (on["autopilot"], on["autopilot_by"]) == (True, "alice")
    off = api_as(alice).post(f"/api/coach/goals/{goal_id}/autopilot/", {"on": False}, format="json").json()
    assert (off["autopilot"], off["autopilot_stopped"]) == (False, "stopped by alice")
