"""Sending a Celery task by name, with Celery imported at the first send rather than when a process starts.

Celery and kombu take a web process about 0.3 s to import (a third of its start) and it sends a task only when
something is submitted. `celery -A mltrainer_site` still finds the app (mltrainer_site.celery) by itself.
"""


class BrokerDown(Exception):
    """The broker could not be reached: the task was not sent."""


def send_task(name: str, *, args: list) -> None:
    """Send `name(*args)` through the current Celery app (the project's, unless a test made another current)."""
    from celery import current_app
    from kombu.exceptions import OperationalError

    from . import celery  # noqa: F401 - creates the project's app, which makes itself the current one

    try:
        # declare=[]: Celery would declare the task's queue again with every message (a fifth of a send's CPU);
        # a message to the default exchange goes straight to the queue's list, and the workers declare the queue.
        current_app.send_task(name, args=args, declare=[])
    except (OperationalError, ConnectionError, OSError) as exc:
        raise BrokerDown(str(exc)) from exc
