"""A trial: one catalog model, its hyperparameters, a data spec and a validation spec, run once."""

from django.conf import settings
from django.db import models

from .vocabulary import FINISHED_STATUSES


class Trial(models.Model):
    class Status(models.TextChoices):
        PENDING_APPROVAL = "pending_approval"
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"
        REJECTED = "rejected"

    FINISHED = tuple(map(Status, FINISHED_STATUSES))

    # No index of its own: the (team, ...) indexes below lead with it.
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="trials", db_index=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    study = models.ForeignKey("Study", null=True, blank=True, on_delete=models.SET_NULL, related_name="trials")
    name = models.CharField(max_length=200, blank=True)
    model_key = models.CharField(max_length=80)
    family = models.CharField(max_length=50, blank=True)
    target = models.CharField(max_length=20)
    params = models.JSONField(default=dict)
    data = models.JSONField(default=dict)
    validation = models.JSONField(default=dict)
    seed = models.PositiveIntegerField(default=0)
    # How predictions are traded: long_flat or long_short, and {"commission_bps", "slippage_bps"} per change.
    positions = models.CharField(max_length=12, default="long_flat")
    costs = models.JSONField(default=dict, blank=True)
    repeats = models.PositiveSmallIntegerField(default=1)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    folds = models.JSONField(default=list, blank=True)
    data_used = models.JSONField(default=list, blank=True)
    # repeats > 1: each metric's mean and std across the seeds (or why the model ran once).
    across_seeds = models.JSONField(null=True, blank=True)
    # Per-bar Sharpe, length, skewness and kurtosis of the net returns: what the question's DSR is computed from.
    return_moments = models.JSONField(null=True, blank=True)
    dsr_computed_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0)  # runs started: a retry after a worker died adds one
    # When the broker last accepted this trial's run_trial message; null while it never has (trials.queue).
    enqueued_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The trial list, the dashboard and the CSV export: a team's trials, newest first (id breaks ties, so
            # the keyset cursor of trials.selectors.trial_page is one index range), optionally of one status or
            # one model. Each list the page offers reads its page straight off one of these, with no sort.
            models.Index(fields=["team", "-created_at", "-id"], name="trial_team_created"),
            models.Index(fields=["team", "status", "-created_at", "-id"], name="trial_team_status_created"),
            models.Index(fields=["team", "model_key", "-created_at", "-id"], name="trial_team_model_created"),
            # The relay: queued trials the broker never accepted, or long ago (trials.queue). Also the reaper's and
            # the stuck-trials gauge's running trials (a few: one per worker slot), whose heartbeat is then read
            # from the rows. No index holds heartbeat_at, progress or folds, so that a fold's progress and the
            # heartbeat can be written in place (PostgreSQL's heap-only updates) instead of in every index.
            models.Index(fields=["status", "enqueued_at"]),
        ]

    def __str__(self) -> str:
        return f"trial {self.pk} {self.model_key} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class TrialMetric(models.Model):
    """One figure of a trial's `metrics` as a typed row, so that lists sort and filter by it in the database.

    Kept equal to Trial.metrics by trials.metric_index (written in the same transaction as the metrics). `team`
    and `model_key` copy the trial's, which never change: a team's trials sorted by a metric, optionally of one
    model, are then one range of one index, in order."""

    # No index of their own: the unique (trial, name) and the (team, name, …) indexes lead with them.
    trial = models.ForeignKey(Trial, on_delete=models.CASCADE, related_name="metric_values", db_index=False)
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+", db_index=False)
    model_key = models.CharField(max_length=80)
    name = models.CharField(max_length=40)
    value = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["trial", "name"], name="trialmetric_unique_trial_name")]
        indexes = [
            models.Index(fields=["team", "name", "value", "trial"], name="trialmetric_team_sort"),
            models.Index(fields=["team", "name", "model_key", "value", "trial"], name="trialmetric_team_model_sort"),
        ]

    def __str__(self) -> str:
        return f"{self.trial_id}.{self.name}={self.value}"


class TrialPredictions(models.Model):
    """A trial's out-of-sample predictions, all of them, as one compressed columnar blob (trials.prediction_codec).

    One row per trial instead of one per prediction (about 4,000 a trial): a million trials are a million rows of
    ~110 KB, stored out of line by PostgreSQL (TOAST), never read by the lists. Written in the transaction that
    stores the trial's result; read only through trials.selectors (prediction_rows, prediction_frame,
    prediction_columns) for a trial whose team the caller has checked."""

    trial = models.OneToOneField(Trial, primary_key=True, on_delete=models.CASCADE, related_name="prediction_set")
    rows = models.PositiveIntegerField()
    blob = models.BinaryField()

    class Meta:
        verbose_name_plural = "trial predictions"

    def __str__(self) -> str:
        return f"{self.trial_id}: {self.rows} predictions"


class Study(models.Model):
    """A hyperparameter search: Optuna asks for parameters, each evaluation is an ordinary trial."""

    class Status(models.TextChoices):
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"
        CANCELLED = "cancelled"

    class Direction(models.TextChoices):
        MAXIMIZE = "maximize"
        MINIMIZE = "minimize"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="studies")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(max_length=200, blank=True)
    model_keys = models.JSONField(default=list)
    fixed_params = models.JSONField(default=dict, blank=True)
    data = models.JSONField(default=dict)
    validation = models.JSONField(default=dict)
    metric = models.CharField(max_length=40)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    budget = models.PositiveIntegerField()
    parallelism = models.PositiveIntegerField(default=2)
    seed = models.PositiveIntegerField(default=0)
    positions = models.CharField(max_length=12, default="long_flat")
    costs = models.JSONField(default=dict, blank=True)
    repeats = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RUNNING)
    best_trial = models.ForeignKey(Trial, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    best_value = models.FloatField(null=True, blank=True)
    # Probability of backtest overfitting (CSCV) over the finished evaluations' per-bar net returns.
    pbo = models.FloatField(null=True, blank=True)
    pbo_evaluations = models.PositiveIntegerField(default=0)
    pbo_computed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return f"study {self.pk} {self.metric} ({self.status})"


class TeamShare(models.Model):
    """How a team shares the workers (trials.queue): its cap on trials running at once, set in the admin, and
    when it last started one (the fair order's tie-break: the team that waited longest goes first)."""

    team = models.OneToOneField("accounts.Team", primary_key=True, on_delete=models.CASCADE, related_name="+")
    max_running_trials = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Most trials of this team running at once; empty: TRIAL_TEAM_MAX_RUNNING (0 there: no cap).",
    )
    last_started_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"share of team {self.team_id}"
