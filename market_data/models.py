"""Stored series with provenance: OHLCV bars or single-value observations."""

from django.conf import settings
from django.db import models

from . import providers


def _provider_members() -> list[tuple[str, tuple[str, str]]]:
    return [(source.upper(), (source, label)) for source, label in providers.choices()]


class _FromProvider:
    """What the pages show about a row depending on its provider, asked of the provider (never `source == ...`)."""

    source: str

    @property
    def has_bar_sizes(self) -> bool:
        """Whether the bar size and the adjusted/unadjusted choice mean something here (Polygon's do)."""
        provider = providers.get(self.source)
        return provider is not None and provider.bar_sizes


# The providers a team can hold an API key for and fetch from: every registered one (market_data/providers/).
ProviderSource = models.TextChoices("ProviderSource", _provider_members())


class Dataset(_FromProvider, models.Model):
    class Kind(models.TextChoices):
        BARS = "bars"
        SERIES = "series"

    # Where a dataset's rows came from: the bundled history, a provider, or an upload.
    Source = models.TextChoices("Source", [("BUNDLED", "bundled"), *_provider_members(), ("UPLOAD", "upload")])

    # A dataset without a team is shared by everyone (the bundled history).
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE, db_index=False, related_name="datasets"
    )
    key = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    frequency = models.CharField(max_length=10, default="1d")
    # Days after an observation's date until it is known, as the series declares it; empty: its frequency's
    # default lag (trials.features.publication_lag). Kept across re-fetches and re-uploads.
    publication_lag_days = models.PositiveSmallIntegerField(null=True, blank=True)
    adjusted = models.BooleanField(default=True)
    provenance = models.JSONField(default=dict, blank=True)
    sha256 = models.CharField(max_length=64)
    first_date = models.DateTimeField(null=True)
    last_date = models.DateTimeField(null=True)
    rows = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The last fetch from a provider (on demand or by the watch-list): when, and whether it worked.
    last_refresh_at = models.DateTimeField(null=True, blank=True)
    last_refresh_status = models.CharField(max_length=10, blank=True)

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
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, db_index=False, related_name="bars")
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
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, db_index=False, related_name="observations")
    ts = models.DateTimeField()
    value = models.FloatField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "ts"], name="observation_unique_dataset_ts")]

    def __str__(self) -> str:
        return f"{self.dataset_id}@{self.ts:%Y-%m-%d}={self.value}"


class TeamApiKey(models.Model):
    """A team's key for one provider, encrypted at rest (market_data.crypto); only `hint` is ever shown."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="api_keys")
    source = models.CharField(max_length=10, choices=ProviderSource.choices)
    encrypted_key = models.TextField()
    hint = models.CharField(max_length=16, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "source"], name="team_api_key_unique_source")]

    def __str__(self) -> str:
        return f"{self.team} {self.source} key {self.hint}"


class FetchJob(_FromProvider, models.Model):
    """One request to bring a provider's series into the cache, run by a worker (market_data.tasks)."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="fetch_jobs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    source = models.CharField(max_length=10, choices=ProviderSource.choices)
    symbol = models.CharField(max_length=64)  # Polygon ticker or FRED series id
    start = models.DateField()
    end = models.DateField()
    multiplier = models.PositiveIntegerField(default=1)
    timespan = models.CharField(max_length=10, default="day")
    adjusted = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.FloatField(default=0.0)
    error = models.TextField(blank=True)
    dataset = models.ForeignKey(Dataset, null=True, blank=True, on_delete=models.SET_NULL, related_name="fetch_jobs")
    rows_added = models.PositiveIntegerField(default=0)
    watch_item = models.ForeignKey(
        "WatchItem", null=True, blank=True, on_delete=models.SET_NULL, related_name="fetch_jobs"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"fetch {self.source}:{self.symbol} ({self.status})"


class WatchItem(_FromProvider, models.Model):
    """A series a team keeps fresh: the beat schedule fetches whatever dates it is missing."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, db_index=False, related_name="watch_items")
    source = models.CharField(max_length=10, choices=ProviderSource.choices)
    symbol = models.CharField(max_length=64)
    multiplier = models.PositiveIntegerField(default=1)
    timespan = models.CharField(max_length=10, default="day")
    adjusted = models.BooleanField(default=True)
    start = models.DateField()  # how far back the first refresh reaches
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_refresh_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=10, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "source", "symbol", "multiplier", "timespan", "adjusted"],
                name="watch_item_unique_series",
            )
        ]

    def __str__(self) -> str:
        return f"{self.team} watches {self.source}:{self.symbol}"
