"""The tools the coach may call, each run with the asking user's permissions and only within their team.

A tool takes the parsed `input` of a tool_use block (the SDK parses it; nothing here reads prose) and answers
compact JSON for the tool_result, a one-line summary for the page ("looked up 3 trials of lightgbm on SPX"), and
whether it failed. Reads go through the other apps' selectors, which scope by team."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from accounts.models import Team, User
from compliance.services import gateway_check, spec_with_free_text
from trials.services import TrialSpecInvalid, trial_spec_clean

from . import prompt

SPEC_FIELDS = ("name", "model", "params", "data", "validation", "seed")


@dataclass
class Context:
    """Who asks, in which team and conversation; what the tools found worth storing (proposals)."""

    team: Team
    user: User
    conversation_id: int
    proposals: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class Outcome:
    content: str
    summary: str
    is_error: bool = False


@dataclass
class Tool:
    name: str
    definition: Callable[[], dict]  # the tool's name, description and input_schema for the Messages API
    run: Callable[[Context, dict, str], Outcome]


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)


# --- propose_trial -----------------------------------------------------------------------------------------


def proposal_judge(*, team: Team, user: User, tool_input: object) -> dict:
    """A proposal from one propose_trial call: validated, previewed by the compliance gateway, and the answer for
    the model. Reads only: the gateway's decision is not recorded (the launch is judged and recorded again)."""
    if not isinstance(tool_input, dict):
        errors = {"non_field_errors": "the tool input must be an object"}
        return {"payload": {}, "rationale": "", "errors": errors, "compliance": [], "valid": False}
    payload = {name: tool_input[name] for name in SPEC_FIELDS if name in tool_input}
    rationale = tool_input.get("rationale")
    rationale = rationale.strip() if isinstance(rationale, str) else ""
    try:
        spec = trial_spec_clean(team=team, payload=payload)
    except TrialSpecInvalid as exc:
        return {"payload": payload, "rationale": rationale, "errors": exc.errors, "compliance": [], "valid": False}
    spec.pop("family")
    with transaction.atomic():  # quota checks lock rows until this ends; nothing is written
        verdict = gateway_check(
            spec=spec_with_free_text(spec=spec, payload={"notes": rationale}), user=user, team=team, stage="submit"
        )
    compliance = [violation.as_dict() for violation in verdict.violations]
    return {"payload": spec, "rationale": rationale, "errors": {}, "compliance": compliance, "valid": True}


def _propose_trial(context: Context, tool_input: dict, block_id: str) -> Outcome:
    judged = proposal_judge(team=context.team, user=context.user, tool_input=tool_input)
    context.proposals.append((block_id, judged))
    name = (judged["payload"].get("name") if isinstance(judged["payload"], dict) else "") or "a trial"
    if not judged["valid"]:
        text = (
            "Not stored as launchable: the spec is invalid. Errors by field: "
            + compact(judged["errors"])
            + ". Correct it and propose again if it is still worth running."
        )
        return Outcome(text, f"proposed {name}: invalid", is_error=True)
    text = "Proposal stored; the user will decide whether to launch it. Normalised spec: " + compact(judged["payload"])
    if judged["compliance"]:
        reasons = "; ".join(v["message"] for v in judged["compliance"])
        text += f". Warning: the compliance gateway would refuse it as it stands: {reasons}"
    return Outcome(text, f"proposed {name}")


TOOLS: dict[str, Tool] = {}


def register(tool: Tool) -> None:
    TOOLS[tool.name] = tool


register(Tool(prompt.TOOL_NAME, lambda: prompt.propose_trial_tool(max_folds=settings.TRIAL_MAX_FOLDS), _propose_trial))


def definitions() -> list[dict]:
    return [tool.definition() for tool in TOOLS.values()]


def tool_run(*, context: Context, name: str, tool_input: object, block_id: str) -> Outcome:
    tool = TOOLS.get(name)
    if tool is None:
        return Outcome(f"unknown tool {name!r}", f"asked for an unknown tool {name}", is_error=True)
    if not isinstance(tool_input, dict):
        return Outcome("the tool input must be a JSON object", f"called {name} without an object", is_error=True)
    return tool.run(context, tool_input, block_id)
