"""What each kind of rule says about one trial spec. Each check returns the violations it finds (for approval
rules: the conditions that matched); the gateway in services.py decides what to do with them."""

import dataclasses
import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from accounts.models import Team, User
from market_data.models import Bar, Dataset
from market_data.selectors import dataset_frame, dataset_get

from .models import (
    ApprovalRule,
    DataFreshnessRule,
    DataIntegrityRule,
    DataSourceRule,
    ForbiddenTermsRule,
    InstrumentRule,
    ModelRule,
    ParamBoundRule,
    QuotaRule,
    Rule,
    ValidationRule,
    live_sources,
    split_list,
)
from .ports import JudgedTrial, trial_facts

# Free text a user or the AI coach writes into a trial; checked for forbidden terms when present in the spec.
TEXT_FIELDS = ("name", "notes", "goal", "goals", "description")


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    rule_id: int | None = None
    field: str | None = None

    def as_dict(self) -> dict:
        return {"rule": self.rule, "rule_id": self.rule_id, "message": self.message, "field": self.field}


@dataclass
class Context:
    """The trial being judged and what the checks need to know about it, loaded once."""

    spec: dict
    user: User | None
    team: Team
    stage: str
    trial: JudgedTrial | None = None
    _datasets: list[tuple[str, Dataset]] | None = dataclasses.field(default=None, repr=False)
    _hashes: dict[int, str] = dataclasses.field(default_factory=dict, repr=False)

    @property
    def data(self) -> dict:
        return self.spec.get("data") or {}

    def datasets(self) -> list[tuple[str, Dataset]]:
        """(form field, dataset) for the symbol and each macro series the trial uses."""
        if self._datasets is None:
            found = []
            symbol = self.data.get("symbol")
            if symbol and (dataset := dataset_get(team=self.team, key=symbol)) is not None:
                found.append(("symbol", dataset))
            for key in self.data.get("macro") or []:
                if (dataset := dataset_get(team=self.team, key=key)) is not None:
                    found.append(("macro", dataset))
            self._datasets = found
        return self._datasets

    def recomputed_hash(self, dataset: Dataset) -> str:
        if dataset.pk not in self._hashes:
            from market_data.hashing import frame_sha256  # pandas: only when a rule asks for the data's hash

            self._hashes[dataset.pk] = frame_sha256(dataset_frame(dataset=dataset))
        return self._hashes[dataset.pk]


def _violation(rule: Rule, detail: str, field: str | None = None) -> Violation:
    return Violation(rule=rule.kind, rule_id=rule.pk, field=field, message=f"{detail} — {rule.reason}")


def _matches(value: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(value.upper(), pattern.upper()) for pattern in patterns)


def check_data_sources(rule: DataSourceRule, ctx: Context) -> list[Violation]:
    approved = rule.approved
    return [
        _violation(
            rule,
            f"{dataset.key} comes from {dataset.source}, which is not an approved source "
            f"(approved: {', '.join(approved) or 'none'})",
            field,
        )
        for field, dataset in ctx.datasets()
        if dataset.source not in approved
    ]


def check_instruments(rule: InstrumentRule, ctx: Context) -> list[Violation]:
    patterns = split_list(rule.patterns)
    keys = [("symbol", ctx.data.get("symbol") or "")]
    if rule.include_macro:
        keys += [("macro", key) for key in ctx.data.get("macro") or []]
    found = []
    for field, key in keys:
        listed = _matches(key, patterns)
        if rule.mode == InstrumentRule.Mode.ALLOW and not listed:
            found.append(_violation(rule, f"{key} is not on the instrument allow-list ({', '.join(patterns)})", field))
        elif rule.mode == InstrumentRule.Mode.DENY and listed:
            found.append(_violation(rule, f"{key} is on the instrument deny-list", field))
    return found


def check_models(rule: ModelRule, ctx: Context) -> list[Violation]:
    families, keys = split_list(rule.families), split_list(rule.catalog_keys)
    model, family = ctx.spec.get("model") or "", ctx.spec.get("family") or ""
    listed = family in families or model in keys
    if rule.mode == ModelRule.Mode.ALLOW and not listed:
        allowed = ", ".join([*(f"family {f}" for f in families), *keys])
        return [_violation(rule, f"{model} ({family}) is not an allowed model (allowed: {allowed})", "model")]
    if rule.mode == ModelRule.Mode.BAN and listed:
        what = f"family {family}" if family in families else model
        return [_violation(rule, f"{what} is banned", "model")]
    return []


def check_param_bounds(rule: ParamBoundRule, ctx: Context) -> list[Violation]:
    if rule.model_key and rule.model_key != ctx.spec.get("model"):
        return []
    if rule.family and rule.family != ctx.spec.get("family"):
        return []
    value = (ctx.spec.get("params") or {}).get(rule.param)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    if rule.max_value is not None and value > rule.max_value:
        return [_violation(rule, f"{rule.param} is {value}, at most {rule.max_value:g} is allowed", "params")]
    if rule.min_value is not None and value < rule.min_value:
        return [_violation(rule, f"{rule.param} is {value}, at least {rule.min_value:g} is required", "params")]
    return []


def _bars_in_range(ctx: Context) -> int:
    symbol = next((dataset for field, dataset in ctx.datasets() if field == "symbol"), None)
    if symbol is None:
        return 0
    bars = Bar.objects.filter(dataset=symbol)
    if ctx.data.get("start"):
        bars = bars.filter(ts__date__gte=ctx.data["start"])
    if ctx.data.get("end"):
        bars = bars.filter(ts__date__lte=ctx.data["end"])
    return bars.count()


def check_validation(rule: ValidationRule, ctx: Context) -> list[Violation]:
    validation = ctx.spec.get("validation") or {}
    folds, gap = validation.get("folds") or 0, validation.get("gap") or 0
    found = []
    if rule.walk_forward_only and validation.get("scheme", "walk_forward") != "walk_forward":
        found.append(_violation(rule, f"validation must be walk_forward, not {validation.get('scheme')}", "folds"))
    if rule.min_folds is not None and folds < rule.min_folds:
        found.append(_violation(rule, f"{folds} folds, at least {rule.min_folds} are required", "folds"))
    embargo = trial_facts().embargo(gap=gap, horizon=ctx.data.get("horizon") or 1)
    if rule.min_gap is not None and embargo < rule.min_gap:
        found.append(_violation(rule, f"a gap of {embargo} bars, at least {rule.min_gap} are required", "gap"))
    if rule.min_out_of_sample_bars is not None and folds:
        # The walk-forward split tests `folds` blocks of n // (folds + 1) bars each (trials/walkforward.py).
        out_of_sample = folds * (_bars_in_range(ctx) // (folds + 1))
        if out_of_sample < rule.min_out_of_sample_bars:
            found.append(
                _violation(
                    rule,
                    f"about {out_of_sample} bars would be tested out of sample, "
                    f"at least {rule.min_out_of_sample_bars} are required: widen the date range",
                    "start",
                )
            )
    return found


def check_data_freshness(rule: DataFreshnessRule, ctx: Context) -> list[Violation]:
    oldest = timezone.now() - timedelta(days=rule.max_age_days)
    found = []
    for field, dataset in ctx.datasets():
        if dataset.source not in live_sources():
            continue
        if dataset.last_date is None or dataset.last_date < oldest:
            last = f"is from {dataset.last_date:%Y-%m-%d}" if dataset.last_date else "does not exist"
            found.append(
                _violation(
                    rule,
                    f"the last {dataset.key} ({dataset.source}) observation {last}, "
                    f"live data must be at most {rule.max_age_days} days old: refresh it",
                    field,
                )
            )
    return found


def check_data_integrity(rule: DataIntegrityRule, ctx: Context) -> list[Violation]:
    return [
        _violation(
            rule,
            f"the stored values of {dataset.key} no longer match its provenance hash "
            f"(stored {dataset.sha256[:12]}…, now {ctx.recomputed_hash(dataset)[:12]}…)",
            field,
        )
        for field, dataset in ctx.datasets()
        if ctx.recomputed_hash(dataset) != dataset.sha256
    ]


def _active_count(*, team: Team | None, user: User | None, ctx: Context) -> tuple[int, str]:
    """Active trials (pending approval, queued or running: a pending trial will run once approved, so it holds
    its place; approval checks again), other than the one judged, and a note on how many wait for approval."""
    exclude = ctx.trial.pk if ctx.trial is not None else None
    active, pending = trial_facts().active_counts(team=team, user=user, exclude_pk=exclude)
    waiting = f" ({pending} of them waiting for approval)" if pending else ""
    return active, waiting


def check_quota(rule: QuotaRule, ctx: Context) -> list[Violation]:
    """Counts pending, queued and running trials (other than the one judged, when it exists: an approval); the
    caller holds row locks on the user and the team (services.py)."""
    found = []
    if rule.max_active_per_user is not None and ctx.user is not None:
        active, waiting = _active_count(team=rule.team if rule.team_id else None, user=ctx.user, ctx=ctx)
        if active >= rule.max_active_per_user:
            found.append(
                _violation(
                    rule,
                    f"you have {active} trials queued or running{waiting}, the limit is {rule.max_active_per_user}",
                )
            )
    if rule.max_active_per_team is not None:
        active, waiting = _active_count(team=ctx.team, user=None, ctx=ctx)
        if active >= rule.max_active_per_team:
            found.append(
                _violation(
                    rule,
                    f"{ctx.team.name} has {active} trials queued or running{waiting}, "
                    f"the limit is {rule.max_active_per_team}",
                )
            )
    return found


def check_forbidden_terms(rule: ForbiddenTermsRule, ctx: Context) -> list[Violation]:
    found = []
    for term in split_list(rule.terms):
        pattern = re.compile(rf"(?<!\w){re.escape(term)}(?!\w)", re.IGNORECASE)
        for name in TEXT_FIELDS:
            text = ctx.spec.get(name)
            if isinstance(text, str) and pattern.search(text):
                found.append(_violation(rule, f"the {name} contains the forbidden term {term!r}", name))
    return found


def check_approval(rule: ApprovalRule, ctx: Context) -> list[Violation]:
    """The conditions of an approval rule that this trial meets (every trial, if the rule sets none)."""
    met = []
    if rule.when_live_source:
        live = sorted({d.key for _, d in ctx.datasets() if d.source in live_sources()})
        if live:
            met.append(f"it uses live data ({', '.join(live)})")
    folds = (ctx.spec.get("validation") or {}).get("folds") or 0
    if rule.when_folds_at_least is not None and folds >= rule.when_folds_at_least:
        met.append(f"it is a large study ({folds} folds, approval from {rule.when_folds_at_least})")
    models = split_list(rule.when_models)
    if models and (ctx.spec.get("model") in models or ctx.spec.get("family") in models):
        met.append(f"it uses {ctx.spec.get('model')}")
    symbols = split_list(rule.when_symbols)
    if symbols and _matches(ctx.data.get("symbol") or "", symbols):
        met.append(f"it trades {ctx.data.get('symbol')}")
    conditions = rule.when_live_source or rule.when_folds_at_least is not None or models or symbols
    if not conditions:
        met.append("every trial needs approval")
    if not met:
        return []
    return [_violation(rule, f"needs approval by a team owner other than the submitter: {'; '.join(met)}")]


# Which checks run at which stage. Quotas and approval are about admitting a submission; the data hash is
# verified when a worker is about to train on the data.
CHECKS: dict[type[Rule], tuple[Callable[[Any, Context], list[Violation]], tuple[str, ...]]] = {
    DataSourceRule: (check_data_sources, ("submit", "execute")),
    InstrumentRule: (check_instruments, ("submit", "execute")),
    ModelRule: (check_models, ("submit", "execute")),
    ParamBoundRule: (check_param_bounds, ("submit", "execute")),
    ValidationRule: (check_validation, ("submit", "execute")),
    DataFreshnessRule: (check_data_freshness, ("submit", "execute")),
    DataIntegrityRule: (check_data_integrity, ("execute",)),
    QuotaRule: (check_quota, ("submit",)),
    ForbiddenTermsRule: (check_forbidden_terms, ("submit", "execute")),
}
