"""The coach's tools over the team's work, called through tool_use rounds of the fake Messages API: each answers
compact JSON built from the other apps' selectors, within the asking user's team only; proposals are told the
closest existing trials, and one identical to a trial already run is refused with a pointer to it."""

import json

import pytest

from coach.models import Proposal
from tests.fakes.fake_anthropic import text, tool_use
from trials.models import Study, Trial
from trials.services import trial_execute

pytestmark = pytest.mark.django_db


def results(body: dict) -> dict:
    """The tool_result blocks of a request's last turn, by tool_use id, their JSON content parsed when it is JSON."""
    answered = {}
    for block in body["messages"][-1]["content"]:
        if block["type"] != "tool_result":
            continue
        try:
            answered[block["tool_use_id"]] = json.loads(block["content"])
        except ValueError:
            answered[block["tool_use_id"]] = block["content"]
    return answered


@pytest.fixture
def finished(alice, team_a, make_trial):
    """A succeeded logistic regression of team A (run here, as a worker would)."""
    from trials.overfitting import question_of, question_refresh

    trial = make_trial(alice, team_a, name="logistic probe")
    trial_execute(trial_id=trial.pk)
    question_refresh(question=question_of(Trial.objects.get(pk=trial.pk)))  # the worker's follow-up task: DSR
    trial.refresh_from_db()
    assert trial.status == "succeeded", trial.error
    return trial


def test_a_tool_chain_search_then_read_then_propose_and_the_card_runs(
    alice, api_as, conversation, fake_claude, finished, proposal_input, say
):
    fake_claude.reply(tool_use({"model": "logistic", "symbol": "SPX"}, name="search_trials", block_id="tu_search"))
    fake_claude.reply(tool_use({"id": finished.pk}, name="get_trial", block_id="tu_get"))
    fake_claude.reply(text("A forest is the next step."), tool_use(proposal_input, block_id="tu_propose"))
    fake_claude.reply(text("Launch it when ready."))

    ask = say(alice, conversation, "What did the logistic probe show?").json()

    assert ask["status"] == "answered"
    found = results(fake_claude.bodies[1])["tu_search"]["trials"]
    assert [t["id"] for t in found] == [finished.pk]
    assert found[0]["figures"]["sharpe"] == pytest.approx(finished.metrics["sharpe"], abs=1e-4)
    assert {"dsr", "trials_in_question", "max_drawdown"} <= found[0]["figures"].keys()
    read = results(fake_claude.bodies[2])["tu_get"]
    assert read["id"] == finished.pk and len(read["folds"]) == 3 and read["costs"] == finished.costs
    assert "improve the dsr" in read["note"]
    proposed = results(fake_claude.bodies[3])["tu_propose"]
    assert proposed.startswith("Proposal stored") and "Closest existing trials of the team" in proposed
    assert f'"id":{finished.pk}' in proposed  # the closest trial on SPX direction is the one it read

    [card] = ask["reply"]["proposals"]
    launched = api_as(alice).post(f"/api/coach/proposals/{card['id']}/launch/")
    assert launched.status_code == 201
    trial_execute(trial_id=launched.json()["trial"])
    assert Trial.objects.get(pk=launched.json()["trial"]).status == "succeeded"


def test_a_proposal_identical_to_a_trial_already_run_is_refused_with_a_pointer(
    alice, conversation, fake_claude, make_trial, team_a, say, trial_payload
):
    earlier = make_trial(alice, team_a)  # queued counts: it will run
    fake_claude.reply(tool_use({**trial_payload, "name": "again", "rationale": "Once more."}, block_id="tu_dup"))
    fake_claude.reply(text("I see, it ran already."))

    [card] = say(alice, conversation).json()["reply"]["proposals"]

    assert card["status"] == "invalid" and card["duplicate_of"] == earlier.pk
    assert f"trial #{earlier.pk}" in card["errors"]["duplicate"]
    [block] = fake_claude.bodies[1]["messages"][-1]["content"]
    assert block["is_error"] is True and block["content"].startswith(f"Refused: identical to trial #{earlier.pk}")
    # Another seed is another run.
    fake_claude.reply(tool_use({**trial_payload, "seed": 1, "name": "seed 1", "rationale": "Seed check."}))
    fake_claude.reply(text("Stored."))
    assert say(alice, conversation).json()["reply"]["proposals"][0]["status"] == "proposed"


def test_every_tool_finds_nothing_of_another_team(
    alice, charlie, conversation, fake_claude, make_trial, team_a, team_b, say, trial_payload
):
    from accounts.models import Membership
    from market_data.models import Dataset
    from market_data.selectors import dataset_frame
    from market_data.services import dataset_store

    # alice is in team B too; this conversation is team A's, so its tools see team A's work only.
    Membership.objects.create(user=alice, team=team_b, role="member")
    ours = make_trial(alice, team_a, name="ours")
    theirs = make_trial(charlie, team_b, name="theirs", params={"C": 3.0})
    spx = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True))
    dataset_store(key="BDESK", name="team B's desk", kind="bars", source="upload", data=spx.loc["2014":"2016"],
                  provenance={}, team=team_b)  # fmt: skip
    calls = [
        tool_use({}, name="list_datasets", block_id="t_datasets"),
        tool_use({}, name="search_trials", block_id="t_all"),
        tool_use({"model": "logistic_regression"}, name="search_trials", block_id="t_model"),
        tool_use({"id": theirs.pk}, name="get_trial", block_id="t_get"),
        tool_use({"ids": [ours.pk, theirs.pk]}, name="compare_trials", block_id="t_compare"),
        tool_use({**trial_payload, "params": {"C": 3.0}, "name": "x", "rationale": "r"}, block_id="t_same_as_b"),
        tool_use(
            {**trial_payload, "data": {**trial_payload["data"], "symbol": "BDESK"}, "name": "y", "rationale": "r"},
            block_id="t_b_data",
        ),  # fmt: skip
        tool_use(
            {
                "model": "logistic_regression",
                "data": {"symbol": "BDESK"},
                "metric": "sharpe",
                "budget": 3,
                "rationale": "r",
            },
            name="propose_study",
            block_id="t_b_study",
        ),  # fmt: skip
        tool_use({"query": "logistic"}, name="search_models", block_id="t_models"),
        tool_use({"key": "logistic_regression"}, name="get_model", block_id="t_model_key"),
    ]
    fake_claude.reply(*calls)
    fake_claude.reply(text("Nothing of team B here."))

    say(alice, conversation)

    answered = results(fake_claude.bodies[1])
    assert set(answered) == {call["id"] for call in calls}
    everything = json.dumps(answered)
    assert "BDESK" not in json.dumps(answered["t_datasets"]) and "SPX" in json.dumps(answered["t_datasets"])
    assert [t["id"] for t in answered["t_all"]["trials"]] == [ours.pk]
    assert [t["id"] for t in answered["t_model"]["trials"]] == [ours.pk]
    assert "error" in answered["t_get"] and "theirs" not in everything
    assert "error" in answered["t_compare"]
    assert answered["t_same_as_b"].startswith("Proposal stored")  # team B's identical trial is not a duplicate here
    assert "unknown dataset" in answered["t_b_data"] or "BDESK" in answered["t_b_data"]
    assert answered["t_b_data"].startswith("Not stored as launchable")
    assert answered["t_b_study"].startswith("Not stored as launchable")
    assert any(m["key"] == "logistic_regression" for m in answered["t_models"]["models"])
    assert answered["t_model_key"]["key"] == "logistic_regression" and answered["t_model_key"]["params"]


def test_a_study_proposal_is_launched_as_a_study(alice, api_as, conversation, fake_claude, say):
    study = {"name": "tune C", "model": "logistic_regression", "metric": "sharpe", "budget": 4,
             "data": {"symbol": "SPX", "start": "2012-01-01", "end": "2016-12-31", "target": "direction"},
             "validation": {"folds": 3, "gap": 1}, "rationale": "C matters most for a logistic model."}  # fmt: skip
    fake_claude.reply(tool_use(study, name="propose_study", block_id="tu_study"))
    fake_claude.reply(text("A small study."))

    [card] = say(alice, conversation).json()["reply"]["proposals"]

    assert card["kind"] == "study" and card["status"] == "proposed" and card["payload"]["budget"] == 4
    launched = api_as(alice).post(f"/api/coach/proposals/{card['id']}/launch/")
    assert launched.status_code == 201, launched.content
    made = Study.objects.get(pk=launched.json()["study"])
    assert made.team.slug == "team-a" and made.model_keys == ["logistic_regression"] and made.budget == 4
    assert Proposal.objects.get(pk=card["id"]).study == made
