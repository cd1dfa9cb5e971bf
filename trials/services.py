"""Everything that creates, runs or stops a trial. The API, the web form and the worker all come here."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from math import comb
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Membership, Team, User
from accounts.services import membership_require
from compliance import services as compliance
from compliance.checks import TEXT_FIELDS
from compliance.services import ComplianceRejected
from market_data.models import Dataset
from market_data.selectors import bar_count_kept, dataset_frame, dataset_get, dataset_get_kept, dataset_version
from mltrainer_site import after_response
from mltrainer_site.process_cache import one_generation
from models_catalog.adapters import FeatureModel
from models_catalog.definition import TARGETS, ParamError
from models_catalog.lazy import deferred
from models_catalog.selectors import definition_get_enabled
from observability.logging import trial_log_context

from . import features as feature_pipeline
from . import lifecycle, prediction_codec, queue
from .events import publish_progress
from .metric_index import metrics_index
from .metrics import periods_per_year, return_moments
from .models import Trial, TrialPredictions
from .runner import POSITIONS, Cancelled, RunResult, Trading, repeats_run
from .selectors import trial_stale_running
from .vocabulary import SPEC_DEFAULTS
from .walkforward import SCHEMES, splits_for

if TYPE_CHECKING:
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    pd = deferred("pandas")

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15
MAX_HORIZON = 60
MAX_GAP = 250
MAX_COST_BPS = 500
MAX_REPEATS = 20
MAX_CPCV_GROUPS = 12
MAX_CPCV_SPLITS = 50
# Every field a spec may carry; anything else is refused by name (a misspelt setting must not be silently ignored).
SPEC_FIELDS = {
    "": {"name", "model", "family", "params", "data", "validation", "seed", "team", "costs", "positions", "repeats"}
    | set(TEXT_FIELDS),
    "data": {"symbol", "start", "end", "target", "horizon", "macro", "benchmark"},
    "validation": {"scheme", "folds", "gap", "embargo", "groups", "test_groups"},
    "costs": {"commission_bps", "slippage_bps"},
}
SCHEME_FIELDS = {
    "walk_forward": {"scheme", "folds", "gap"},
    "purged_kfold": {"scheme", "folds", "gap", "embargo"},
    "cpcv": {"scheme", "groups", "test_groups", "gap", "embargo"},
}


class TrialSpecInvalid(ValueError):
    """The submitted spec has problems; `errors` maps each field (nested for params, data, validation) to them."""

    def __init__(self, errors: dict):
        self.errors = errors
        super().__init__(str(errors))


# --- Validation --------------------------------------------------------------------------------------------


def _int_field(section: dict, name: str, default: int, low: int, high: int, errors: dict) -> int | None:
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = f"must be a whole number, got {value!r}"
        return None
    if not low <= value <= high:
        errors[name] = f"must be between {low} and {high}, got {value}"
        return None
    return value


def _date_field(section: dict, name: str, errors: dict) -> date | None:
    value = section.get(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        errors[name] = f"must be a date as YYYY-MM-DD, got {value!r}"
        return None


def _section(payload: dict, name: str, errors: dict) -> dict:
    value = payload.get(name) or {}
    if not isinstance(value, dict):
        errors[name] = {"non_field_errors": f"must be an object, got {type(value).__name__}"}
        return {}
    return value


def _to_utc(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=UTC)


def _unknown_fields(payload: dict, section: str, errors: dict) -> None:
    """Name every field the spec does not know, so a misspelt or unsupported setting is never silently ignored."""
    for name in payload.keys() - SPEC_FIELDS[section]:
        known = ", ".join(sorted(SPEC_FIELDS[section]))
        errors[str(name)] = f"unknown field ({section or 'a trial spec'} takes {known})"


def _number_field(section: dict, name: str, default: float, low: float, high: float, errors: dict) -> float | None:
    value = section.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        errors[name] = f"must be a number from {low:g} to {high:g}, got {value!r}"
        return None
    return float(value)


def _bars_dataset(team: Team, key, field: str, errors: dict) -> Dataset | None:
    if not key or not isinstance(key, str):
        errors[field] = "is required: a dataset key such as SPX"
        return None
    dataset = dataset_get_kept(team=team, key=key)
    if dataset is None:
        errors[field] = f"unknown symbol {key!r}: see GET /api/datasets/ for what is available"
    elif dataset.kind != Dataset.Kind.BARS:
        errors[field] = f"{key} is a single-value series; {field} needs price bars (use it in macro)"
    else:
        try:
            periods_per_year(dataset.frequency)
            return dataset
        except ValueError as exc:
            errors[field] = str(exc)
    return None


def _validation_clean(validation: dict, errors: dict) -> dict:
    scheme = validation.get("scheme", SPEC_DEFAULTS["scheme"])
    if scheme not in SCHEMES:
        errors["scheme"] = (
            f"must be one of {', '.join(SCHEMES)}, got {scheme!r}: a random split of a time series trains on the future"
        )
        return {}
    for name in validation.keys() - SCHEME_FIELDS[scheme]:
        errors[str(name)] = f"does not apply to {scheme}, which takes {', '.join(sorted(SCHEME_FIELDS[scheme]))}"
    clean = {"scheme": scheme}
    if scheme == "cpcv":
        clean["groups"] = _int_field(validation, "groups", SPEC_DEFAULTS["groups"], 3, MAX_CPCV_GROUPS, errors)
        high = clean["groups"] - 1 if clean["groups"] else MAX_CPCV_GROUPS - 1
        clean["test_groups"] = _int_field(validation, "test_groups", SPEC_DEFAULTS["test_groups"], 1, high, errors)
        if clean["groups"] and clean["test_groups"] and comb(clean["groups"], clean["test_groups"]) > MAX_CPCV_SPLITS:
            errors["test_groups"] = (
                f"C({clean['groups']}, {clean['test_groups']}) = {comb(clean['groups'], clean['test_groups'])} "
                f"models to train is more than {MAX_CPCV_SPLITS}: use fewer groups or test groups"
            )
    else:
        clean["folds"] = _int_field(validation, "folds", SPEC_DEFAULTS["folds"], 2, settings.TRIAL_MAX_FOLDS, errors)
    clean["gap"] = _int_field(validation, "gap", SPEC_DEFAULTS["gap"], 0, MAX_GAP, errors)
    if scheme != "walk_forward":
        clean["embargo"] = _int_field(validation, "embargo", SPEC_DEFAULTS["embargo"], 0, MAX_GAP, errors)
    return clean


def _usable_rows_check(*, team: Team, dataset: Dataset, data: dict, validation: dict, bars_in_range: int) -> str:
    """The worker's own message when the date range is too short for the folds, or "" when it is long enough.

    A long range without macro series is judged from its bar count: with a quarter of the bars lost to warm-up
    and gaps the folds still fit. Anything closer, or with macro series (which may start later), is computed
    exactly as the worker will."""
    horizon = data["horizon"]
    if not data["macro"]:
        try:
            splits_for(validation, max(int(bars_in_range * 0.75) - horizon - 60, 0), horizon=horizon)
            return ""
        except ValueError:
            pass
    macro = {}
    for key in data["macro"]:
        series = dataset_get(team=team, key=key)
        assert series is not None  # checked by trial_spec_clean before
        macro[key] = (dataset_frame(dataset=series), series.frequency, series.publication_lag_days)
    features, _, _ = feature_pipeline.make_dataset(
        dataset_frame(dataset=dataset),
        target=data["target"],
        horizon=horizon,
        start=pd.Timestamp(data["start"]) if data["start"] else None,
        end=pd.Timestamp(data["end"]) if data["end"] else None,
        macro=macro,
    )
    try:
        splits_for(validation, len(features), horizon=horizon)
    except ValueError as exc:
        return str(exc)
    return ""


def _trains_on_features(definition, params: dict) -> bool:
    """Whether the model learns from the feature table only (it never reads `bars`, the price history)."""
    return isinstance(definition.build(params or None, target=definition.targets[0], seed=0), FeatureModel)


def trial_spec_clean(*, team: Team, payload: dict) -> dict:
    """Check a submitted trial spec against the catalog and the team's data.

    Returns the normalised spec (defaults filled in) or raises TrialSpecInvalid naming every problem, including
    every field it does not know and a date range too short for the folds (the worker would fail on it)."""
    errors: dict = {}
    _unknown_fields(payload, "", errors)
    data = _section(payload, "data", errors)
    validation = _section(payload, "validation", errors)
    costs_in = _section(payload, "costs", errors)
    data_errors: dict = {}
    validation_errors: dict = {}
    cost_errors: dict = {}
    _unknown_fields(data, "data", data_errors)
    _unknown_fields(costs_in, "costs", cost_errors)

    name = payload.get("name") or ""
    if not isinstance(name, str) or len(name) > 200:
        errors["name"] = "must be text of at most 200 characters"

    target = data.get("target", SPEC_DEFAULTS["target"])
    if not isinstance(target, str) or target not in TARGETS:
        data_errors["target"] = f"must be one of {', '.join(TARGETS)}, got {target!r}"

    model_key = payload.get("model")
    definition = definition_get_enabled(key=model_key) if isinstance(model_key, str) else None
    params: dict = {}
    if not model_key:
        errors["model"] = "is required: a catalog key such as random_forest_classifier"
    elif definition is None:
        errors["model"] = f"unknown or disabled catalog model {model_key!r}"
    else:
        if "target" not in data_errors and target not in definition.targets:
            data_errors["target"] = f"{model_key} supports {', '.join(definition.targets)}, not {target}"
        raw_params = payload.get("params") or {}
        if not isinstance(raw_params, dict):
            errors["params"] = {"non_field_errors": "must be an object of parameter names to values"}
        else:
            try:
                params = definition.validate_params(raw_params)
            except ParamError as exc:
                errors["params"] = exc.errors

    symbol = data.get("symbol")
    dataset = _bars_dataset(team, symbol, "symbol", data_errors)
    start, end = _date_field(data, "start", data_errors), _date_field(data, "end", data_errors)
    bars_in_range = 0
    if start and end and start >= end:
        data_errors["end"] = f"must be after start ({start.isoformat()})"
    elif dataset is not None and not data_errors.keys() & {"start", "end"}:
        bars_in_range = bar_count_kept(
            dataset=dataset, start=_to_utc(start) if start else None, end=_to_utc(end) if end else None
        )
        if not bars_in_range:
            data_errors["start"] = (
                f"no {symbol} bars between {start or 'the beginning'} and {end or 'the end'} "
                f"(the data covers {dataset.first_date:%Y-%m-%d} to {dataset.last_date:%Y-%m-%d})"
            )
    horizon = _int_field(data, "horizon", SPEC_DEFAULTS["horizon"], 1, MAX_HORIZON, data_errors)
    macro = data.get("macro") or []
    if not isinstance(macro, list) or not all(isinstance(key, str) for key in macro):
        data_errors["macro"] = "must be a list of series keys such as ['DCOILWTICO']"
        macro = []
    for key in macro:
        series = dataset_get_kept(team=team, key=key)
        if series is None or series.kind != Dataset.Kind.SERIES:
            data_errors["macro"] = f"unknown series {key!r}: see GET /api/datasets/?kind=series"
            continue
        try:
            feature_pipeline.publication_lag(series.frequency, series.publication_lag_days)
        except ValueError as exc:
            data_errors["macro"] = f"{key}: {exc}"
    benchmark = data.get("benchmark") or None
    if benchmark is not None:
        _bars_dataset(team, benchmark, "benchmark", data_errors)
        if target == "volatility":
            data_errors["benchmark"] = "volatility trials have no strategy to compare with a benchmark"

    if params and definition is not None:
        # Data-dependent limits (PLS components <= features): the features are the price set, less the volume
        # z-score for an index without volume, plus two per macro series.
        n_features = len(feature_pipeline.FEATURE_COLUMNS) - 1 + 2 * len(macro)
        try:
            definition.validate_for_features(params, n_features=n_features)
        except ParamError as exc:
            errors["params"] = exc.errors
    clean_validation = _validation_clean(validation, validation_errors)
    seed = _int_field(payload, "seed", SPEC_DEFAULTS["seed"], 0, 2**31 - 1, errors)
    repeats = _int_field(payload, "repeats", SPEC_DEFAULTS["repeats"], 1, MAX_REPEATS, errors)
    positions = payload.get("positions", SPEC_DEFAULTS["positions"])
    if not isinstance(positions, str) or positions not in POSITIONS:
        errors["positions"] = f"must be one of {', '.join(POSITIONS)}, got {positions!r}"
    costs = {
        name: _number_field(costs_in, name, SPEC_DEFAULTS[name], 0, MAX_COST_BPS, cost_errors)
        for name in SPEC_FIELDS["costs"]
    }
    if target == "volatility" and (positions != "long_flat" or any(costs.values())):
        errors["positions" if positions != "long_flat" else "costs"] = (
            "volatility trials have no strategy: positions and costs apply to direction and return targets"
        )
    scheme = clean_validation.get("scheme", "walk_forward")
    if definition is not None and scheme != "walk_forward" and not _trains_on_features(definition, params):
        validation_errors["scheme"] = (
            f"{scheme} trains on rows after the test blocks, which only models trained on the feature table can do "
            f"without reading the test period's prices: {definition.key} reads the price history itself; use "
            "walk_forward"
        )

    if cost_errors:
        errors["costs"] = cost_errors
    spec_data = {
        "symbol": symbol,
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
        "target": target,
        "horizon": horizon,
        "macro": macro,
    }
    if benchmark:
        spec_data["benchmark"] = benchmark
    if not (errors or data_errors or validation_errors):
        assert dataset is not None  # no errors: the symbol was found
        message = _usable_rows_check(
            team=team, dataset=dataset, data=spec_data, validation=clean_validation, bars_in_range=bars_in_range
        )
        if message:
            validation_errors["groups" if clean_validation["scheme"] == "cpcv" else "folds"] = message
    if data_errors:
        errors["data"] = data_errors
    if validation_errors:
        errors["validation"] = validation_errors
    if errors:
        raise TrialSpecInvalid(errors)
    assert definition is not None  # no errors: the model was found
    return {
        "name": name,
        "model": definition.key,
        "family": definition.family,
        "params": params,
        "data": spec_data,
        "validation": clean_validation,
        "seed": seed,
        "costs": costs,
        "positions": positions,
        "repeats": repeats,
    }


# --- Creating and stopping ----------------------------------------------------------------------------------


def trial_create(
    *,
    team: Team,
    user: User,
    payload: dict,
    study=None,
    on_stored: Callable[[Trial], None] | None = None,
    automated: bool = False,
    membership: Membership | None = None,
) -> Trial:
    """Validate a trial, pass it through the compliance gateway, store it, and queue it for a worker once the
    transaction commits (or leave it waiting for a second owner's approval when a rule asks for that).

    `on_stored(trial)` runs in the transaction that stores the trial: raising there stores nothing. `membership`:
    the user's membership of `team` when the caller just read it (the API), so the role check needs no query.
    Raises TrialSpecInvalid, PermissionDenied or compliance.services.ComplianceRejected (the refusal is recorded
    in the audit trail by compliance.services.submission_admit, though no trial exists)."""
    membership_require(user=user, team=team, action="launch trials", membership=membership)
    with one_generation():  # the catalog, datasets, rules and blocks each process keeps: one cache read for all
        return _trial_create(
            team=team, user=user, payload=payload, study=study, on_stored=on_stored, automated=automated
        )


def _trial_create(
    *, team: Team, user: User, payload: dict, study, on_stored: Callable[[Trial], None] | None, automated: bool
) -> Trial:
    spec = trial_spec_clean(team=team, payload=payload)

    def store(verdict: compliance.GatewayResult) -> Trial:
        trial = lifecycle.trial_insert(
            status=Trial.Status.PENDING_APPROVAL if verdict.needs_approval else Trial.Status.QUEUED,
            enqueued_at=None if verdict.needs_approval else timezone.now(),  # sent after commit (trial_enqueue)
            team=team,
            created_by=user,
            study=study,
            name=spec["name"],
            model_key=spec["model"],
            family=spec["family"],
            target=spec["data"]["target"],
            params=spec["params"],
            data=spec["data"],
            validation=spec["validation"],
            seed=spec["seed"],
            costs=spec["costs"],
            positions=spec["positions"],
            repeats=spec["repeats"],
        )
        if not verdict.needs_approval:
            trial_enqueue(trial=trial, marked_sent=True)
        if on_stored is not None:
            on_stored(trial)
        return trial

    return compliance.submission_admit(
        spec=compliance.spec_with_free_text(spec=spec, payload=payload),
        user=user,
        team=team,
        automated=automated or study is not None,  # a study's evaluation, or the coach's autopilot
        store=store,
    )


def trial_enqueue(*, trial: Trial, marked_sent: bool = False) -> None:
    """Send a queued trial to the workers once the transaction commits and, in a web request, its response is sent
    (see trials.queue.trial_send, and what marked_sent means there)."""
    from .queue import trial_send

    trial_id = trial.pk
    transaction.on_commit(lambda: after_response.defer(lambda: trial_send(trial_id=trial_id, marked_sent=marked_sent)))


def trial_cancel(*, trial: Trial, user: User) -> Trial:
    """A queued trial is cancelled at once; a running one stops at the end of its current fold."""
    membership_require(user=user, team=trial.team, action="cancel trials")
    with transaction.atomic():
        cancelled = lifecycle.trial_move(
            trial_id=trial.pk,
            source=[Trial.Status.QUEUED, Trial.Status.PENDING_APPROVAL],
            to=Trial.Status.CANCELLED,
            cancel_requested=True,
            finished_at=timezone.now(),
        )
        if cancelled is None:
            Trial.objects.filter(pk=trial.pk, status=Trial.Status.RUNNING).update(cancel_requested=True)
        trial.refresh_from_db()
    return trial


# --- Four-eyes approval (compliance decides who may and keeps the record; the trial moves here) -------------

REJECTION_REASON_MAX = 500


class ApprovalConflict(Exception):
    """The trial is not waiting for approval (any more), or approving it now would break a quota."""


def _decide_pending(*, trial: Trial, user: User, approved: bool, reason: str = "") -> Trial:
    compliance.approver_check(trial=trial, user=user)
    with transaction.atomic():
        if approved:
            over = compliance.approval_quota_check(trial=trial)
            if over:
                raise ApprovalConflict("cannot approve it now: " + "; ".join(v.message for v in over))
        decision = compliance.approval_record(trial=trial, user=user, approved=approved, reason=reason)
        if approved:
            moved = lifecycle.trial_move(
                trial_id=trial.pk, source=Trial.Status.PENDING_APPROVAL, to=Trial.Status.QUEUED
            )
        else:
            moved = lifecycle.trial_move(
                trial_id=trial.pk,
                source=Trial.Status.PENDING_APPROVAL,
                to=Trial.Status.REJECTED,
                error=decision.reasons[0]["message"],
                finished_at=timezone.now(),
            )
        trial.refresh_from_db()
        if moved is None:  # the record above rolls back with this
            raise ApprovalConflict(f"trial {trial.pk} is {trial.status}, not waiting for approval")
        if approved:
            trial_enqueue(trial=trial)
    return trial


def trial_approve(*, trial: Trial, user: User) -> Trial:
    """An owner other than the submitter lets a pending trial go to the queue, if the quotas still allow it.

    Raises compliance.services.ApprovalDenied or ApprovalConflict."""
    return _decide_pending(trial=trial, user=user, approved=True)


def trial_reject(*, trial: Trial, user: User, reason: str = "") -> Trial:
    """An owner other than the submitter refuses a pending trial; it ends as rejected and never trains.

    The reason is kept to its first REJECTION_REASON_MAX characters. Raises ApprovalDenied or ApprovalConflict."""
    return _decide_pending(trial=trial, user=user, approved=False, reason=reason[:REJECTION_REASON_MAX])


# --- Running (called by the Celery task) --------------------------------------------------------------------


S = Trial.Status
CLAIM_ATTEMPTS = 5  # picks lost to a cancel in between before the message gives up (the relay is the net)


def trial_claim(*, hint: int) -> Trial | None:
    """Claim work for the worker slot a run_trial(hint) message stands for, and return the trial to run, or None.

    A running `hint` whose worker stopped beating is taken over (a redelivered message restarts it). Otherwise the
    slot goes to the queued trial the fair order puts first (trials.queue.trial_pick, under the claim lock), the
    hint itself unless another team has waited longer; when every queued team is at its cap the slot is given up
    and one trial parked. Conditional updates (trials.lifecycle), so two workers can never both run a trial."""
    now = timezone.now()
    fresh: dict[str, Any] = {
        "started_at": now,
        "heartbeat_at": now,
        "progress": 0.0,
        "folds": [],
        "attempts": F("attempts") + 1,
    }
    stale = now - timedelta(seconds=settings.TRIAL_STALE_AFTER_SECONDS)
    if Trial.objects.filter(pk=hint, status=Trial.Status.RUNNING, heartbeat_at__lt=stale).exists():
        taken = lifecycle.trial_move(
            trial_id=hint,
            source=Trial.Status.RUNNING,
            to=Trial.Status.RUNNING,
            only_if=Q(heartbeat_at__lt=stale),
            **fresh,
        )
        if taken is not None:
            return taken
    for _ in range(CLAIM_ATTEMPTS):
        with transaction.atomic():
            queue.claim_lock()
            picked = queue.trial_pick(hint=hint)
            if picked is None:
                queue.trial_park(hint=hint)
                return None
            claimed = lifecycle.trial_move(
                trial_id=picked, source=Trial.Status.QUEUED, to=Trial.Status.RUNNING, **fresh
            )
            if claimed is not None:
                queue.team_started(team_id=claimed.team_id, at=now)
                return claimed
    return None


class _Heartbeat:
    """Touches heartbeat_at every few seconds while a trial trains, so a dead worker is noticed quickly."""

    def __init__(self, trial_id: int):
        self.trial_id = trial_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name=f"heartbeat-{trial_id}")

    def _beat(self):
        from django.db import connection

        try:
            while not self.stop.wait(HEARTBEAT_SECONDS):
                Trial.objects.filter(pk=self.trial_id, status=Trial.Status.RUNNING).update(heartbeat_at=timezone.now())
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def _load_inputs(trial: Trial):
    spec = trial.data
    bars_dataset = dataset_get(team=trial.team, key=spec["symbol"])
    if bars_dataset is None:
        raise ValueError(f"dataset {spec['symbol']} is no longer available to {trial.team.name}")
    used = [bars_dataset]
    bars = dataset_frame(dataset=bars_dataset)
    macro = {}
    for key in spec.get("macro") or []:
        series_dataset = dataset_get(team=trial.team, key=key)
        if series_dataset is None:
            raise ValueError(f"series {key} is no longer available to {trial.team.name}")
        used.append(series_dataset)
        macro[key] = (
            dataset_frame(dataset=series_dataset),
            series_dataset.frequency,
            series_dataset.publication_lag_days,
        )
    start = pd.Timestamp(spec["start"]) if spec.get("start") else None
    end = pd.Timestamp(spec["end"]) if spec.get("end") else None
    features, labels, next_returns = feature_pipeline.make_dataset(
        bars, target=trial.target, horizon=spec["horizon"], start=start, end=end, macro=macro
    )
    benchmark = None
    if spec.get("benchmark"):
        benchmark_dataset = dataset_get(team=trial.team, key=spec["benchmark"])
        if benchmark_dataset is None or benchmark_dataset.kind != Dataset.Kind.BARS:
            raise ValueError(f"benchmark {spec['benchmark']} is no longer available to {trial.team.name}")
        used.append(benchmark_dataset)
        benchmark_bars = dataset_frame(dataset=benchmark_dataset)
        benchmark = feature_pipeline.aligned_next_return(benchmark_bars, bars.loc[:end].index if end else bars.index)
        benchmark = benchmark.reindex(features.index)
        if benchmark.isna().any():
            missing = benchmark.index[benchmark.isna()]
            raise ValueError(
                f"benchmark {spec['benchmark']} has no bar for {len(missing)} of the trial's dates "
                f"(first {missing[0]:%Y-%m-%d}): pick a benchmark covering {features.index[0]:%Y-%m-%d} to "
                f"{features.index[-1]:%Y-%m-%d}"
            )
    # Exactly which version of each series: its id and SHA-256, and for fetched data the request it came from.
    data_used = [dataset_version(dataset=d) for d in used]
    around_the_clock = bool(len(bars)) and float((bars.index.day_of_week >= 5).mean()) > 0.01
    per_year = periods_per_year(bars_dataset.frequency, around_the_clock=around_the_clock)
    return bars, features, labels, next_returns, benchmark, data_used, per_year


def trial_execute(*, trial_id: int) -> None:
    """Train and evaluate a trial; safe to call twice (a trial already claimed or finished is left alone)."""
    trial = trial_claim(hint=trial_id)
    if trial is None:
        logger.info("message for trial %s: nothing to claim (running elsewhere, finished, or teams at cap)", trial_id)
        return
    if trial.pk != trial_id:
        logger.info("message for trial %s runs trial %s, the fair order's next", trial_id, trial.pk)
    TrialPredictions.objects.filter(trial=trial).delete()  # a restarted attempt starts clean
    logger.info("trial %s started: %s on %s", trial.pk, trial.model_key, trial.data.get("symbol"))
    try:
        with _Heartbeat(trial.pk):
            # Rules may have changed since submission, and the data hash is verified now: refused, nothing trains.
            compliance.trial_execute_check(trial=trial)
            _store_result(trial, _train(trial))
    except ComplianceRejected as refused:
        _finish(trial, status=Trial.Status.REJECTED, error=refused.summary())
    except Cancelled:
        _finish(trial, status=Trial.Status.CANCELLED)
    except Exception as exc:  # noqa: BLE001 - any failure, storing included, must end the trial as failed
        logger.exception("trial %s failed", trial.pk)
        _finish(trial, status=Trial.Status.FAILED, error=f"{type(exc).__name__}: {exc}")


def _train(trial: Trial) -> RunResult:
    from models_catalog.registry import CATALOG

    bars, features, labels, next_returns, benchmark, data_used, per_year = _load_inputs(trial)
    Trial.objects.filter(pk=trial.pk).update(data_used=data_used)
    trial.data_used = data_used
    folds_done: list[dict] = []

    def on_fold(report, progress: float):
        if report is not None:
            folds_done.append(report.as_dict())
        trial.folds = folds_done
        trial.progress = progress
        Trial.objects.filter(pk=trial.pk, status=Trial.Status.RUNNING).update(
            folds=folds_done, progress=trial.progress, heartbeat_at=timezone.now()
        )
        publish_progress(trial)

    def should_stop() -> bool:
        return Trial.objects.filter(pk=trial.pk, cancel_requested=True).exists()

    costs = trial.costs or {}
    return repeats_run(
        repeats=trial.repeats,
        validation=trial.validation,
        horizon=trial.data["horizon"],
        definition=CATALOG[trial.model_key],
        params=trial.params,
        target=trial.target,
        seed=trial.seed,
        features=features,
        labels=labels,
        next_returns=next_returns,
        bars=bars,
        periods_per_year=per_year,
        trading=Trading(
            positions=trial.positions, cost_bps=costs.get("commission_bps", 0) + costs.get("slippage_bps", 0)
        ),
        benchmark=benchmark,
        on_fold=on_fold,
        should_stop=should_stop,
    )


@transaction.atomic
def _store_result(trial: Trial, result: RunResult) -> None:
    _predictions_insert(trial, result.predictions)
    trial.metrics = result.metrics
    trial.folds = [report.as_dict() for report in result.folds]
    net = result.predictions["net_return"].to_numpy()
    moments = None if trial.target == "volatility" else return_moments(net)
    Trial.objects.filter(pk=trial.pk).update(across_seeds=result.across_seeds, return_moments=moments)
    metrics_index(trials=[trial])
    if not _finish(trial, status=Trial.Status.SUCCEEDED, progress=1.0, metrics=result.metrics, folds=trial.folds):
        transaction.set_rollback(True)  # someone else ended the trial meanwhile: keep no half result


def _predictions_insert(trial: Trial, predictions: pd.DataFrame) -> None:
    """All of the trial's predictions as one compressed columnar row (trials.prediction_codec): one INSERT of
    ~110 KB instead of ~4,000 rows, so a million trials stay a million rows."""
    # trial_execute deleted any earlier attempt's row when it claimed the trial: one plain INSERT.
    TrialPredictions.objects.create(trial=trial, rows=len(predictions), blob=prediction_codec.encode_frame(predictions))


def _finish(trial: Trial, *, status: str, error: str = "", only_if: Q | None = None, **fields) -> bool:
    """End a running trial; False if it was no longer running (cancelled or reaped meanwhile).

    `only_if` narrows the conditional update further (the reaper: only while the heartbeat is still stale).
    """
    finished = lifecycle.trial_move(
        trial_id=trial.pk,
        source=Trial.Status.RUNNING,
        to=status,
        only_if=only_if,
        error=error,
        finished_at=timezone.now(),
        **fields,
    )
    if finished is None:
        logger.warning("trial %s was no longer running; not marking it %s", trial.pk, status)
        return False
    logger.info("trial %s %s", trial.pk, status)
    return True


def trial_reap_stuck(*, now: datetime | None = None) -> list[int]:
    """Running trials whose worker stopped beating (killed, out of memory, node gone): queued again while they have
    retries left (TRIAL_RETRIES_AFTER_WORKER_LOST; each run counts in `attempts`), else failed. Returns their ids.

    Conditional on the heartbeat still being stale, so a worker that beats again in the meantime keeps its trial.
    """
    reaped = []
    for trial in trial_stale_running(now=now).order_by("pk"):
        last = trial.heartbeat_at or trial.started_at
        since = f"{last:%Y-%m-%d %H:%M:%S} UTC" if last else "it started"
        still_stale = Q(heartbeat_at__isnull=True) if trial.heartbeat_at is None else Q(heartbeat_at=trial.heartbeat_at)
        reason = f"worker stopped responding (no heartbeat since {since})"
        with trial_log_context(trial.pk):
            if trial.attempts <= settings.TRIAL_RETRIES_AFTER_WORKER_LOST:
                with transaction.atomic():
                    retried = lifecycle.trial_move(
                        trial_id=trial.pk,
                        source=Trial.Status.RUNNING,
                        to=Trial.Status.QUEUED,
                        only_if=still_stale,
                        error=f"{reason}; queued again for attempt {trial.attempts + 1}",
                        enqueued_at=None,
                    )
                    if retried is not None:
                        trial_enqueue(trial=retried)
                if retried is None:
                    continue
                logger.warning("trial %s queued again: no heartbeat since %s", trial.pk, since)
            elif _finish(trial, status=Trial.Status.FAILED, error=reason, only_if=still_stale):
                logger.warning("trial %s reaped: no heartbeat since %s", trial.pk, since)
            else:
                continue
            reaped.append(trial.pk)
    return reaped
