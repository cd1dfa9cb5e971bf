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
from market_data.selectors import dataset_list_for_team
from models_catalog.definition import TARGETS
from models_catalog.selectors import definition_get_enabled, definition_list
from trials.models import Trial
from trials.selectors import trial_list, trial_list_by_ids
from trials.services import TrialSpecInvalid, trial_spec_clean
from trials.studies import StudySpecInvalid, study_spec_clean

from . import prompt

SPEC_FIELDS = ("name", "model", "params", "data", "validation", "seed")


@dataclass
class Context:
    """Who asks, in which team and conversation; what the tools found worth storing (proposals)."""

    team: Team
    user: User
    conversation_id: int
    proposals: list[tuple[str, dict]] = field(default_factory=list)

    def trials(self):
        """The asking user's trials of this conversation's team only (trials.selectors scopes by membership)."""
        return trial_list(user=self.user, filters={"team": self.team.slug})


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


def proposal_judge(*, team: Team, user: User, tool_input: object, context: "Context | None" = None) -> dict:
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
    if context is not None:
        closest, same = closest_trials(context=context, spec=spec)
        if same is not None:
            errors = {
                "duplicate": f"trial #{same.pk} ({same.status}) already ran this spec with seed {same.seed}: read it "
                "with get_trial, or change the spec or the seed"
            }
            return {"payload": spec, "rationale": rationale, "errors": errors, "compliance": [], "valid": False,
                    "duplicate_of": same.pk, "closest": [trial_brief(t) for t in closest]}  # fmt: skip
    else:
        closest = []
    with transaction.atomic():  # quota checks lock rows until this ends; nothing is written
        verdict = gateway_check(
            spec=spec_with_free_text(spec=spec, payload={"notes": rationale}), user=user, team=team, stage="submit"
        )
    compliance = [violation.as_dict() for violation in verdict.violations]
    return {"payload": spec, "rationale": rationale, "errors": {}, "compliance": compliance, "valid": True,
            "closest": [trial_brief(t) for t in closest]}  # fmt: skip


def _propose_trial(context: Context, tool_input: dict, block_id: str) -> Outcome:
    judged = proposal_judge(team=context.team, user=context.user, tool_input=tool_input, context=context)
    context.proposals.append((block_id, judged))
    name = (judged["payload"].get("name") if isinstance(judged["payload"], dict) else "") or "a trial"
    closest = " Closest existing trials of the team: " + compact(judged.get("closest") or [])
    if judged.get("duplicate_of"):
        text = f"Refused: identical to trial #{judged['duplicate_of']} (same spec and seed). " + compact(
            judged["errors"]
        )
        return Outcome(text + closest, f"proposed {name}: refused, trial #{judged['duplicate_of']} ran it", True)
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
    return Outcome(text + "." + closest, f"proposed {name}")


def _propose_study(context: Context, tool_input: dict, block_id: str) -> Outcome:
    """A study proposal: a validated study spec, launched by a person like a trial (trials.studies.study_create)."""
    rationale = _string(tool_input, "rationale")
    payload = {key: value for key, value in tool_input.items() if key != "rationale"}
    try:
        spec = study_spec_clean(team=context.team, payload=payload)
    except StudySpecInvalid as exc:
        judged = {"kind": "study", "payload": payload, "rationale": rationale, "errors": exc.errors,
                  "compliance": [], "valid": False}  # fmt: skip
        context.proposals.append((block_id, judged))
        text = "Not stored as launchable: the study spec is invalid. Errors by field: " + compact(exc.errors)
        return Outcome(text, f"proposed a study of {payload.get('model') or payload.get('models')}: invalid", True)
    judged = {"kind": "study", "payload": spec, "rationale": rationale, "errors": {}, "compliance": [], "valid": True}
    context.proposals.append((block_id, judged))
    text = "Study proposal stored; the user will decide whether to launch it. Normalised spec: " + compact(spec)
    return Outcome(text, f"proposed a study of {', '.join(spec['models'])} ({spec['budget']} trials)")


# --- Reading the team's work --------------------------------------------------------------------------------

# The figures the coach sees of a trial: out of sample, net of costs, and deflated for the trials in its question.
FIGURES = ("sharpe", "dsr", "trials_in_question", "psr", "max_drawdown", "annual_return", "turnover",
           "gross_sharpe", "directional_accuracy", "roc_auc", "rmse", "qlike", "pbo")  # fmt: skip
TRIAL_LIMIT = 20
MAX_COMPARE = 10


def _figures(metrics: dict | None) -> dict:
    metrics = metrics or {}
    return {
        name: round(value, 4) if isinstance(value, float) else value
        for name in FIGURES
        if (value := metrics.get(name)) is not None
    }


def trial_brief(trial: Trial) -> dict:
    data = trial.data or {}
    return {
        "id": trial.pk,
        "name": trial.name,
        "model": trial.model_key,
        "params": trial.params,
        "symbol": data.get("symbol"),
        "start": data.get("start"),
        "end": data.get("end"),
        "target": trial.target,
        "horizon": data.get("horizon"),
        "seed": trial.seed,
        "status": trial.status,
        "figures": _figures(trial.metrics),
    }


def _string(tool_input: dict, name: str) -> str:
    value = tool_input.get(name)
    return value.strip() if isinstance(value, str) else ""


def _number(tool_input: dict, name: str) -> float | None:
    value = tool_input.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _search_models(context: Context, tool_input: dict, block_id: str) -> Outcome:
    target = _string(tool_input, "target")
    found = definition_list(
        search=_string(tool_input, "query"),
        family=_string(tool_input, "family"),
        target=target if target in TARGETS else "",
    )
    rows = [{"key": d.key, "name": d.name, "family": d.family, "targets": list(d.targets)} for d in found[:40]]
    return Outcome(
        compact({"models": rows, "more": max(0, len(found) - 40)}), f"searched the catalog: {len(found)} models"
    )


def _get_model(context: Context, tool_input: dict, block_id: str) -> Outcome:
    key = _string(tool_input, "key")
    definition = definition_get_enabled(key=key)
    if definition is None:
        return Outcome(compact({"error": f"no catalog model {key!r}"}), f"looked up model {key}: none", is_error=True)
    return Outcome(compact(definition.as_dict()), f"read the hyperparameters of {key}")


def _list_datasets(context: Context, tool_input: dict, block_id: str) -> Outcome:
    kind = _string(tool_input, "kind")
    rows = [
        {
            "key": d.key,
            "kind": d.kind,
            "source": d.source,
            "frequency": d.frequency,
            "first": f"{d.first_date:%Y-%m-%d}" if d.first_date else None,
            "last": f"{d.last_date:%Y-%m-%d}" if d.last_date else None,
            "rows": d.rows,
            "team": d.team_id is not None,
        }
        for d in dataset_list_for_team(team=context.team)
        if not kind or d.kind == kind
    ]
    return Outcome(compact({"datasets": rows}), f"listed {len(rows)} datasets")


def _search_trials(context: Context, tool_input: dict, block_id: str) -> Outcome:
    filters: dict = {"team": context.team.slug}
    for name in ("model", "symbol", "target", "status"):
        if _string(tool_input, name):
            filters[name] = _string(tool_input, name)
    metric = _string(tool_input, "metric")
    if metric:
        filters.update(metric=metric, metric_min=_number(tool_input, "min"), metric_max=_number(tool_input, "max"))
    limit = tool_input.get("limit")
    limit = limit if isinstance(limit, int) and 1 <= limit <= TRIAL_LIMIT else 10
    trials = list(trial_list(user=context.user, filters=filters).defer("folds", "data_used")[:limit])
    what = " of ".join(filter(None, [f"{len(trials)} trial{'s' if len(trials) != 1 else ''}", filters.get("model")]))
    where = f" on {filters['symbol']}" if filters.get("symbol") else ""
    return Outcome(compact({"trials": [trial_brief(t) for t in trials]}), f"looked up {what}{where}")


def _trial_of_team(context: Context, trial_id: object) -> Trial | None:
    if isinstance(trial_id, bool) or not isinstance(trial_id, int):
        return None
    return context.trials().filter(pk=trial_id).first()


def _get_trial(context: Context, tool_input: dict, block_id: str) -> Outcome:
    trial = _trial_of_team(context, tool_input.get("id"))
    if trial is None:
        return Outcome(
            compact({"error": f"no trial {tool_input.get('id')!r} in {context.team.name}"}),
            f"looked up trial {tool_input.get('id')}: not found",
            is_error=True,
        )
    detail = {
        **trial_brief(trial),
        "validation": trial.validation,
        "costs": trial.costs,
        "positions": trial.positions,
        "error": trial.error[:300] if trial.error else "",
        "folds": [
            {"test_start": f.get("test_start"), "test_end": f.get("test_end"), "figures": _figures(f.get("metrics"))}
            for f in trial.folds or []
        ],
        "note": "sharpe is out of sample and net of costs; dsr deflates it for trials_in_question: improve the dsr",
    }
    return Outcome(compact(detail), f"read trial #{trial.pk} ({trial.model_key}, {trial.status})")


def _compare_trials(context: Context, tool_input: dict, block_id: str) -> Outcome:
    ids = tool_input.get("ids")
    if not isinstance(ids, list) or not 2 <= len(ids) <= MAX_COMPARE or not all(isinstance(i, int) for i in ids):
        return Outcome(compact({"error": f"give 2 to {MAX_COMPARE} trial ids"}), "compared nothing", is_error=True)
    trials = trial_list_by_ids(user=context.user, ids=ids)
    if trials is None or any(trial.team_id != context.team.pk for trial in trials):
        return Outcome(
            compact({"error": f"not every trial is one of {context.team.name}'s"}), "compared nothing", is_error=True
        )
    briefs = [trial_brief(trial) for trial in trials]
    differs = sorted(
        key for key in ("model", "params", "symbol", "start", "end", "target", "horizon", "seed")
        if len({compact(brief[key]) for brief in briefs}) > 1
    )  # fmt: skip
    return Outcome(
        compact({"trials": briefs, "differs": differs}), f"compared trials {', '.join(f'#{i}' for i in ids)}"
    )


# --- Proposals: closest trials first, duplicates refused --------------------------------------------------------

SAME_RUN = ("params", "data", "validation", "seed", "costs", "positions", "repeats")
STILL_COUNTS = (Trial.Status.PENDING_APPROVAL, Trial.Status.QUEUED, Trial.Status.RUNNING, Trial.Status.SUCCEEDED)


def _distance(params: dict, other: dict) -> int:
    return sum(1 for key in params.keys() | other.keys() if params.get(key) != other.get(key))


def closest_trials(*, context: Context, spec: dict, limit: int = 3) -> tuple[list[Trial], Trial | None]:
    """The team's trials on the same symbol and target, the same model first and nearest in parameters; and the one
    that ran exactly this spec with this seed, if any (a failed, cancelled or rejected one does not count: it may be
    run again)."""
    data = spec["data"]
    candidates = list(
        context.trials()
        .filter(target=data["target"], data__symbol=data["symbol"])
        .only("id", "name", "model_key", "params", "data", "validation", "seed", "costs", "positions", "repeats",
              "status", "metrics", "target", "team", "created_by", "created_at")[:500]
    )  # fmt: skip
    same = next(
        (
            trial
            for trial in candidates
            if trial.model_key == spec["model"]
            and trial.status in STILL_COUNTS
            and all(getattr(trial, name) == spec[name] for name in SAME_RUN)
        ),
        None,
    )
    candidates.sort(
        key=lambda trial: (
            trial.model_key != spec["model"],
            _distance(spec["params"], trial.params),
            trial.data != data,
            -trial.pk,
        )
    )
    return candidates[:limit], same


def _search_memory(context: Context, tool_input: dict, block_id: str) -> Outcome:
    from .memory import memory_search

    query = _string(tool_input, "query")
    topics = {
        kind: _string(tool_input, kind) for kind in ("model", "symbol", "metric", "trial") if _string(tool_input, kind)
    }
    if isinstance(tool_input.get("trial"), int):
        topics["trial"] = str(tool_input["trial"])
    found = list(memory_search(team=context.team, query=query, topics=topics))
    rows = [
        {
            "conversation": m.conversation_id,
            "title": m.conversation.title,
            "message": m.pk,
            "role": "trial result" if m.feedback_trial_id else m.role,
            "date": f"{m.created_at:%Y-%m-%d}",
            "text": m.text[:400],
        }
        for m in found
        if m.conversation_id != context.conversation_id
    ]
    return Outcome(compact({"found": rows}), f"searched the team's memory for {query or topics!r}: {len(rows)} found")


TOOLS: dict[str, Tool] = {}


def register(tool: Tool) -> None:
    TOOLS[tool.name] = tool


register(Tool("search_models", prompt.search_models_tool, _search_models))
register(Tool("get_model", prompt.get_model_tool, _get_model))
register(Tool("list_datasets", prompt.list_datasets_tool, _list_datasets))
register(Tool("search_trials", prompt.search_trials_tool, _search_trials))
register(Tool("get_trial", prompt.get_trial_tool, _get_trial))
register(Tool("compare_trials", prompt.compare_trials_tool, _compare_trials))
register(Tool("search_memory", prompt.search_memory_tool, _search_memory))
register(Tool(prompt.TOOL_NAME, lambda: prompt.propose_trial_tool(max_folds=settings.TRIAL_MAX_FOLDS), _propose_trial))
register(Tool("propose_study", lambda: prompt.propose_study_tool(max_folds=settings.TRIAL_MAX_FOLDS), _propose_study))


def definitions() -> list[dict]:
    return [tool.definition() for tool in TOOLS.values()]


def tool_run(*, context: Context, name: str, tool_input: object, block_id: str) -> Outcome:
    tool = TOOLS.get(name)
    if tool is None:
        return Outcome(f"unknown tool {name!r}", f"asked for an unknown tool {name}", is_error=True)
    if not isinstance(tool_input, dict):
        return Outcome("the tool input must be a JSON object", f"called {name} without an object", is_error=True)
    return tool.run(context, tool_input, block_id)
