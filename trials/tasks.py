"""Celery tasks for trials: thin shells that take an id and call a service."""

from celery import shared_task

from .services import trial_execute


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_trial(trial_id: int) -> None:
    trial_execute(trial_id=trial_id)
