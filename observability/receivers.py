"""Listeners that turn domain events into metrics: a trial reaching a final status counts in
mltrainer_trials_total and, if a worker had started it, in mltrainer_trial_duration_seconds."""

from trials.models import Trial

from . import metrics


def count_finished_trial(*, trial: Trial, new_status: str, **_signal) -> None:
    """trials.lifecycle.trial_status_changed listener."""
    if new_status in Trial.FINISHED:
        metrics.trial_finished(trial)
