"""The model registry: named models of a team, their versions (a refit of one succeeded trial, with the data and
package versions and the signed artifact), each version's stage history, and its live signals after promotion."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class RegisteredModel(models.Model):
    """A name a team gives a line of versions, e.g. "spx-momentum-lgbm"."""

    team = models.ForeignKey(
        "accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="registered_models"
    )
    name = models.SlugField(max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="registeredmodel_unique_team_name")]

    def __str__(self) -> str:
        return self.name


class ModelVersion(models.Model):
    """Version N of a registered model: its source trial refitted on all the trial's data up to its `end`.

    `status` is the fit's (queued → fitting → ready | failed, by conditional updates in registry.services);
    `stage` is the version's place in the line (candidate → production → archived; one production per name)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        FITTING = "fitting"
        READY = "ready"
        FAILED = "failed"

    class Stage(models.TextChoices):
        CANDIDATE = "candidate"
        PRODUCTION = "production"
        ARCHIVED = "archived"

    registered_model = models.ForeignKey(
        RegisteredModel, on_delete=models.CASCADE, db_index=False, related_name="versions"
    )
    number = models.PositiveIntegerField()
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="+")
    trial = models.ForeignKey("trials.Trial", null=True, on_delete=models.SET_NULL, related_name="registered_versions")
    # The trial as it was registered (the spec the refit and predictions use), kept if the trial is deleted.
    spec = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    fit_started_at = models.DateTimeField(null=True, blank=True)
    fit_finished_at = models.DateTimeField(null=True, blank=True)
    fit_rows = models.PositiveIntegerField(default=0)
    feature_columns = models.JSONField(default=list, blank=True)
    data_used = models.JSONField(default=list, blank=True)  # [{"id", "key", "source", "sha256", ...}]
    packages = models.JSONField(default=dict, blank=True)  # {"python": "3.11.9", "scikit-learn": "1.9.1", ...}
    artifact_name = models.CharField(max_length=300, blank=True)  # in registry.artifacts.artifact_storage()
    artifact_sha256 = models.CharField(max_length=64, blank=True)
    artifact_hmac = models.CharField(max_length=64, blank=True)
    artifact_bytes = models.PositiveBigIntegerField(default=0)

    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.CANDIDATE)
    promoted_at = models.DateTimeField(null=True, blank=True)
    # A promotion waiting for a second owner (a four-eyes promotion rule applied): who asked, when and why.
    promotion_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promotion_requested_at = models.DateTimeField(null=True, blank=True)
    promotion_reason = models.TextField(blank=True)
    # The paper portfolio that follows the live signals (registry.live), and whether it drifted from the backtest.
    live_record = models.JSONField(default=dict, blank=True)
    drift_flagged_at = models.DateTimeField(null=True, blank=True)
    drift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["registered_model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["registered_model", "number"], name="modelversion_unique_number"),
            models.UniqueConstraint(
                fields=["registered_model"], condition=Q(stage="production"), name="modelversion_one_production"
            ),
        ]
        indexes = [models.Index(fields=["team", "stage"])]

    def __str__(self) -> str:
        return f"{self.registered_model.name} v{self.number} ({self.stage})"

    @property
    def label(self) -> str:
        return f"{self.registered_model.name} v{self.number}"


class StageChange(models.Model):
    """One move of a version between stages (or a promotion asked for or refused): who, why, and the compliance
    decision that allowed it (its id in the audit trail)."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=10, blank=True)
    to_stage = models.CharField(max_length=10)
    action = models.CharField(max_length=20)  # registered, requested, promoted, approved, rejected, archived
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(blank=True)
    decision_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.version_id}: {self.action} {self.from_stage}->{self.to_stage}"


class LiveSignal(models.Model):
    """The position a production version takes for the bar after `date`, made when that bar's close arrived.

    Written once when the bar first appears and never recomputed, so a later change to any bar cannot rewrite
    what the model said at the time; `next_return` and `net_return` are filled when the next bar arrives."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, db_index=False, related_name="signals")
    date = models.DateTimeField()
    prediction = models.FloatField()
    proba = models.FloatField(null=True)
    position = models.FloatField(null=True)
    close = models.FloatField()
    next_return = models.FloatField(null=True)
    cost = models.FloatField(null=True)
    net_return = models.FloatField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "date"]
        constraints = [models.UniqueConstraint(fields=["version", "date"], name="livesignal_unique_version_date")]

    def __str__(self) -> str:
        return f"{self.version_id}@{self.date:%Y-%m-%d}: {self.position}"
