"""The compliance gateway: one function decides whether a trial may be submitted or run, every decision is
recorded with the exact rule versions it applied, owners approve or reject trials that need four eyes, and
users who keep breaking rules are blocked until an admin clears them."""

import fnmatch
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from accounts.models import Membership, Team, User
from mltrainer_site import process_cache
from mltrainer_site.compiled_query import CompiledInsert
from mltrainer_site.process_cache import ProcessCache
from observability import metrics as observability_metrics

from .checks import CHECKS, TEXT_FIELDS, Context, Violation, check_approval, check_quota
from .models import (
    ApprovalRule,
    Decision,
    PromotionApprovalRule,
    QuotaRule,
    RepeatedViolationRule,
    Rule,
    SubmissionBlock,
    split_list,
)
from .ports import JudgedTrial

logger = logging.getLogger(__name__)

STAGES = ("submit", "execute")
T = TypeVar("T", bound=JudgedTrial)  # what a submission stores: a trial (trials.services.trial_create)


class ComplianceRejected(Exception):
    """The gateway refused a trial; `violations` says which rules and why."""

    def __init__(self, violations: list[Violation], *, result: "GatewayResult | None" = None):
        self.violations = violations
        self.result = result
        super().__init__(self.summary())

    def as_list(self) -> list[dict]:
        return [violation.as_dict() for violation in self.violations]

    def summary(self) -> str:
        return "refused by compliance: " + "; ".join(f"[{v.rule}] {v.message}" for v in self.violations)


class ApprovalDenied(Exception):
    """This user may not approve or reject this trial (not an owner of its team, or its submitter)."""


@dataclass
class GatewayResult:
    stage: str
    violations: list[Violation] = field(default_factory=list)
    approvals: list[Violation] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    # The history row of each rule's version applied, when known (see rulebook_for_team); else read when recorded.
    history_ids: dict[tuple[type[Rule], int], int] = field(default_factory=dict)
    decision: Decision | None = None  # set where the gateway records the decision itself (promotion_check)

    @property
    def rejected(self) -> bool:
        return bool(self.violations)

    @property
    def needs_approval(self) -> bool:
        return not self.violations and bool(self.approvals)

    @property
    def allowed(self) -> bool:
        return not self.violations and not self.approvals

    @property
    def outcome(self) -> str:
        if self.rejected:
            return Decision.Outcome.REJECTED
        return Decision.Outcome.NEEDS_APPROVAL if self.needs_approval else Decision.Outcome.ALLOWED


# --- The gateway ----------------------------------------------------------------------------------------------


def rules_applicable(model: type[Rule], *, team: Team) -> QuerySet:
    """The enabled rules of one kind that bind `team`: its own and the global ones, read from the database (the
    gateway reads them through rulebook_for_team, which keeps them until a rule changes)."""
    rules = model._default_manager.filter(Q(team__isnull=True) | Q(team=team), enabled=True)
    return rules.select_related("team").order_by("pk")


# --- The rules a team is judged by, kept in each process until a rule changes ------------------------------------

RULE_MODELS: tuple[type[Rule], ...] = (*CHECKS, ApprovalRule, PromotionApprovalRule, RepeatedViolationRule)


@dataclass(frozen=True)
class Rulebook:
    """Every enabled rule binding one team, by kind, and the history row of each rule's current version."""

    rules: dict[type[Rule], list[Rule]]
    history_ids: dict[tuple[type[Rule], int], int]


# team (pk, created_at: a pk can be reused after a rollback) -> its rulebook; user pk -> their open block or None
_rulebooks: ProcessCache[Rulebook] = ProcessCache("compliance rulebooks")
_open_blocks: ProcessCache[SubmissionBlock | None] = ProcessCache("compliance open submission blocks")


def rules_changed() -> None:
    """Make every process read the rules and blocks afresh: called when any rule or block is saved or deleted
    (compliance.apps connects it to their signals). Code changing them with QuerySet.update() must call it."""
    process_cache.changed()


def _rulebook_load(team: Team) -> Rulebook:
    rules = {model: list(rules_applicable(model, team=team)) for model in RULE_MODELS}
    history_ids: dict[tuple[type[Rule], int], int] = {}
    for model, found in rules.items():
        if not found:
            continue
        rows = model.history.filter(id__in=[r.pk for r in found]).order_by("id", "-history_date", "-history_id")
        for rule_id, history_id in rows.values_list("id", "history_id"):
            history_ids.setdefault((model, rule_id), history_id)
    return Rulebook(rules=rules, history_ids=history_ids)


def rulebook_for_team(*, team: Team) -> Rulebook:
    """The team's rules, as read when they last changed (mltrainer_site.process_cache): one cache read when nothing
    changed, instead of a query per kind of rule and per rule's history on every submission."""
    return _rulebooks.get((team.pk, team.created_at), lambda: _rulebook_load(team))


def open_block_for_user(*, user: User) -> SubmissionBlock | None:
    """The user's uncleared submission block, as read when blocks last changed."""
    return _open_blocks.get(
        (user.pk, user.date_joined), lambda: SubmissionBlock.objects.filter(user=user, cleared_at__isnull=True).first()
    )


def _lock_submitter(*, user: User | None, team: Team) -> None:
    """Serialise quota counts by the same user and in the same team until the transaction commits, so two
    concurrent submissions (or approvals) cannot both count N-1 active trials and both be admitted.

    The one lock order, everywhere: user, then team, then trial rows (approval moves the trial after this), then
    a coach proposal. FOR NO KEY UPDATE, not FOR UPDATE: the rows' keys do not change, and so an insert that only
    references them (a trial, a submission block: their foreign-key checks take KEY SHARE) never waits for these
    locks, and cannot deadlock with them."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("quota checks must run inside the transaction that creates the trial")
    if user is not None:
        list(User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk", flat=True))
    list(Team.objects.select_for_update(no_key=True).filter(pk=team.pk).values_list("pk", flat=True))


def gateway_check(
    *, spec: dict, user: User | None, team: Team, stage: str, trial: JudgedTrial | None = None
) -> GatewayResult:
    """Judge a normalised trial spec (see trials.services.trial_spec_clean) against every rule binding `team`.

    stage="submit" runs before a trial exists, inside the transaction that will create it (quotas lock rows);
    stage="execute" runs when a worker is about to train it, and verifies the data hash.
    Returns the violations (rejected), the approval conditions met (needs approval), and the rules applied.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {STAGES}, got {stage!r}")
    ctx = Context(spec=spec, user=user, team=team, stage=stage, trial=trial)
    result = GatewayResult(stage=stage)
    book = rulebook_for_team(team=team)
    result.history_ids = book.history_ids
    if stage == "submit" and user is not None:
        block = open_block_for_user(user=user)
        if block is not None:
            result.violations.append(
                Violation(
                    rule="repeated_violations",
                    message=(
                        f"your submissions are refused since {block.created_at:%Y-%m-%d %H:%M} UTC after repeated "
                        "rule violations; ask an admin to clear the block"
                    ),
                )
            )
    for model, (check, stages) in CHECKS.items():
        if stage not in stages:
            continue
        rules = book.rules[model]
        if model is QuotaRule and rules:
            _lock_submitter(user=user, team=team)
        for rule in rules:
            result.rules.append(rule)
            result.violations.extend(check(rule, ctx))
    if stage == "submit":
        for approval in cast(list[ApprovalRule], book.rules[ApprovalRule]):
            result.rules.append(approval)
            result.approvals.extend(check_approval(approval, ctx))
    return result


def submission_admit(
    *, spec: dict, user: User, team: Team, store: Callable[[GatewayResult], T], automated: bool = False
) -> T:
    """The gateway at submission, the one entry point for it: judge `spec` and, if admitted, call `store(verdict)`
    to create the trial, recording the decision with it in one transaction (both or neither).

    A refusal raises ComplianceRejected after that transaction, with its decision recorded outside it, so the
    audit trail keeps it though no trial exists. (A caller that is itself inside a transaction must let that
    transaction commit, as a study step does, for the record to stay.)"""
    with transaction.atomic():
        verdict = gateway_check(spec=spec, user=user, team=team, stage="submit")
        if not verdict.rejected:
            trial = store(verdict)
            decision_record(result=verdict, spec=spec, user=user, team=team, trial=trial, automated=automated)
            return trial
    decision_record(result=verdict, spec=spec, user=user, team=team, automated=automated)
    raise ComplianceRejected(verdict.violations, result=verdict)


def spec_with_free_text(*, spec: dict, payload: dict) -> dict:
    """The spec as the gateway judges it at submission: plus free text (notes, goals) the trial does not keep."""
    extra = {name: payload[name] for name in TEXT_FIELDS if name not in spec and isinstance(payload.get(name), str)}
    return {**spec, **extra}


def spec_of_trial(trial: JudgedTrial) -> dict:
    """A stored trial as the normalised spec it was created from."""
    return {
        "name": trial.name,
        "model": trial.model_key,
        "family": trial.family,
        "params": trial.params,
        "data": trial.data,
        "validation": trial.validation,
        "seed": trial.seed,
    }


def trial_execute_check(*, trial: JudgedTrial) -> GatewayResult:
    """The second look, when a worker starts the trial: rules may have changed and the data is hashed.

    Records the decision; raises ComplianceRejected if the trial must not train."""
    spec = spec_of_trial(trial)
    result = gateway_check(spec=spec, user=trial.created_by, team=trial.team, stage="execute", trial=trial)
    decision_record(result=result, spec=spec, user=trial.created_by, team=trial.team, trial=trial)
    if result.rejected:
        raise ComplianceRejected(result.violations, result=result)
    return result


# --- The audit trail ------------------------------------------------------------------------------------------


def _snapshot(rule: Rule) -> dict:
    return {f.attname: f.value_from_object(rule) for f in rule._meta.concrete_fields}


def _rule_versions(rules: list[Rule], known: dict[tuple[type[Rule], int], int] | None = None) -> list[dict]:
    """Each rule applied, with the id of its latest history row (the exact version) and a copy of its fields.
    `known`: history ids already read with the rules (the rulebook); the others are read now."""
    latest: dict[tuple[type[Rule], int], int] = dict(known or {})
    by_model: dict[type[Rule], list[int]] = defaultdict(list)
    for rule in rules:
        if (type(rule), rule.pk) not in latest:
            by_model[type(rule)].append(rule.pk)
    for model, ids in by_model.items():
        rows = model.history.filter(id__in=ids).order_by("id", "-history_date", "-history_id")
        for rule_id, history_id in rows.values_list("id", "history_id"):
            latest.setdefault((model, rule_id), history_id)
    return [
        {
            "kind": rule.kind,
            "id": rule.pk,
            "history_id": latest.get((type(rule), rule.pk)),
            "team": rule.team.slug if rule.team is not None else None,
            "reason": rule.reason,
            "snapshot": _snapshot(rule),
        }
        for rule in rules
    ]


_DECISION_INSERT = CompiledInsert(Decision)  # every submission records one: its INSERT is built once


def _decision_create(
    *,
    trial_id: int | None,
    user: User | None,
    team: Team | None,
    stage: str,
    outcome: str,
    reasons,
    rules,
    spec,
    automated: bool = False,
) -> Decision:
    return _DECISION_INSERT.insert(
        Decision(
            automated=automated,
            trial_id=trial_id,
            user=user,
            team=team,
            username=user.get_username() if user is not None else "",
            team_slug=team.slug if team is not None else "",
            stage=stage,
            outcome=outcome,
            reasons=reasons,
            rules=rules,
            spec=spec,
        )
    )


def decision_record(
    *,
    result: GatewayResult,
    spec: dict,
    user: User | None,
    team: Team,
    trial: JudgedTrial | None = None,
    automated: bool = False,
) -> Decision:
    """Store a gateway decision. A refused submission has no trial; its spec says what was asked for.

    automated=True marks a submission a machine made on the user's behalf (a study's optimiser sampling outside a
    bound): recorded like any other, but not counted towards blocking the user."""
    reasons = [v.as_dict() for v in (result.violations if result.rejected else result.approvals)]
    decision = _decision_create(
        trial_id=trial.pk if trial is not None else None,
        user=user,
        team=team,
        stage=result.stage,
        outcome=result.outcome,
        reasons=reasons,
        rules=_rule_versions(result.rules, result.history_ids),
        spec=spec,
        automated=automated,
    )
    if result.rejected:
        for reason in reasons:
            observability_metrics.record_compliance_rejection(reason["rule"])
    if (
        not automated
        and result.rejected
        and result.stage == "submit"
        and user is not None
        and _counts_as_violation(reasons)
    ):
        _block_if_repeated(user=user, team=team)
    return decision


# --- Repeated violations --------------------------------------------------------------------------------------


def _violation_limit(*, team: Team) -> tuple[int, int, RepeatedViolationRule | None]:
    """(rejections, window in minutes, rule): the team's own rule over a global one, the strictest of several;
    the COMPLIANCE_BLOCK_* settings when no rule applies."""
    rules = sorted(rules_applicable(RepeatedViolationRule, team=team), key=lambda r: (r.team_id is None, r.rejections))
    if rules:
        return rules[0].rejections, rules[0].window_minutes, rules[0]
    return settings.COMPLIANCE_BLOCK_AFTER_REJECTIONS, settings.COMPLIANCE_BLOCK_WINDOW_MINUTES, None


# Refusals that are not misconduct: a full quota only says "wait", so it never counts towards a block.
NOT_VIOLATIONS = frozenset({"quota"})


def _counts_as_violation(reasons: list[dict]) -> bool:
    return any(reason["rule"] not in NOT_VIOLATIONS for reason in reasons)


def _block_if_repeated(*, user: User, team: Team) -> SubmissionBlock | None:
    limit, window, rule = _violation_limit(team=team)
    if not limit or SubmissionBlock.objects.filter(user=user, cleared_at__isnull=True).exists():
        return None
    since = timezone.now() - timedelta(minutes=window)
    cleared = SubmissionBlock.objects.filter(user=user).aggregate(last=Max("cleared_at"))["last"]
    if cleared is not None and cleared > since:
        since = cleared  # a cleared user starts afresh
    rejected = [
        decision
        for decision in Decision.objects.filter(
            user=user,
            stage=Decision.Stage.SUBMIT,
            outcome=Decision.Outcome.REJECTED,
            automated=False,
            created_at__gte=since,
        ).values("id", "reasons")
        if _counts_as_violation(decision["reasons"])
    ]
    if len(rejected) < limit:
        return None
    broken = sorted(
        {r["rule"] for decision in rejected for r in decision["reasons"] if r["rule"] not in NOT_VIOLATIONS}
    )
    source = f"repeated violations rule #{rule.pk}" if rule else "the COMPLIANCE_BLOCK_* settings"
    reason = (
        f"{len(rejected)} rejected submissions within {window} minutes (limit {limit}, from {source}); "
        f"rules broken: {', '.join(broken)}"
    )
    try:
        with transaction.atomic():
            block = SubmissionBlock.objects.create(
                user=user, team=team, reason=reason, decisions=[decision["id"] for decision in rejected]
            )
    except IntegrityError:  # a concurrent rejection tripped it first
        return None
    logger.warning("compliance: blocked submissions by %s: %s", user.get_username(), reason)
    return block


def submission_block_clear(*, block: SubmissionBlock, user: User) -> SubmissionBlock:
    SubmissionBlock.objects.filter(pk=block.pk, cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_by=user
    )
    rules_changed()  # the user's submissions are admitted again from the next one, in every process
    block.refresh_from_db()
    return block


# --- Four-eyes approval (the trial moves in trials.services.trial_approve and trial_reject) ----------------------


def approver_check(*, trial: JudgedTrial, user: User) -> None:
    """Raises ApprovalDenied unless `user` is an owner of the trial's team other than its submitter."""
    membership = Membership.objects.filter(user=user, team=trial.team).first()
    if membership is None or membership.role != Membership.Role.OWNER:
        raise ApprovalDenied(f"only an owner of {trial.team.name} can approve or reject its trials")
    if trial.created_by_id == user.pk:
        raise ApprovalDenied("you submitted this trial: another owner of the team must approve or reject it")


def approver_can_decide(*, trial: JudgedTrial, user: User) -> bool:
    """Whether `user` may approve or reject `trial` (for showing the buttons; the services check again)."""
    try:
        approver_check(trial=trial, user=user)
    except ApprovalDenied:
        return False
    return True


def approval_quota_check(*, trial: JudgedTrial) -> list[Violation]:
    """The quotas a pending trial would break if it were approved now (rules may have changed since it was
    submitted). Runs inside the approving transaction: takes the quota locks (see _lock_submitter)."""
    rules = list(rules_applicable(QuotaRule, team=trial.team))
    if not rules:
        return []
    _lock_submitter(user=trial.created_by, team=trial.team)
    ctx = Context(spec=spec_of_trial(trial), user=trial.created_by, team=trial.team, stage="submit", trial=trial)
    return [violation for rule in rules for violation in check_quota(rule, ctx)]


def approval_record(*, trial: JudgedTrial, user: User, approved: bool, reason: str = "") -> Decision:
    """The audit record of an owner's approval or rejection; its message is also the rejected trial's error."""
    if approved:
        message = f"approved by {user.get_username()}"
    else:
        message = f"rejected by {user.get_username()}" + (f": {reason}" if reason else "")
    return _decision_create(
        trial_id=trial.pk,
        user=user,
        team=trial.team,
        stage=Decision.Stage.APPROVAL,
        outcome=Decision.Outcome.APPROVED if approved else Decision.Outcome.REJECTED,
        reasons=[{"rule": "approval", "rule_id": None, "message": message, "field": None}],
        rules=[],
        spec=spec_of_trial(trial),
    )


# --- The model registry's stage changes (the version moves in registry.services; compliance decides and records) --


@dataclass(frozen=True)
class StageChangeRequest:
    """What the gateway judges about a model version's stage change, in plain values (compliance never reads or
    writes the registry's rows)."""

    team: Team
    user: User
    model_name: str
    version: int
    registrant_id: int | None
    source_trial_id: int | None
    from_stage: str
    to_stage: str
    reason: str = ""

    def spec(self) -> dict:
        return {
            "registered_model": self.model_name,
            "version": self.version,
            "from_stage": self.from_stage,
            "to_stage": self.to_stage,
            "registrant_id": self.registrant_id,
            "source_trial_id": self.source_trial_id,
            "reason": self.reason,
        }


def promotion_check(*, request: StageChangeRequest) -> GatewayResult:
    """Whether promoting a version to production may happen now (allowed) or waits for a second owner (needs
    approval, when a four-eyes promotion rule covers the model). Records the decision; returns it."""
    book = rulebook_for_team(team=request.team)
    result = GatewayResult(stage=Decision.Stage.REGISTRY, history_ids=book.history_ids)
    for rule in cast(list[PromotionApprovalRule], book.rules[PromotionApprovalRule]):
        patterns = split_list(rule.when_models)
        result.rules.append(rule)
        if not patterns or any(fnmatch.fnmatchcase(request.model_name, p) for p in patterns):
            result.approvals.append(
                Violation(
                    rule=rule.kind,
                    rule_id=rule.pk,
                    message=f"promotion needs an owner other than the registrant — {rule.reason}",
                )
            )
    result.decision = _stage_decision(request=request, outcome=result.outcome, result=result)
    return result


def promotion_approver_check(*, request: StageChangeRequest) -> None:
    """Raises ApprovalDenied unless `request.user` is an owner of the team other than the version's registrant."""
    membership = Membership.objects.filter(user=request.user, team=request.team).first()
    if membership is None or membership.role != Membership.Role.OWNER:
        raise ApprovalDenied(f"only an owner of {request.team.name} can approve or reject a promotion")
    if request.registrant_id == request.user.pk:
        raise ApprovalDenied("you registered this version: another owner of the team must approve its promotion")


def stage_change_record(*, request: StageChangeRequest, outcome: str) -> Decision:
    """The audit record of a stage change the registry made or refused (approved, rejected, allowed)."""
    return _stage_decision(request=request, outcome=outcome, result=None)


def _stage_decision(*, request: StageChangeRequest, outcome: str, result: GatewayResult | None) -> Decision:
    who = request.user.get_username()
    message = f"{request.model_name} v{request.version}: {request.from_stage} -> {request.to_stage} by {who}"
    if outcome == Decision.Outcome.NEEDS_APPROVAL:
        message = f"{request.model_name} v{request.version}: promotion asked by {who}, waiting for a second owner"
    elif outcome == Decision.Outcome.REJECTED:
        message = f"{request.model_name} v{request.version}: promotion rejected by {who}"
    reasons = [{"rule": "registry", "rule_id": None, "message": message, "field": None}]
    if result is not None:
        reasons += [v.as_dict() for v in result.approvals]
    if request.reason:
        reasons.append({"rule": "registry", "rule_id": None, "message": f"why: {request.reason}", "field": None})
    return _decision_create(
        trial_id=request.source_trial_id,
        user=request.user,
        team=request.team,
        stage=Decision.Stage.REGISTRY,
        outcome=outcome,
        reasons=reasons,
        rules=_rule_versions(result.rules, result.history_ids) if result is not None else [],
        spec=request.spec(),
    )
