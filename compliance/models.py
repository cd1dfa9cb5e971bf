"""Compliance rules admins edit (with their full change history), the immutable audit trail of decisions,
and blocks on users who keep submitting trials that break the rules."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from simple_history.models import HistoricalRecords

from market_data import providers


def data_sources() -> tuple[str, ...]:
    """Where a dataset can come from: the bundled history, any registered provider (market_data/providers/), an
    upload. A new provider is a new source here with no change to compliance."""
    return ("bundled", *(provider.source for provider in providers.registered()), "upload")


def live_sources() -> tuple[str, ...]:
    """The sources whose data keeps moving (the providers'), for the freshness and approval rules."""
    return providers.live_sources()


def split_list(text: str) -> list[str]:
    """Admins type lists one per line or comma separated; blanks are ignored."""
    return [item.strip() for line in (text or "").splitlines() for item in line.split(",") if item.strip()]


class Rule(models.Model):
    """What every rule has: a scope (one team, or every team when blank), an on/off switch, a reason people can
    read, and a history of every change (who, when, each field before and after)."""

    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Leave blank for a rule that applies to every team.",
    )
    enabled = models.BooleanField(default=True)
    reason = models.TextField(help_text="Why the rule exists; shown to users whose trial it refuses.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(inherit=True)

    kind: str = ""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        scope = self.team.slug if self.team_id else "all teams"
        return f"{self._meta.verbose_name} #{self.pk} ({scope}{'' if self.enabled else ', disabled'})"


class DataSourceRule(Rule):
    """Only data from the approved sources may be used (the trial's symbol and its macro series)."""

    kind = "data_sources"
    sources = models.TextField(
        default="bundled",
        blank=True,
        help_text="The approved sources, one per line or comma separated: bundled, upload, or a provider (polygon, "
        "fred, …)",
    )

    class Meta:
        verbose_name = "approved data sources rule"

    @property
    def approved(self) -> list[str]:
        return [source.lower() for source in split_list(self.sources)]

    def clean(self) -> None:
        super().clean()
        unknown = [source for source in self.approved if source not in data_sources()]
        if unknown:
            raise ValidationError(
                {"sources": f"unknown source {', '.join(unknown)}: the sources are {', '.join(data_sources())}"}
            )


class InstrumentRule(Rule):
    """A symbol allow-list or deny-list; patterns are shell-style and case-insensitive (`SP*`, `?IXIC`)."""

    kind = "instruments"

    class Mode(models.TextChoices):
        ALLOW = "allow", "allow only these"
        DENY = "deny", "deny these"

    mode = models.CharField(max_length=5, choices=Mode.choices, default=Mode.ALLOW)
    patterns = models.TextField(help_text="One pattern per line or comma separated, e.g. SPX, IXIC, SP*")
    include_macro = models.BooleanField(default=False, help_text="Also check the macro series a trial joins.")

    class Meta:
        verbose_name = "instruments rule"

    def clean(self):
        if not split_list(self.patterns):
            raise ValidationError({"patterns": "name at least one symbol or pattern"})


class ModelRule(Rule):
    """Allow only, or ban, some model families and catalog entries."""

    kind = "models"

    class Mode(models.TextChoices):
        ALLOW = "allow", "allow only these"
        BAN = "ban", "ban these"

    mode = models.CharField(max_length=5, choices=Mode.choices, default=Mode.BAN)
    families = models.TextField(blank=True, help_text="Model families, e.g. boosting, forest")
    catalog_keys = models.TextField(blank=True, help_text="Catalog keys, e.g. gradient_boosting_classifier")

    class Meta:
        verbose_name = "model families and catalog entries rule"

    def clean(self):
        if not split_list(self.families) and not split_list(self.catalog_keys):
            raise ValidationError("name at least one family or catalog key")


class ParamBoundRule(Rule):
    """Hyperparameter bounds stricter than the catalog's, e.g. at most 500 trees."""

    kind = "param_bounds"
    param = models.CharField(max_length=80, help_text="Parameter name, e.g. n_estimators")
    model_key = models.CharField(max_length=80, blank=True, help_text="Only this catalog key; blank for any model")
    family = models.CharField(max_length=50, blank=True, help_text="Only this family; blank for any family")
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = "hyperparameter bounds rule"

    def clean(self):
        if self.min_value is None and self.max_value is None:
            raise ValidationError("set a minimum, a maximum or both")
        if self.min_value is not None and self.max_value is not None and self.min_value > self.max_value:
            raise ValidationError({"max_value": "must not be below the minimum"})


class ValidationRule(Rule):
    """How a backtest must be validated."""

    kind = "validation"
    walk_forward_only = models.BooleanField(default=True)
    min_folds = models.PositiveIntegerField(null=True, blank=True)
    min_gap = models.PositiveIntegerField(null=True, blank=True, help_text="Minimum embargo in bars")
    min_out_of_sample_bars = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minimum bars tested out of sample, over all folds"
    )

    class Meta:
        verbose_name = "validation requirements rule"


class DataFreshnessRule(Rule):
    """Live data (a provider's: Polygon, FRED, …) must be recent: its last bar no older than N days."""

    kind = "data_freshness"
    max_age_days = models.PositiveIntegerField()

    class Meta:
        verbose_name = "live data freshness rule"


class DataIntegrityRule(Rule):
    """When a worker starts a trial, the SHA-256 of the stored values must equal the dataset's provenance hash."""

    kind = "data_integrity"

    class Meta:
        verbose_name = "data integrity rule"


class QuotaRule(Rule):
    """At most N queued or running trials per user and per team."""

    kind = "quota"
    max_active_per_user = models.PositiveIntegerField(null=True, blank=True)
    max_active_per_team = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "quota rule"

    def clean(self):
        if self.max_active_per_user is None and self.max_active_per_team is None:
            raise ValidationError("set a per-user limit, a per-team limit or both")


class ApprovalRule(Rule):
    """Four-eyes: a trial matching any set condition waits for an owner of its team, not its submitter.
    A rule with no condition set matches every trial."""

    kind = "approval"
    when_live_source = models.BooleanField(default=False, help_text="The trial uses live data from a provider")
    when_folds_at_least = models.PositiveIntegerField(null=True, blank=True, help_text="A large study")
    when_models = models.TextField(blank=True, help_text="Catalog keys or families, e.g. boosting")
    when_symbols = models.TextField(blank=True, help_text="Symbol patterns, e.g. SP*")

    class Meta:
        verbose_name = "four-eyes approval rule"


class PromotionApprovalRule(Rule):
    """Four-eyes for the model registry: promoting a version to production waits for an owner of its team other
    than the person who registered it. A rule with no model pattern covers every registered model."""

    kind = "promotion_approval"
    when_models = models.TextField(blank=True, help_text="Registered model name patterns, e.g. spx-*; blank: all")

    class Meta:
        verbose_name = "four-eyes promotion rule"


class ForbiddenTermsRule(Rule):
    """Words that may not appear in the free text of a trial (name, notes, goals), whoever writes it."""

    kind = "forbidden_terms"
    terms = models.TextField(help_text="One term per line or comma separated, e.g. guaranteed, risk-free")

    class Meta:
        verbose_name = "forbidden terms rule"

    def clean(self):
        if not split_list(self.terms):
            raise ValidationError({"terms": "name at least one term"})


class RepeatedViolationRule(Rule):
    """After `rejections` refused submissions within `window_minutes`, a user may not submit until cleared.
    Without any such rule the COMPLIANCE_BLOCK_* settings apply."""

    kind = "repeated_violations"
    rejections = models.PositiveIntegerField(default=5)
    window_minutes = models.PositiveIntegerField(default=60)

    class Meta:
        verbose_name = "repeated violations rule"


RULE_MODELS: list[type[Rule]] = [
    DataSourceRule,
    InstrumentRule,
    ModelRule,
    ParamBoundRule,
    ValidationRule,
    DataFreshnessRule,
    DataIntegrityRule,
    QuotaRule,
    ApprovalRule,
    PromotionApprovalRule,
    ForbiddenTermsRule,
    RepeatedViolationRule,
]


# --- The audit trail ------------------------------------------------------------------------------------------


class AuditRecordImmutable(Exception):
    """Raised on any attempt to change or delete a decision."""


class DecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditRecordImmutable("compliance decisions cannot be changed")

    def delete(self):
        raise AuditRecordImmutable("compliance decisions cannot be deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditRecordImmutable("compliance decisions cannot be changed")


class Decision(models.Model):
    """One gateway decision, written once and never changed: what was decided, under which rule versions, why.

    The foreign keys carry no database constraint and do nothing on delete, so a record outlives the trial,
    user or team it names (its ids and the snapshot fields still say who and what)."""

    class Stage(models.TextChoices):
        SUBMIT = "submit"
        EXECUTE = "execute"
        APPROVAL = "approval"
        REGISTRY = "registry"  # a model version's stage change (registry.services), asked for or made

    class Outcome(models.TextChoices):
        ALLOWED = "allowed"
        REJECTED = "rejected"
        NEEDS_APPROVAL = "needs_approval"
        APPROVED = "approved"

    trial = models.ForeignKey(
        "trials.Trial", null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    # No index of their own: the (user, ...) and (team, ...) indexes in Meta lead with them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    team_slug = models.CharField(max_length=100, blank=True)
    stage = models.CharField(max_length=10, choices=Stage.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    reasons = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    rules = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    spec = models.JSONField(default=dict, encoder=DjangoJSONEncoder)
    # A submission a machine made on the user's behalf (a study's optimiser): not counted towards a block.
    automated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["team", "-created_at"]),
            models.Index(fields=["user", "stage", "outcome", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"decision {self.pk}: {self.stage} {self.outcome} (trial {self.trial_id or '-'})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditRecordImmutable("compliance decisions cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditRecordImmutable("compliance decisions cannot be deleted")


class SubmissionBlock(models.Model):
    """A user who tripped the repeated-violation rule; their submissions are refused until an admin clears it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey("accounts.Team", null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField()
    decisions = models.JSONField(default=list, help_text="The rejected decisions that tripped the block")
    created_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(cleared_at__isnull=True), name="submissionblock_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} blocked at {self.created_at:%Y-%m-%d %H:%M}{' (cleared)' if self.cleared_at else ''}"

    @property
    def active(self) -> bool:
        return self.cleared_at is None
