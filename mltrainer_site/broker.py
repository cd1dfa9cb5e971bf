"""Sending a Celery task by name, with Celery imported at the first send rather than when a process starts.

Celery and kombu take a web process about 0.3 s to import (a third of its start) and it sends a task only when
something is submitted. `celery -A mltrainer_site` still finds the app (mltrainer_site.celery) by itself.

The imports are made under a lock (once done, each send's are dictionary lookups), so the first is made by one
thread at a time. Celery's package replaces itself in sys.modules with a lazy module
part-way through its own import, and another thread importing it meanwhile finds the new module's names missing
("cannot import name 'current_app' from 'celery'": a third of the runs where 50 threads sent their first task at
once, as the web's request threads or the bench's simulated workers do).
"""

import threading


class BrokerDown(Exception):
    """The broker could not be reached: the task was not sent."""


_importing = threading.Lock()


def send_task(name: str, *, args: list) -> None:
    """Send `name(*args)` through the current Celery app (the project's, unless a test made another current)."""
    with _importing:
        from celery import current_app
        from kombu.exceptions import OperationalError

        from . import celery  # noqa: F401 - creates the project's app, which makes itself the current one

    try:
        # declare=[]: Celery would declare the task's queue again with every message (a fifth of a send's CPU);
        # a message to the default exchange goes straight to the queue's list, and the workers declare the queue.
        current_app.send_task(name, args=args, declare=[])
    except (OperationalError, ConnectionError, OSError) as exc:
        raise BrokerDown(str(exc)) from exc
