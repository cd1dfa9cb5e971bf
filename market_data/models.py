"""Stored series with provenance: OHLCV bars or single-value observations."""

from django.conf import settings
from django.db import models


class Dataset(models.Model):
    class Kind(models.TextChoices):
        BARS = "bars"
        SERIES = "series"

    class Source(models.TextChoices):
        BUNDLED = "bundled"
        POLYGON = "polygon"
        FRED = "fred"
        UPLOAD = "upload"

    # A dataset without a team is shared by everyone (the bundled history).
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="datasets")
    key = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    frequency = models.CharField(max_length=10, default="1d")
    adjusted = models.BooleanField(default=True)
    provenance = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64)
    first_date = models.DateTimeField(null=True)
    last_date = models.DateTimeField(null=True)
    rows = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key", "source", "frequency", "adjusted"],
                condition=models.Q(team__isnull=True),
                name="dataset_unique_shared_key",
            ),
            models.UniqueConstraint(
                fields=["team", "key", "source", "frequency", "adjusted"], name="dataset_unique_team_key"
            ),
        ]
        indexes = [models.Index(fields=["key"])]

    def __str__(self) -> str:
        return f"{self.key} ({self.source})"


class Bar(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="bars")
    ts = models.DateTimeField()
    open = models.FloatField()
    high = models.FloatField()
    low = models.FloatField()
    close = models.FloatField()
    volume = models.FloatField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "ts"], name="bar_unique_dataset_ts")]

    def __str__(self) -> str:
        return f"{self.dataset_id}@{self.ts:%Y-%m-%d %H:%M}"


class Observation(models.Model):
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="observations")
    ts = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "ts"], name="observation_unique_dataset_ts")]

    def __str__(self) -> str:
        return f"{self.dataset_id}@{self.ts:%Y-%m-%d}={self.value}"
