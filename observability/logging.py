"""JSON log lines carrying the request id, user id and trial id of whatever the process is doing.

The ids live in context variables: the request middleware sets the request id and the request, a trial task
sets the trial id. `ContextFilter` copies them onto every record, so any `logger.info(...)` anywhere gets them.
This module is loaded by `logging.config` while settings are read: it must not import models.
"""

import contextlib
import contextvars
import logging
from collections.abc import Iterator

from django.utils.functional import LazyObject, empty
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
request_var: contextvars.ContextVar[object | None] = contextvars.ContextVar("request", default=None)
trial_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("trial_id", default=None)

# Extra attributes Django attaches to its own records; `request` would drag the whole request into a line.
_DROPPED_EXTRAS = ("request",)


def _user_id(request) -> int | None:
    """The authenticated user's id if the request already knows it; never triggers a session or token lookup.

    AuthenticationMiddleware leaves a lazy user until something reads it; DRF replaces it with the real user
    once it has authenticated a token. Reading a lazy user here could query the database from inside logging.
    """
    user = getattr(request, "__dict__", {}).get("user")
    if isinstance(user, LazyObject):
        user = user._wrapped
        if user is empty:
            return None
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


class ContextFilter(logging.Filter):
    """Adds request_id, user_id and trial_id (None when unknown) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = request_var.get()
        record.request_id = request_id_var.get()
        record.user_id = _user_id(request) if request is not None else None
        record.trial_id = trial_id_var.get()
        for name in _DROPPED_EXTRAS:
            record.__dict__.pop(name, None)
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message, request_id, user_id, trial_id, then extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message", "request_id", "user_id", "trial_id"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)


@contextlib.contextmanager
def trial_log_context(trial_id: int) -> Iterator[None]:
    """Every log line inside the block names the trial."""
    token = trial_id_var.set(trial_id)
    try:
        yield
    finally:
        trial_id_var.reset(token)
