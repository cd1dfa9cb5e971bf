"""Celery tasks for the coach: thin shells that take an id and call a service."""

from celery import shared_task

from .services import ask_answer, conversation_prune


@shared_task(acks_late=True, ignore_result=True)
def answer_ask(ask_id: int) -> None:
    """Answer a user's message: stream the coach's reply to the conversation's socket and store it."""
    ask_answer(ask_id=ask_id)


@shared_task(ignore_result=True)
def prune_conversations() -> None:
    """Periodic (CELERY_BEAT_SCHEDULE): delete conversations past COACH_RETENTION_DAYS."""
    conversation_prune()
