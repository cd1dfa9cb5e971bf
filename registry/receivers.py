"""Listeners on other apps' signals: new bars of a dataset → refresh the signals of the production versions that
trade it (in the worker)."""

from django.db.models import Q

from .models import ModelVersion
from .services import task_send


def signals_after_new_bars(*, dataset_id: int, team_id: int | None, key: str, **_signal) -> None:
    """market_data.signals.dataset_rows_changed listener: one refresh task per production version on `key` in the
    dataset's team (or in any team, for shared data)."""
    versions = ModelVersion.objects.filter(
        stage=ModelVersion.Stage.PRODUCTION, status=ModelVersion.Status.READY, spec__data__symbol=key
    )
    if team_id is not None:
        versions = versions.filter(Q(team_id=team_id))
    for version_id in versions.values_list("pk", flat=True):
        task_send("registry.tasks.refresh_signals", version_id)
