from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    """Logging, metrics and health checks for every app. It imports no other app: each reports to it (trials
    connects its finished-trial counter and registers its gauges in trials.apps)."""

    name = "observability"
