"""Live trial events: the JSON a WebSocket client receives, sent to the group `trial.<id>` after commit.

A status change goes out from the `trial_status_changed` listener (`publish_status`); progress after each fold from
`publish_progress`."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from .models import Trial
from .walkforward import split_count


def group_name(trial_id: int) -> str:
    return f"trial.{trial_id}"


def _fold_row(fold: dict) -> dict:
    """What the live fold table shows of a fold: its number (from 1), dates, sizes and metrics."""
    keys = ("train_start", "train_end", "test_start", "test_end", "n_train", "n_test", "metrics")
    return {"fold": fold.get("fold", 0) + 1, **{key: fold.get(key) for key in keys}}


def trial_event(trial: Trial, *, kind: str = "trial.status") -> dict:
    event = {
        "type": kind,
        "trial": trial.pk,
        "status": trial.status,
        "progress": trial.progress,
        "fold": len(trial.folds),
        "folds": split_count(trial.validation),
    }
    if trial.folds:
        event["fold_metrics"] = trial.folds[-1].get("metrics")
        event["last_fold"] = _fold_row(trial.folds[-1])
    if kind == "trial.state":
        # The first event on a (re)connected socket: every fold so far, so a page that lost its socket catches up.
        event["folds_done"] = [_fold_row(fold) for fold in trial.folds]
    if trial.status == Trial.Status.SUCCEEDED:
        event["metrics"] = trial.metrics
    if trial.error:
        event["error"] = trial.error
    return event


def _send(trial_id: int, payload: dict) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(group_name(trial_id), {"type": "trial.event", "payload": payload})


def publish_progress(trial: Trial) -> None:
    """A progress event (a fold done): the trial as it is now, sent once the transaction commits."""
    payload = trial_event(trial, kind="trial.progress")
    transaction.on_commit(lambda: _send(trial.pk, payload))


def publish_status(*, trial: Trial, **_signal) -> None:
    """trials.lifecycle.trial_status_changed listener: the trial's new status goes to its WebSocket group."""
    _send(trial.pk, trial_event(trial))
