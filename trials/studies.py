"""Study services: hyperparameter search where Optuna asks and every evaluation is an ordinary trial.

The database is the study's memory: each step rebuilds an in-memory Optuna study from the stored trials (finished
ones with their metric, active ones as running), asks for as many new evaluations as the study may run in
parallel, and creates them through `trial_create`, so each is validated, compliance-checked, exportable and run by
the ordinary workers. A step runs when a study starts, whenever one of its trials ends, and from a periodic tick,
so a study carries on after a worker restart or a lost message.
"""

import logging
from typing import TYPE_CHECKING, Literal, cast

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import Team, User
from accounts.services import PermissionDenied, membership_require
from compliance.services import ComplianceRejected
from models_catalog.definition import TARGETS
from models_catalog.registry import CATALOG
from models_catalog.selectors import definition_get_enabled

from .figures import lower_is_better
from .lifecycle import trial_insert
from .metrics import BENCHMARK, CLASSIFICATION, REGRESSION, STRATEGY, VOLATILITY
from .models import Study, Trial
from .overfitting import PBO_MIN_EVALUATIONS
from .queue import study_send_pbo, study_send_step
from .services import TrialSpecInvalid, trial_cancel, trial_create

if TYPE_CHECKING:
    import optuna

logger = logging.getLogger(__name__)

MAX_BUDGET = 500
MAX_PARALLELISM = 8
LOWER_IS_BETTER = lower_is_better()  # rmse -> minimise by default
STUDY_FIELDS = {
    "name", "model", "models", "fixed_params", "data", "validation", "seed", "metric", "direction", "budget",
    "parallelism", "team", "costs", "positions", "repeats",
}  # fmt: skip
# What each evaluation inherits from its study, checked by trial_spec_clean exactly as a trial's.
INHERITED = ("data", "validation", "seed", "costs", "positions", "repeats")


# Sent after commit when a study ends (study_id, status: succeeded, failed or cancelled): notifications listen.
study_finished = Signal()


def _study_end(study_id: int, status: str, **fields) -> bool:
    """End a running study by conditional update and announce it after commit; False when it had already ended."""
    ended = Study.objects.filter(pk=study_id, status=Study.Status.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )
    if ended:
        transaction.on_commit(lambda: study_finished.send_robust(sender=Study, study_id=study_id, status=status))
    return bool(ended)


def metrics_for_target(target: str) -> tuple[str, ...]:
    if target == "volatility":
        return VOLATILITY
    base = CLASSIFICATION if target == "direction" else REGRESSION
    return (*base, "directional_accuracy", *STRATEGY, *BENCHMARK, "psr")


class StudySpecInvalid(ValueError):
    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(str(errors))


def _bounded_int(payload: dict, name: str, default: int, high: int, errors: dict) -> int:
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= high:
        errors[name] = f"must be a whole number from 1 to {high}, got {value!r}"
        return default
    return value


def study_spec_clean(*, team: Team, payload: dict) -> dict:
    """Validate a study request; the data and validation parts are checked exactly as a trial's are."""
    from .services import TrialSpecInvalid, trial_spec_clean

    errors: dict = {
        str(name): f"unknown field (a study takes {', '.join(sorted(STUDY_FIELDS))})"
        for name in payload.keys() - STUDY_FIELDS
    }
    models = payload.get("models") or ([payload["model"]] if payload.get("model") else [])
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        errors["models"] = "give a catalog key in `model`, or a list of keys in `models` for model selection"
        models = []
    definitions = []
    for key in dict.fromkeys(models):
        definition = definition_get_enabled(key=key)
        if definition is None:
            errors["models"] = f"unknown or disabled catalog model {key!r}"
        else:
            definitions.append(definition)
    target = (payload.get("data") or {}).get("target", "direction") if isinstance(payload.get("data"), dict) else None
    for definition in definitions:
        if target not in definition.targets:
            errors["models"] = f"{definition.key} supports {', '.join(definition.targets)}, not {target}"
    fixed = payload.get("fixed_params") or {}
    if not isinstance(fixed, dict) or not all(isinstance(v, dict) for v in fixed.values()):
        errors["fixed_params"] = "must map a model key to an object of parameter values"
        fixed = {}
    for definition in definitions:
        by_name = {p.name: p for p in definition.params}
        for name, value in fixed.get(definition.key, {}).items():
            try:
                if name not in by_name:
                    raise ValueError(f"unknown parameter for {definition.key}")
                fixed[definition.key][name] = by_name[name].coerce(value)
            except ValueError as exc:
                errors.setdefault("fixed_params", {})[f"{definition.key}.{name}"] = str(exc)
    metric = payload.get("metric", "sharpe")
    if not isinstance(metric, str):
        errors["metric"] = f"must be the name of a metric such as sharpe, got {type(metric).__name__}"
        metric = "sharpe"
    elif target in TARGETS and metric not in metrics_for_target(target):
        errors["metric"] = (
            f"must be one of {', '.join(metrics_for_target(target))} for a {target} target, got {metric!r}"
        )
    default_direction = "minimize" if metric in LOWER_IS_BETTER else "maximize"
    direction = payload.get("direction", default_direction)
    if not isinstance(direction, str) or direction not in Study.Direction.values:
        errors["direction"] = f"must be maximize or minimize, got {direction!r}"
    budget = _bounded_int(payload, "budget", 20, MAX_BUDGET, errors)
    parallelism = _bounded_int(payload, "parallelism", 2, MAX_PARALLELISM, errors)
    name = payload.get("name") or ""
    # Each evaluation is named "<name> #<number>", and a trial's name holds 200 characters.
    longest = 200 - len(f" #{budget}")
    if not isinstance(name, str) or len(name) > longest:
        errors["name"] = f'must be text of at most {longest} characters (evaluations add " #{budget}")'
    probe = {key: payload.get(key) for key in (*INHERITED, "name") if key in payload}
    try:
        trial_spec = trial_spec_clean(
            team=team, payload={**probe, "model": definitions[0].key if definitions else None}
        )
    except TrialSpecInvalid as exc:
        errors.update({key: value for key, value in exc.errors.items() if key not in ("model", "params")})
        trial_spec = None
    if errors:
        raise StudySpecInvalid(errors)
    assert trial_spec is not None  # no errors: the data and validation parts were valid
    return {
        "name": name,
        "models": [definition.key for definition in definitions],
        "fixed_params": {
            key: fixed.get(key, {}) for key in (definition.key for definition in definitions) if fixed.get(key)
        },
        **{key: trial_spec[key] for key in INHERITED},
        "metric": metric,
        "direction": direction,
        "budget": budget,
        "parallelism": parallelism,
    }


def study_create(*, team: Team, user: User, payload: dict) -> Study:
    membership_require(user=user, team=team, action="start studies")
    spec = study_spec_clean(team=team, payload=payload)
    with transaction.atomic():
        study = Study.objects.create(
            team=team,
            created_by=user,
            name=spec["name"],
            model_keys=spec["models"],
            fixed_params=spec["fixed_params"],
            data=spec["data"],
            validation=spec["validation"],
            seed=spec["seed"],
            costs=spec["costs"],
            positions=spec["positions"],
            repeats=spec["repeats"],
            metric=spec["metric"],
            direction=spec["direction"],
            budget=spec["budget"],
            parallelism=spec["parallelism"],
        )
        study_enqueue_step(study_id=study.pk)
    return study


def study_enqueue_step(*, study_id: int) -> None:
    transaction.on_commit(lambda: study_send_step(study_id=study_id))


def study_step_after_trial(*, trial: Trial, new_status: str, **_signal) -> None:
    """trials.lifecycle.trial_status_changed listener: an evaluation ended, so the study launches the next one
    (or finishes). Runs after commit; a lost step is caught up by the periodic tick."""
    if trial.study_id and new_status in Trial.FINISHED:
        study_send_step(study_id=trial.study_id)


def _metric_value(study: Study, trial: Trial) -> float | None:
    if trial.status != Trial.Status.SUCCEEDED:
        return None
    return (trial.metrics or {}).get(study.metric)


def _optuna():
    """Optuna and the search spaces, imported where a study step needs them (the worker), not when the web
    process loads its routes."""
    import optuna

    from . import search_space

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna, search_space


def _rebuild(study: Study, trials: list[Trial]) -> "optuna.Study":
    optuna, search_space = _optuna()
    definitions = [CATALOG[key] for key in study.model_keys]
    sampler = optuna.samplers.TPESampler(seed=study.seed + len(trials), constant_liar=True)
    direction = cast(Literal["minimize", "maximize"], study.direction)
    optuna_study = optuna.create_study(direction=direction, sampler=sampler)
    for trial in trials:
        params, dists = search_space.optuna_params(definitions, trial.model_key, trial.params, study.fixed_params)
        value = _metric_value(study, trial)
        if not trial.is_finished:
            state = optuna.trial.TrialState.RUNNING
        elif value is not None:
            state = optuna.trial.TrialState.COMPLETE
        else:
            state = optuna.trial.TrialState.FAIL
        optuna_study.add_trial(
            optuna.trial.create_trial(
                params=params,
                distributions=dists,
                value=value if state == optuna.trial.TrialState.COMPLETE else None,
                state=state,
            )
        )
    return optuna_study


def _evaluation_payload(study: Study, model: str, params: dict, number: int) -> dict:
    return {
        "name": f"{study.name or f'study {study.pk}'} #{number + 1}",
        "model": model,
        "params": params,
        "data": study.data,
        "validation": study.validation,
        "seed": study.seed,
        "costs": study.costs,
        "positions": study.positions,
        "repeats": study.repeats,
    }


def _launch(study: Study, model: str, params: dict, number: int) -> None:
    payload = _evaluation_payload(study, model, params, number)
    try:
        if study.created_by is None:
            raise PermissionDenied("the study's creator no longer exists")
        trial_create(team=study.team, user=study.created_by, payload=payload, study=study)
    except (ComplianceRejected, TrialSpecInvalid, PermissionDenied) as exc:
        # The evaluation is kept as a rejected trial: it uses budget and Optuna learns it failed.
        trial_insert(
            status=Trial.Status.REJECTED,
            team=study.team,
            created_by=study.created_by,
            study=study,
            name=payload["name"],
            model_key=model,
            family=CATALOG[model].family,
            target=study.data["target"],
            params=params,
            data=study.data,
            validation=study.validation,
            seed=study.seed,
            costs=study.costs,
            positions=study.positions,
            repeats=study.repeats,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
        )


def study_step(*, study_id: int) -> None:
    """Launch evaluations up to the parallelism and the budget; finish the study when all are done."""
    with transaction.atomic():
        study = (
            Study.objects.select_for_update(of=("self",))
            .select_related("team", "created_by")
            .filter(pk=study_id)
            .first()
        )
        if study is None or study.status != Study.Status.RUNNING:
            return
        gone = [key for key in study.model_keys if key not in CATALOG]
        if gone:
            # A model merged into another entry or removed since the study started: its search space is gone.
            _study_end(study.pk, Study.Status.FAILED, error=f"no longer in the catalog: {', '.join(gone)}")
            return
        trials = list(study.trials.order_by("id"))
        active = [trial for trial in trials if not trial.is_finished]
        _update_best(study, trials)
        _pbo_enqueue(study, trials)
        if len(trials) >= study.budget and not active:
            _study_end(study.pk, Study.Status.SUCCEEDED)
            return
        launches = min(study.parallelism - len(active), study.budget - len(trials))
        if launches <= 0:
            return
        optuna_study = _rebuild(study, trials)
        _, search_space = _optuna()
        definitions = [CATALOG[key] for key in study.model_keys]
        for offset in range(launches):
            asked = optuna_study.ask()
            model, params = search_space.suggest(asked, definitions, study.fixed_params)
            _launch(study, model, params, len(trials) + offset)
        if launches and len(trials) + launches >= study.budget:
            # Every slot may have been rejected at once: come back to close the study.
            study_enqueue_step(study_id=study.pk)


def _pbo_enqueue(study: Study, trials: list[Trial]) -> None:
    """Once 8 evaluations succeeded, and whenever another one does: recompute the study's PBO in a worker task
    (it reads every evaluation's predictions, so not while this step holds the study's lock)."""
    succeeded = sum(trial.status == Trial.Status.SUCCEEDED for trial in trials)
    if succeeded >= PBO_MIN_EVALUATIONS and succeeded != study.pbo_evaluations:
        study_id = study.pk
        transaction.on_commit(lambda: study_send_pbo(study_id=study_id))


def _update_best(study: Study, trials: list[Trial]) -> None:
    scored = [(value, trial) for trial in trials if (value := _metric_value(study, trial)) is not None]
    if not scored:
        return
    pick = max if study.direction == Study.Direction.MAXIMIZE else min
    value, trial = pick(scored, key=lambda pair: pair[0])
    if study.best_trial_id != trial.pk:
        Study.objects.filter(pk=study.pk).update(best_trial=trial, best_value=value)
        study.best_trial, study.best_value = trial, value


def study_tick() -> int:
    """Step every running study (the periodic safety net). Returns how many were stepped."""
    ids = list(Study.objects.filter(status=Study.Status.RUNNING).values_list("id", flat=True))
    for study_id in ids:
        study_step(study_id=study_id)
    return len(ids)


def study_cancel(*, study: Study, user: User) -> Study:
    membership_require(user=user, team=study.team, action="cancel studies")
    with transaction.atomic():
        if _study_end(study.pk, Study.Status.CANCELLED):
            for trial in study.trials.exclude(status__in=Trial.FINISHED):
                trial_cancel(trial=trial, user=user)
    study.refresh_from_db()
    return study


def study_param_importances(*, study: Study) -> dict[str, float]:
    """Optuna's parameter importances (fANOVA) for the study's finished evaluations, most important first; empty
    until two evaluations have a value, or when the parameters cannot be told apart."""
    trials = list(study.trials.order_by("id"))
    if sum(_metric_value(study, trial) is not None for trial in trials) < 2:
        return {}
    optuna, _ = _optuna()
    optuna_study = _rebuild(study, [trial for trial in trials if trial.is_finished])
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=study.seed)
        importances = optuna.importance.get_param_importances(optuna_study, evaluator=evaluator)
    except (RuntimeError, ValueError):  # Optuna's way of saying there is nothing to rank yet
        return {}
    return {name: float(value) for name, value in importances.items()}
