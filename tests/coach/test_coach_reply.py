"""The coach's replies: what it sends Claude, and how tool calls become stored proposals."""

import anthropic
import pytest

from coach.models import Message, Proposal
from tests.fakes.fake_anthropic import VALID_KEY, text, tool_use

pytestmark = pytest.mark.django_db


def test_a_valid_proposal_is_stored_as_proposed(alice, conversation, fake_claude, proposal_input, say):
    fake_claude.reply(text("Start simple: a shallow forest."), tool_use(proposal_input, block_id="toolu_01"))
    fake_claude.reply(text("It is ready for you to launch."))

    response = say(alice, conversation)

    assert response.json()["status"] == "answered"
    body = response.json()["reply"]
    assert body["role"] == "assistant"
    assert body["text"] == "Start simple: a shallow forest.\n\nIt is ready for you to launch."
    assert body["model"] == "claude-sonnet-5-5"
    assert body["usage"]["requests"] == 2 and body["usage"]["output_tokens"] > 0
    [proposal] = body["proposals"]
    assert proposal["status"] == "proposed" and proposal["errors"] == {} and proposal["compliance"] == []
    assert proposal["rationale"] == proposal_input["rationale"]
    # Normalised by trial_spec_clean: every parameter present, defaults filled in.
    assert proposal["payload"]["model"] == "random_forest_classifier"
    assert proposal["payload"]["params"] == {
        "n_estimators": 50,
        "max_depth": 3,
        "min_samples_leaf": 20,
        "max_features": "sqrt",
        "n_jobs": 1,
    }
    assert proposal["payload"]["data"] == {**proposal_input["data"], "macro": []}
    assert proposal["payload"]["validation"] == {"scheme": "walk_forward", "folds": 4, "gap": 2}
    stored = Proposal.objects.get()
    assert stored.tool_use_id == "toolu_01" and stored.conversation == conversation
    assert list(Message.objects.filter(conversation=conversation).values_list("role", "text", "user__username")) == [
        ("user", "What should we try next?", "alice"),
        ("assistant", body["text"], None),
    ]


def test_the_request_carries_catalog_data_goal_and_the_tool(alice, conversation, fake_claude, say, make_trial, team_a):
    make_trial(alice, team_a, name="earlier logistic probe")

    say(alice, conversation, "Hello coach")

    [request] = fake_claude.requests
    assert request["path"] == "/v1/messages"
    assert fake_claude.key_sent(request["headers"]) == VALID_KEY
    assert anthropic.__version__ == "2.14.0" and request["headers"]["anthropic-version"] == "2026-10-21"
    body = request["body"]
    assert body["model"] == "claude-sonnet-5-5" and body["max_tokens"] == 2048
    system = body["system"]
    assert "Find a direction model for SPX with a stable out-of-sample Sharpe" in system
    for key in ("random_forest_classifier", "logistic_regression", "ridge", "gradient_boosting_classifier"):
        assert f"- {key} (" in system
    assert "n_estimators=200 [10..2000]" in system  # parameter defaults and bounds
    assert "- SPX (bars, use as symbol, bundled)" in system
    assert "- DCOILWTICO (series, use as macro" in system
    assert "earlier logistic probe: logistic_regression" in system and "queued" in system
    assert len(system) < 40_000  # compact: one line per catalog entry
    tools = {tool["name"]: tool for tool in body["tools"]}
    assert set(tools) == {"search_models", "get_model", "list_datasets", "search_trials", "get_trial",
                          "compare_trials", "search_memory", "propose_trial", "propose_study"}  # fmt: skip
    tool = tools["propose_trial"]
    schema = tool["input_schema"]
    assert set(schema["properties"]) == {"name", "model", "params", "data", "validation", "seed", "rationale"}
    assert set(schema["properties"]["data"]["properties"]) == {"symbol", "start", "end", "target", "horizon", "macro"}
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": "Hello coach"}]}]


def test_tool_calls_are_answered_and_the_history_replays_exactly(alice, conversation, fake_claude, proposal_input, say):
    fake_claude.reply(text("Try this."), tool_use(proposal_input, block_id="toolu_A"))
    fake_claude.reply(text("Stored."))
    say(alice, conversation, "first")
    fake_claude.reply(text("Sure."))

    response = say(alice, conversation, "second")

    assert response.json()["status"] == "answered"  # the fake refuses a history with an unanswered tool_use
    first, follow_up, second = fake_claude.bodies
    [result] = follow_up["messages"][2]["content"]
    assert follow_up["messages"][1]["content"][1]["id"] == "toolu_A"
    assert result["type"] == "tool_result" and result["tool_use_id"] == "toolu_A"
    assert "Proposal stored; the user will decide" in result["content"] and "is_error" not in result
    assert [m["role"] for m in second["messages"]] == ["user", "assistant", "user", "assistant", "user"]
    assert second["messages"][:4] == follow_up["messages"] + [
        {"role": "assistant", "content": [{"type": "text", "text": "Stored."}]}
    ]
    assert second["messages"][4] == {"role": "user", "content": [{"type": "text", "text": "second"}]}


def test_an_unknown_model_is_stored_invalid_with_its_errors(alice, conversation, fake_claude, proposal_input, say):
    proposal_input["model"] = "quantum_oracle"
    fake_claude.reply(tool_use(proposal_input, block_id="toolu_bad"))
    fake_claude.reply(text("Sorry, that model does not exist."))

    response = say(alice, conversation)

    [proposal] = response.json()["reply"]["proposals"]
    assert proposal["status"] == "invalid"
    assert proposal["errors"] == {"model": "unknown or disabled catalog model 'quantum_oracle'"}
    [result] = fake_claude.bodies[1]["messages"][-1]["content"]
    assert result["is_error"] is True and "quantum_oracle" in result["content"]


def test_a_reply_that_keeps_calling_tools_stops_after_the_round_cap(
    alice, conversation, fake_claude, proposal_input, say, settings
):
    settings.COACH_MAX_TOOL_ROUNDS = 3
    for n in range(4):
        fake_claude.reply(tool_use({**proposal_input, "name": f"probe {n}"}))
    fake_claude.reply(text("Done."))

    assert say(alice, conversation).json()["status"] == "answered"
    assert len(fake_claude.requests) == 3
    assert Proposal.objects.filter(status="proposed").count() == 3
    # The last tool call is answered too, so the next message still makes a valid history.
    assert say(alice, conversation, "and now?").json()["status"] == "answered"
    sent = fake_claude.bodies[3]["messages"]  # the first request of the second message
    assert [m["role"] for m in sent][-2:] == ["assistant", "user"]
    assert [block["type"] for block in sent[-1]["content"]] == ["tool_result", "text"]


def test_compliance_preview_warns_the_coach_without_recording_a_decision(
    alice, conversation, fake_claude, proposal_input, say, team_a
):
    from compliance.models import Decision, ForbiddenTermsRule

    ForbiddenTermsRule.objects.create(team=team_a, terms="guaranteed", reason="no promises of returns")
    proposal_input["rationale"] = "This is a guaranteed winner."
    fake_claude.reply(tool_use(proposal_input))
    fake_claude.reply(text("Noted."))

    [proposal] = say(alice, conversation).json()["reply"]["proposals"]

    assert proposal["status"] == "proposed"
    assert proposal["compliance"][0]["rule"] == "forbidden_terms"
    assert "guaranteed" in proposal["compliance"][0]["message"]
    [result] = fake_claude.bodies[1]["messages"][-1]["content"]
    assert "compliance gateway would refuse it" in result["content"]
    assert not Decision.objects.exists()
