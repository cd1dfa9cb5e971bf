"""Listeners on other apps' signals: new bars of a dataset → refresh the signals of the production versions that
trade it (in the worker)."""

from .selectors import production_versions_on
from .services import task_send


def signals_after_new_bars(*, dataset_id: int, team_id: int | None, key: str, **_signal) -> None:
    """market_data.signals.dataset_rows_changed listener: one refresh task per production version on `key` in the
    dataset's team (or in any team, for shared data)."""
    for version_id in production_versions_on(key=key, team_id=team_id).values_list("pk", flat=True):
        task_send("registry.tasks.refresh_signals", version_id)
