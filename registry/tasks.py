"""Celery tasks for the registry: thin shells that take an id and call a service."""

from celery import shared_task

from .live import version_signals_refresh
from .services import version_fit


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def fit_version(version_id: int) -> None:
    version_fit(version_id=version_id)


@shared_task(acks_late=True, ignore_result=True)
def refresh_signals(version_id: int) -> None:
    """A production version's dataset got new bars: record their signals and update the paper portfolio."""
    version_signals_refresh(version_id=version_id)
