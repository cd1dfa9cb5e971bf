"""Celery tasks for trials: thin shells that take an id and call a service."""

from celery import shared_task

from observability.logging import trial_log_context

from .overfitting import question_refresh, study_pbo_refresh
from .queue import trial_resend_unsent
from .services import trial_execute, trial_reap_stuck
from .studies import study_step, study_tick


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_trial(trial_id: int) -> None:
    with trial_log_context(trial_id):
        trial_execute(trial_id=trial_id)


@shared_task(ignore_result=True)
def reap_stuck_trials() -> None:
    """Periodic (CELERY_BEAT_SCHEDULE): retry or fail running trials whose worker died, and send again queued
    trials the broker never got."""
    trial_reap_stuck()
    trial_resend_unsent()


@shared_task(acks_late=True, ignore_result=True)
def run_study_step(study_id: int) -> None:
    study_step(study_id=study_id)


@shared_task(ignore_result=True)
def tick_studies() -> None:
    """Periodic (CELERY_BEAT_SCHEDULE): step running studies, so none stalls on a lost message."""
    study_tick()


@shared_task(ignore_result=True)
def refresh_question(question: dict) -> None:
    """Recompute the deflated Sharpe ratio of every trial of a research question (one more trial joined it)."""
    question_refresh(question=question)


@shared_task(ignore_result=True)
def refresh_study_pbo(study_id: int) -> None:
    """Recompute a study's probability of backtest overfitting (one more evaluation finished)."""
    study_pbo_refresh(study_id=study_id)
