"""What the coach is told: the propose_trial tool and the system prompt (catalog, data, goal, recent trials).

Plain formatting with no database access, so it is tested without one; coach.services gathers the inputs."""

import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from models_catalog.definition import TARGETS
from trials.services import MAX_GAP, MAX_HORIZON

TOOL_NAME = "propose_trial"
TARGETS = TARGETS
TRIAL_METRICS = ("sharpe", "directional_accuracy", "roc_auc", "rmse")

INSTRUCTIONS = """You are the AI coach of mlTrainer, where a quantitative research team trains catalog models on \
market data and judges them with walk-forward validation (an expanding window cut into consecutive test folds, \
each trained only on earlier data less a gap; no random splits).

Help the team towards its goal: discuss ideas, read the results of its trials, and when a trial is worth running, \
call the propose_trial tool once per trial (at most three per reply). Look things up before you propose: \
search_models and get_model read the catalog with its hyperparameters, list_datasets the data and its ranges, \
search_trials, get_trial and compare_trials the team's trials and their results, search_memory what the team \
learned in earlier conversations; propose_study proposes a hyperparameter search. Never propose a trial the \
team already ran with the same spec and seed: it is refused. \
The figures are out of sample and net of costs; the deflated Sharpe ratio (dsr), which corrects the Sharpe ratio \
for the number of trials tried on the same question (trials_in_question), and not the raw Sharpe ratio, is the \
figure to improve. You cannot launch trials: a person reviews \
each proposal and launches it with one click, and every launch passes the compliance gateway. Use only the catalog \
keys, parameter names and bounds, and dataset keys listed below; dates must fall inside a dataset's range. Targets: \
direction (classification of the next move), return (next simple return), volatility (realised volatility); a model \
supports only the targets listed for it. Macro series join as features through data.macro. Give each proposal a short \
name and a rationale the team can read. Be candid: a Sharpe ratio out of sample is noisy, and no result is certain."""


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else json.dumps(value)


def _param(param: dict) -> str:
    if param["type"] == "choice":
        return f"{param['name']}={param['default']} {{{'|'.join(map(str, param['choices']))}}}"
    if param["type"] == "bool":
        return f"{param['name']}={json.dumps(param['default'])}"
    low = "" if param["min"] is None else _number(param["min"])
    high = "" if param["max"] is None else _number(param["max"])
    bounds = f" [{low}..{high}]" if low or high else ""
    return f"{param['name']}={_number(param['default'])}{bounds}"


def catalog_section(entries: Iterable[dict]) -> str:
    """One line per model (ModelDefinition.as_dict()) by family: key, targets, parameters with default [bounds]."""
    by_family: dict[str, list[dict]] = defaultdict(list)
    for entry in entries:
        by_family[entry["family"]].append(entry)
    lines = ["## Catalog (key (targets): parameter=default [min..max] or {choices})"]
    for family in sorted(by_family):
        lines.append(f"### {family}")
        for entry in by_family[family]:
            params = ", ".join(_param(p) for p in entry["params"]) or "no parameters"
            lines.append(f"- {entry['key']} ({'/'.join(entry['targets'])}): {params}")
    return "\n".join(lines)


def datasets_section(datasets: Iterable[Any]) -> str:
    lines = ["## Data the team can use (key, kind, source, first date to last date)"]
    for d in datasets:
        first = f"{d.first_date:%Y-%m-%d}" if d.first_date else "?"
        last = f"{d.last_date:%Y-%m-%d}" if d.last_date else "?"
        use = "symbol" if d.kind == "bars" else "macro"
        name = f" {d.name}" if d.name else ""
        lines.append(f"- {d.key} ({d.kind}, use as {use}, {d.source}): {first} to {last}.{name}")
    if len(lines) == 1:
        lines.append("- none: the team has no data yet")
    return "\n".join(lines)


def trials_section(trials: Iterable[Any]) -> str:
    lines = ["## The team's recent trials (newest first)"]
    for t in trials:
        data = t.data or {}
        metrics = t.metrics or {}
        shown = ", ".join(
            f"{name} {metrics[name]:.4g}" for name in TRIAL_METRICS if isinstance(metrics.get(name), int | float)
        )
        outcome = t.status + (f" ({shown})" if shown else "") + (f": {t.error[:120]}" if t.error else "")
        lines.append(
            f"- #{t.pk} {t.name or t.model_key}: {t.model_key} {json.dumps(t.params, sort_keys=True)} on "
            f"{data.get('symbol')} {data.get('start') or 'start'} to {data.get('end') or 'end'}, target {t.target}, "
            f"horizon {data.get('horizon')}, folds {(t.validation or {}).get('folds')}: {outcome}"
        )
    if len(lines) == 1:
        lines.append("- none yet")
    return "\n".join(lines)


def goal_section(*, goal: Any, progress: dict) -> str:
    """The team's goal object: its universe, budget and each target against the best trial so far."""
    lines = ["## Goal targets and progress (best succeeded trial of the team against each target)"]
    if goal.symbols or goal.start or goal.end:
        lines.append(
            f"- universe: {', '.join(goal.symbols) or 'any symbol'}, {goal.start or 'start'} to {goal.end or 'end'}"
        )
    for row in progress["targets"]:
        if row["target"] is None:
            continue
        best = "no trial yet" if row["value"] is None else f"best {row['value']:.4g} (trial #{row['trial']})"
        state = "met" if row["met"] else "not met"
        lines.append(f"- {row['label']} >= {row['target']:g}: {best}, {state}")
    if progress["budget"] is not None:
        lines.append(f"- trial budget: {progress['launched']} of {progress['budget']} launched from proposals")
    return "\n".join(lines)


def system_prompt(
    *, catalog: Iterable[dict], datasets: Iterable[Any], goal: str, trials: Iterable[Any], goal_progress: str = ""
) -> str:
    goal_text = goal.strip() or "(no goal given: ask the team what it wants to achieve)"
    return "\n\n".join(
        [
            INSTRUCTIONS,
            f"## The team's goal\n{goal_text}" + (f"\n\n{goal_progress}" if goal_progress else ""),
            datasets_section(datasets),
            trials_section(trials),
            catalog_section(catalog),
        ]
    )


def propose_trial_tool(*, max_folds: int) -> dict:
    """The tool whose input is a trial spec as POST /api/trials/ takes it, plus a rationale for the team."""
    date = {"type": "string", "description": "YYYY-MM-DD, inside the dataset's range"}
    return {
        "name": TOOL_NAME,
        "description": (
            "Propose one trial to the team. It is checked against the catalog and the team's data; the answer "
            "says whether it was stored for a person to review and launch, or what is wrong with it. "
            "Proposing does not run anything."
        ),
        "input_schema": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 200, "description": "a short name for the trial"},
                "model": {"type": "string", "description": "a catalog key, e.g. random_forest_classifier"},
                "params": {
                    "type": "object",
                    "description": "hyperparameters by name, within their bounds; omitted ones take their defaults",
                },
                "data": {
                    "type": "object",
                    "properties": {
                        "symbol": {"type": "string", "description": "a bars dataset key, e.g. SPX"},
                        "start": date,
                        "end": date,
                        "target": {"type": "string", "enum": list(TARGETS)},
                        "horizon": {"type": "integer", "minimum": 1, "maximum": MAX_HORIZON},
                        "macro": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "series dataset keys joined as features",
                        },
                    },
                    "required": ["symbol", "target"],
                },
                "validation": {
                    "type": "object",
                    "properties": {
                        "folds": {"type": "integer", "minimum": 2, "maximum": max_folds},
                        "gap": {"type": "integer", "minimum": 0, "maximum": MAX_GAP},
                    },
                },
                "seed": {"type": "integer", "minimum": 0},
                "rationale": {"type": "string", "description": "why this trial, in two or three sentences"},
            },
            "required": ["name", "model", "data", "validation", "rationale"],
        },
    }


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": required or []}


def search_models_tool() -> dict:
    return {
        "name": "search_models",
        "description": "Search the catalog by words in a model's key, name or description, family and target.",
        "input_schema": _object(
            {
                "query": {"type": "string"},
                "family": {"type": "string", "description": "e.g. forest, boosting, linear, volatility"},
                "target": {"type": "string", "enum": list(TARGETS)},
            }
        ),
    }


def get_model_tool() -> dict:
    return {
        "name": "get_model",
        "description": "One catalog model with its hyperparameter schema (types, defaults, bounds, choices).",
        "input_schema": _object({"key": {"type": "string"}}, ["key"]),
    }


def list_datasets_tool() -> dict:
    return {
        "name": "list_datasets",
        "description": "The data the team can use: key, kind (bars or series), source, frequency, date range, rows.",
        "input_schema": _object({"kind": {"type": "string", "enum": ["bars", "series"]}}),
    }


def search_trials_tool() -> dict:
    return {
        "name": "search_trials",
        "description": (
            "The team's trials, newest first, by model (a key or part of a name), symbol, target, status and a "
            "metric range (e.g. metric dsr, min 0.9): each with its net-of-cost figures, DSR and trials in question."
        ),
        "input_schema": _object(
            {
                "model": {"type": "string"},
                "symbol": {"type": "string"},
                "target": {"type": "string", "enum": list(TARGETS)},
                "status": {"type": "string"},
                "metric": {"type": "string", "description": "a metric name such as sharpe, dsr, max_drawdown"},
                "min": {"type": "number"},
                "max": {"type": "number"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 20},
            }
        ),
    }


def get_trial_tool() -> dict:
    return {
        "name": "get_trial",
        "description": "One of the team's trials: spec, metrics, per-fold figures, costs, DSR and trials in question.",
        "input_schema": _object({"id": {"type": "integer"}}, ["id"]),
    }


def compare_trials_tool() -> dict:
    return {
        "name": "compare_trials",
        "description": "2 to 10 of the team's trials side by side, with what differs between them.",
        "input_schema": _object(
            {"ids": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 10}}, ["ids"]
        ),
    }


def propose_study_tool(*, max_folds: int) -> dict:
    """A hyperparameter search as POST /api/studies/ takes it, plus a rationale; a person launches it."""
    trial = propose_trial_tool(max_folds=max_folds)["input_schema"]["properties"]
    return {
        "name": "propose_study",
        "description": (
            "Propose a hyperparameter study (Optuna proposes, every evaluation is an ordinary trial). It is validated; "
            "a person reviews and launches it. Proposing does not run anything."
        ),
        "input_schema": _object(
            {
                "name": trial["name"],
                "model": {"type": "string", "description": "one catalog key, or use models"},
                "models": {"type": "array", "items": {"type": "string"}},
                "fixed_params": {"type": "object", "description": "model key -> parameters held fixed"},
                "data": trial["data"],
                "validation": trial["validation"],
                "metric": {"type": "string", "description": "the metric to optimise, e.g. sharpe"},
                "direction": {"type": "string", "enum": ["maximize", "minimize"]},
                "budget": {"type": "integer", "minimum": 1, "maximum": 500},
                "seed": trial["seed"],
                "rationale": trial["rationale"],
            },
            ["data", "metric", "budget", "rationale"],
        ),
    }


def search_memory_tool() -> dict:
    return {
        "name": "search_memory",
        "description": (
            "Search what the team learned before, across its other conversations with you and the trial results "
            "reported in them (full-text), optionally only messages about a model, symbol, metric or trial."
        ),
        "input_schema": _object(
            {
                "query": {"type": "string", "description": "words, e.g. momentum costs"},
                "model": {"type": "string"},
                "symbol": {"type": "string"},
                "metric": {"type": "string"},
                "trial": {"type": "integer"},
            }
        ),
    }
