"""Live trial events: the JSON a WebSocket client receives, sent to the group `trial.<id>` after commit."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import Trial


def group_name(trial_id: int) -> str:
    return f"trial.{trial_id}"


def trial_event(trial: Trial, *, kind: str = "trial.status") -> dict:
    event = {
        "type": kind,
        "trial": trial.pk,
        "status": trial.status,
        "progress": trial.progress,
        "fold": len(trial.folds),
        "folds": trial.validation.get("folds"),
    }
    if trial.folds:
        event["fold_metrics"] = trial.folds[-1].get("metrics")
    if trial.status == Trial.Status.SUCCEEDED:
        event["metrics"] = trial.metrics
    if trial.error:
        event["error"] = trial.error
    return event


def publish_after_commit(trial: Trial, *, kind: str = "trial.status") -> None:
    payload = trial_event(trial, kind=kind)

    def send():
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group_name(trial.pk), {"type": "trial.event", "payload": payload})

    transaction.on_commit(send)
