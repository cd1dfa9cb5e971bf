"""Celery tasks for notifications: thin shells that take an id and call a service."""

from celery import shared_task

from .services import delivery_send


@shared_task(acks_late=True, ignore_result=True)
def deliver(delivery_id: int) -> None:
    delivery_send(delivery_id=delivery_id)
