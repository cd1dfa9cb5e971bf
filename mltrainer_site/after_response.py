"""Work a request's client need not wait for, run on the request's thread once its response is sent.

A submission sends its trial's message to the broker after its transaction commits; that send is a sixth of the
request's time, and the client waits for none of it if it comes after the response. The web's handler
(mltrainer_site.handler) collects what a request defers and runs it right after the response is sent, before the
response is closed (so a database write among it still has the request's connection). Outside a request served
there (a Celery worker, a command, Django's test client) `defer` runs the call at once.

Defer only work whose loss is already made good some other way, since a process that dies in between never runs
it: a trial's message, which the relay sends again (trials.queue).
"""

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class _Pending(threading.local):
    calls: list[Callable[[], object]] | None = None  # None: not in a request, defer runs the call now


_pending = _Pending()


def defer(call: Callable[[], object]) -> None:
    """Run `call` once the current request's response is sent, or now outside a request."""
    if _pending.calls is None:
        call()
    else:
        _pending.calls.append(call)


def collect() -> None:
    """In the request's thread, before its view: from here on, defer keeps its calls for run_collected."""
    run_collected()  # nothing is left over from an earlier request; should something be, it runs now
    _pending.calls = []


def run_collected() -> None:
    """Run, in order, what this thread's request deferred; a failure is logged and the next call still runs."""
    calls, _pending.calls = _pending.calls, None
    for call in calls or ():
        try:
            call()
        except Exception:
            logger.exception("work deferred until after the response failed")
