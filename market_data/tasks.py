"""Celery tasks for market data: thin shells that take an id (or nothing) and call a service."""

from celery import shared_task

from .services import fetch_job_run, watchlist_refresh


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_fetch_job(job_id: int) -> None:
    fetch_job_run(job_id=job_id)


@shared_task(ignore_result=True)
def refresh_watchlists() -> None:
    """Periodic (CELERY_BEAT_SCHEDULE): fetch the missing dates of every team's watched series."""
    watchlist_refresh()
