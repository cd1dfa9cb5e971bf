"""Notifications: per-user in-app notifications (the bell), and a team's webhooks with their delivery log."""

from django.conf import settings
from django.db import models


class Event(models.TextChoices):
    """What can be announced; each user picks which of these they get (accounts' preferences)."""

    TRIAL_SUCCEEDED = "trial_succeeded", "trial succeeded"
    TRIAL_FAILED = "trial_failed", "trial failed"
    STUDY_FINISHED = "study_finished", "study finished"
    APPROVAL_REQUESTED = "approval_requested", "approval requested"
    APPROVAL_DECIDED = "approval_decided", "approval decided"
    VERSION_REGISTERED = "version_registered", "model version registered"
    VERSION_PROMOTED = "version_promoted", "model version promoted"
    SIGNAL_CHANGED = "signal_changed", "live signal changed"
    LIVE_DRIFT = "live_drift", "live drift"


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False, related_name="notifications"
    )
    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=30, choices=Event.choices)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # The same happening announced twice (a listener that runs again) makes one notification.
    key = models.CharField(max_length=200)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="notification_unique_user_key")]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class Webhook(models.Model):
    """Where a team's events go: Slack or Discord incoming webhooks, or plain JSON. The URL holds a secret: stored
    encrypted (MLTRAINER_ENCRYPTION_KEY, like the teams' API keys) and shown masked."""

    class Format(models.TextChoices):
        SLACK = "slack"
        DISCORD = "discord"
        JSON = "json"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="webhooks")
    format = models.CharField(max_length=10, choices=Format.choices)
    url_encrypted = models.TextField()
    url_masked = models.CharField(max_length=200)
    events = models.JSONField(default=list, blank=True)  # empty: every event
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.format} webhook {self.url_masked}"


class Delivery(models.Model):
    """One event sent (or refused, or failed) to one webhook: the log owners read."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"
        REFUSED = "refused"  # the URL's host is not a public address: nothing was sent

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, db_index=False, related_name="deliveries")
    event = models.CharField(max_length=30, choices=Event.choices)
    key = models.CharField(max_length=200)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["webhook", "key"], name="delivery_unique_webhook_key")]

    def __str__(self) -> str:
        return f"{self.webhook_id} {self.event}: {self.status}"
