"""Everything that registers, fits, moves or asks a model version: the API, the pages and the worker come here.

A version's fit status moves by conditional updates (queued → fitting → ready | failed), so a task delivered twice
fits once. Stage changes go through the compliance gateway (compliance.services.promotion_check and friends), which
decides and records each one in the audit trail; the rows move here."""

from __future__ import annotations

import logging
import platform
import re
from collections import OrderedDict
from datetime import date, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import Team, User
from accounts.services import membership_require
from compliance import services as compliance
from compliance.models import Decision
from mltrainer_site.broker import BrokerDown, send_task
from models_catalog.lazy import deferred
from notifications.models import Event
from notifications.services import event_emit
from trials.models import Trial

from . import artifacts, pipeline
from .models import ModelVersion, RegisteredModel, StageChange

if TYPE_CHECKING:
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    pd = deferred("pandas")

logger = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
PACKAGES = ("numpy", "pandas", "scipy", "scikit-learn", "lightgbm", "xgboost-cpu", "statsmodels", "arch", "hmmlearn")
REASON_MAX = 500
V = ModelVersion


class RegistryError(ValueError):
    """A request the registry refuses (bad name, a trial that did not succeed, a move the stages do not allow)."""


class RegistryConflict(RegistryError):
    """The version is not in the state the request needs (any more): 409."""


# --- Registering and fitting ---------------------------------------------------------------------------------


def _spec_of(trial: Trial) -> dict:
    return {
        "model": trial.model_key,
        "family": trial.family,
        "params": trial.params,
        "target": trial.target,
        "data": trial.data,
        "validation": trial.validation,
        "seed": trial.seed,
        "positions": trial.positions,
        "costs": trial.costs or {},
    }


def task_send(task: str, argument: int) -> None:
    try:
        send_task(task, args=[argument])
    except BrokerDown as exc:
        logger.warning("broker unreachable, %s(%s) not sent: %s", task, argument, exc)


def version_register(*, team: Team, user: User, trial: Trial, name: str) -> ModelVersion:
    """Register a succeeded trial of `team` as the next version of the model `name` (created when new); the refit
    runs in the worker once this commits (registry.tasks.fit_version)."""
    membership_require(user=user, team=team, action="register models")
    name = (name or "").strip()
    if not NAME.match(name):
        raise RegistryError("name: 1 to 100 lower-case letters, digits and hyphens, starting with a letter or digit")
    if trial.team_id != team.pk:
        raise RegistryError(f"trial {trial.pk} is not one of {team.name}'s trials")
    if trial.status != Trial.Status.SUCCEEDED:
        raise RegistryError(f"trial {trial.pk} is {trial.status}: only a succeeded trial can be registered")
    with transaction.atomic(durable=True):
        model, _ = RegisteredModel.objects.get_or_create(team=team, name=name, defaults={"created_by": user})
        model = RegisteredModel.objects.select_for_update().get(pk=model.pk)  # numbers versions one at a time
        number = (model.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = ModelVersion.objects.create(
            registered_model=model, number=number, team=team, trial=trial, spec=_spec_of(trial), created_by=user
        )
        decision = compliance.stage_change_record(
            request=_request(version, user, to_stage=V.Stage.CANDIDATE, from_stage=""),
            outcome=Decision.Outcome.ALLOWED,
        )
        StageChange.objects.create(
            version=version, to_stage=V.Stage.CANDIDATE, action="registered", user=user, decision_id=decision.pk,
            reason=f"registered from trial {trial.pk}",
        )  # fmt: skip
        version_id = version.pk
        announce(version, Event.VERSION_REGISTERED, f"{version.label} registered from trial {trial.pk}", user=user)
        transaction.on_commit(lambda: task_send("registry.tasks.fit_version", version_id))
    return version


def version_url(version: ModelVersion) -> str:
    return f"/registry/{version.registered_model.name}/v{version.number}/?team={version.team.slug}"


def announce(version: ModelVersion, event: str, title: str, *, user: User | None = None, body: str = "",
              key: str | None = None) -> None:  # fmt: skip
    by = f" by {user.get_username()}" if user is not None else ""
    event_emit(
        team=version.team, event=event, key=key or f"version:{version.pk}:{event}:{timezone.now().isoformat()}",
        title=title + by, body=body, url=version_url(version),
        data={"model": version.registered_model.name, "version": version.number, "stage": version.stage},
    )  # fmt: skip


def version_event(version: ModelVersion, *, kind: str = "version.progress") -> dict:
    """What a WebSocket client of /ws/registry/versions/<id>/ receives."""
    return {"type": kind, "version": version.pk, "status": version.status, "progress": version.progress,
            "error": version.error}  # fmt: skip


def _publish(version: ModelVersion) -> None:
    payload = version_event(version)

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(f"version.{version.pk}", {"type": "version.event", "payload": payload})

    transaction.on_commit(send)


def _progress(version: ModelVersion, value: float) -> None:
    version.progress = value
    ModelVersion.objects.filter(pk=version.pk, status=V.Status.FITTING).update(progress=value)
    _publish(version)


def _packages() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found


def version_fit(*, version_id: int) -> ModelVersion | None:
    """Refit a registered trial on all its data up to its `end`, with its params and seed, and store the signed
    artifact. Safe to call twice: a version already claimed or finished is left alone (returns None)."""
    from models_catalog.registry import CATALOG

    now = timezone.now()
    claimed = ModelVersion.objects.filter(pk=version_id, status=V.Status.QUEUED).update(
        status=V.Status.FITTING, fit_started_at=now, progress=0.0
    )
    if not claimed:
        logger.info("version %s not claimable (already fitting or fitted)", version_id)
        return None
    version = ModelVersion.objects.select_related("registered_model", "team").get(pk=version_id)
    spec = version.spec
    try:
        inputs = pipeline.inputs_load(team=version.team, spec=spec)
        features, labels, bars = pipeline.training_rows(inputs=inputs, spec=spec)
        _progress(version, 0.2)
        estimator = CATALOG[spec["model"]].build(
            spec["params"], target=spec["target"], seed=spec["seed"], horizon=spec["data"]["horizon"]
        )
        estimator.fit(features, labels, bars)
        _progress(version, 0.8)
        prefix = f"{version.team.slug}/{version.registered_model.name}/v{version.number}"
        name, sha256, signature, size = artifacts.artifact_save(estimator=estimator, prefix=prefix)
    except Exception as exc:  # noqa: BLE001 - any failure ends the fit as failed, with the reason shown
        logger.exception("version %s fit failed", version_id)
        ModelVersion.objects.filter(pk=version_id, status=V.Status.FITTING).update(
            status=V.Status.FAILED, error=f"{type(exc).__name__}: {exc}", fit_finished_at=timezone.now()
        )
        version.refresh_from_db()
        _publish(version)
        return version
    ModelVersion.objects.filter(pk=version_id, status=V.Status.FITTING).update(
        status=V.Status.READY,
        progress=1.0,
        fit_finished_at=timezone.now(),
        fit_rows=len(features),
        feature_columns=list(features.columns),
        data_used=inputs.data_used,
        packages=_packages(),
        artifact_name=name,
        artifact_sha256=sha256,
        artifact_hmac=signature,
        artifact_bytes=size,
    )
    version.refresh_from_db()
    _publish(version)
    logger.info("version %s (%s) fitted on %s rows", version_id, version.label, len(features))
    return version


# --- Loading and predicting ----------------------------------------------------------------------------------

_loaded: OrderedDict[tuple[int, str], Any] = OrderedDict()
_LOADED_MAX = 8


def version_estimator(*, version: ModelVersion) -> Any:
    """The fitted estimator, verified (SHA-256 and HMAC) when first loaded in this process and kept warm after;
    artifacts.ArtifactTampered when the stored file is not what the worker wrote."""
    if version.status != V.Status.READY:
        raise RegistryConflict(f"{version.label} is {version.status}, not ready to predict")
    key = (version.pk, version.artifact_sha256)
    if key in _loaded:
        _loaded.move_to_end(key)
        return _loaded[key]
    estimator = artifacts.artifact_load(
        name=version.artifact_name,
        sha256=version.artifact_sha256,
        signature=version.artifact_hmac,
        label=version.label,
    )
    _loaded[key] = estimator
    while len(_loaded) > _LOADED_MAX:
        _loaded.popitem(last=False)
    return estimator


def _utc(day: date | datetime | None):
    if day is None:
        return None
    return pd.Timestamp(day).tz_localize(None) if pd.Timestamp(day).tzinfo else pd.Timestamp(day)


def version_predict(
    *, version: ModelVersion, start: date | None = None, end: date | None = None, latest: bool = False
) -> pd.DataFrame:
    """Per date: prediction, P(up) (direction) and the position the trial's rule takes, on the team's current
    data with the trial's features; `latest` gives the last bar only."""
    estimator = version_estimator(version=version)
    inputs = pipeline.inputs_load(team=version.team, spec=version.spec)
    rows = pipeline.feature_rows(inputs=inputs, columns=version.feature_columns)
    if latest:
        rows = rows.iloc[-1:]
    else:
        if start is not None:
            rows = rows.loc[_utc(start) :]
        if end is not None:
            rows = rows.loc[: _utc(end) + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)]
    return pipeline.predict_frame(estimator=estimator, rows=rows, bars=inputs.bars, spec=version.spec)


# --- Stages --------------------------------------------------------------------------------------------------


def _request(version: ModelVersion, user: User, *, to_stage: str, from_stage: str | None = None, reason: str = ""):
    return compliance.StageChangeRequest(
        team=version.team,
        user=user,
        model_name=version.registered_model.name,
        version=version.number,
        registrant_id=version.created_by_id,
        source_trial_id=version.trial_id,
        from_stage=version.stage if from_stage is None else from_stage,
        to_stage=to_stage,
        reason=reason[:REASON_MAX],
    )


def _locked(version: ModelVersion) -> ModelVersion:
    """Lock the model's line, then re-read the version: stage changes of one name happen one at a time."""
    RegisteredModel.objects.select_for_update().filter(pk=version.registered_model_id).first()
    return ModelVersion.objects.select_related("registered_model", "team").get(pk=version.pk)


def _move(version: ModelVersion, *, to: str, user: User, action: str, reason: str, decision_id: int, **fields) -> None:
    ModelVersion.objects.filter(pk=version.pk).update(stage=to, **fields)
    StageChange.objects.create(
        version=version, from_stage=version.stage, to_stage=to, action=action, user=user, reason=reason,
        decision_id=decision_id,
    )  # fmt: skip


def _make_production(version: ModelVersion, *, user: User, reason: str, decision_id: int, action: str) -> None:
    current = ModelVersion.objects.filter(registered_model_id=version.registered_model_id, stage=V.Stage.PRODUCTION)
    for old in current.select_related("registered_model", "team").exclude(pk=version.pk):
        why = f"replaced in production by v{version.number}"
        decision = compliance.stage_change_record(
            request=_request(old, user, to_stage=V.Stage.ARCHIVED, reason=why), outcome=Decision.Outcome.ALLOWED
        )
        _move(old, to=V.Stage.ARCHIVED, user=user, action="archived", reason=why, decision_id=decision.pk)
    _move(
        version, to=V.Stage.PRODUCTION, user=user, action=action, reason=reason, decision_id=decision_id,
        promoted_at=timezone.now(), promotion_requested_by=None, promotion_requested_at=None, promotion_reason="",
        live_record={}, drift_flagged_at=None, drift_reason="",
    )  # fmt: skip
    announce(version, Event.VERSION_PROMOTED, f"{version.label} promoted to production", user=user, body=reason)


def version_promote(*, version: ModelVersion, user: User, reason: str = "") -> ModelVersion:
    """Ask to promote a ready version to production. The gateway decides: allowed (it is production now, and the
    previous production version archived) or needs approval (a four-eyes promotion rule: it waits for an owner
    other than the registrant). Either way the decision is in the audit trail."""
    membership_require(user=user, team=version.team, action="promote models")
    with transaction.atomic(durable=True):
        version = _locked(version)
        if version.status != V.Status.READY:
            raise RegistryConflict(f"{version.label} is {version.status}: only a fitted version can be promoted")
        if version.stage == V.Stage.PRODUCTION:
            raise RegistryConflict(f"{version.label} is already in production")
        if version.promotion_requested_at is not None:
            raise RegistryConflict(f"{version.label}'s promotion is already waiting for approval")
        verdict = compliance.promotion_check(
            request=_request(version, user, to_stage=V.Stage.PRODUCTION, reason=reason)
        )
        assert verdict.decision is not None
        if verdict.needs_approval:
            ModelVersion.objects.filter(pk=version.pk).update(
                promotion_requested_by=user, promotion_requested_at=timezone.now(), promotion_reason=reason
            )
            StageChange.objects.create(
                version=version, from_stage=version.stage, to_stage=V.Stage.PRODUCTION, action="requested",
                user=user, reason=reason, decision_id=verdict.decision.pk,
            )  # fmt: skip
            announce(version, Event.APPROVAL_REQUESTED, f"{version.label}: promotion waits for approval", user=user,
                      body=reason)  # fmt: skip
        else:
            _make_production(version, user=user, reason=reason, decision_id=verdict.decision.pk, action="promoted")
    version.refresh_from_db()
    return version


def version_promotion_decide(*, version: ModelVersion, user: User, approved: bool, reason: str = "") -> ModelVersion:
    """An owner other than the registrant approves (the version goes to production) or rejects (it stays where
    it was) a promotion waiting for four eyes. Raises compliance.services.ApprovalDenied or RegistryConflict."""
    with transaction.atomic(durable=True):
        version = _locked(version)
        if version.promotion_requested_at is None:
            raise RegistryConflict(f"{version.label} has no promotion waiting for approval")
        request = _request(version, user, to_stage=V.Stage.PRODUCTION, reason=reason)
        compliance.promotion_approver_check(request=request)
        outcome = Decision.Outcome.APPROVED if approved else Decision.Outcome.REJECTED
        decision = compliance.stage_change_record(request=request, outcome=outcome)
        verdict = "approved" if approved else "rejected"
        announce(version, Event.APPROVAL_DECIDED, f"{version.label}: promotion {verdict}", user=user, body=reason)
        if approved:
            _make_production(version, user=user, reason=reason, decision_id=decision.pk, action="approved")
        else:
            ModelVersion.objects.filter(pk=version.pk).update(
                promotion_requested_by=None, promotion_requested_at=None, promotion_reason=""
            )
            StageChange.objects.create(
                version=version, from_stage=version.stage, to_stage=version.stage, action="rejected", user=user,
                reason=reason, decision_id=decision.pk,
            )  # fmt: skip
    version.refresh_from_db()
    return version


def version_archive(*, version: ModelVersion, user: User, reason: str = "") -> ModelVersion:
    """Retire a version (candidate or production): it stops producing signals; the decision is audited."""
    membership_require(user=user, team=version.team, action="archive models")
    with transaction.atomic(durable=True):
        version = _locked(version)
        if version.stage == V.Stage.ARCHIVED:
            raise RegistryConflict(f"{version.label} is already archived")
        decision = compliance.stage_change_record(
            request=_request(version, user, to_stage=V.Stage.ARCHIVED, reason=reason), outcome=Decision.Outcome.ALLOWED
        )
        _move(
            version, to=V.Stage.ARCHIVED, user=user, action="archived", reason=reason, decision_id=decision.pk,
            promotion_requested_by=None, promotion_requested_at=None, promotion_reason="",
        )  # fmt: skip
    version.refresh_from_db()
    return version
