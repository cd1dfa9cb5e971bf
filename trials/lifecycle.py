"""A trial's status machine: the one module that writes `Trial.status`, and the signal that says it changed.

The machine (each arrow is one conditional update, `UPDATE … WHERE id = … AND status = <from>`):

    created as  pending_approval   (a rule asks a second owner)      trial_create
                queued             (admitted)                        trial_create
                rejected           (a study's refused evaluation)    studies._launch
    pending_approval → queued      an owner approved it              services.trial_approve
                     → rejected    an owner refused it               services.trial_reject
                     → cancelled                                     services.trial_cancel
    queued  → running              a worker claimed it               services.trial_execute
            → cancelled                                              services.trial_cancel
    running → running              taken over: its worker stopped beating (a redelivered task)
            → queued               its worker died; retried (TRIAL_RETRIES_AFTER_WORKER_LOST)  the reaper
            → succeeded | failed | cancelled | rejected (refused at execution)    the worker, the reaper
    succeeded, failed, cancelled, rejected: final, nothing leaves them.

A move the machine does not have raises TransitionNotAllowed (a programming error, never a user's). A move whose
trial is no longer in the expected status (another worker, a cancel or the reaper got there first) changes nothing
and returns None: the caller decides what that means.

The signal `trial_status_changed` is what other code hangs reactions on ("what happens when a trial finishes?"):
    sent:      once per move, after the transaction that made it commits (never for a move that rolled back), and
               once for a trial created already final (old_status None). A trial created pending_approval or
               queued is not announced: nothing happened to it yet.
    sender:    Trial
    kwargs:    trial_id (int), old_status (str | None), new_status (str), trial (the Trial as the move left it,
               read inside the transaction: re-read it for anything that may have changed since)
    listeners: the WebSocket event (trials/events.py), the Prometheus counter and duration (trials/
               monitoring.py, reporting to observability, which imports no app), the study's next step
               (trials/studies.py); connected in each app's AppConfig.ready.
Listeners run after commit, outside any transaction, in the process that made the move (web or worker). One that
raises is logged and does not stop the others or the caller. They must be idempotent and must not be the only road
to anything vital: a takeover announces running → running, a retried trial passes through queued again, and a
process that dies between the commit and the signal sends nothing (the study tick and the reaper are the nets).
"""

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.dispatch import Signal

from mltrainer_site.compiled_query import CompiledInsert

from .models import Trial

logger = logging.getLogger(__name__)

S = Trial.Status
INITIAL = frozenset({S.PENDING_APPROVAL, S.QUEUED, S.REJECTED})
TRANSITIONS: dict[str, frozenset[str]] = {
    S.PENDING_APPROVAL: frozenset({S.QUEUED, S.REJECTED, S.CANCELLED}),
    S.QUEUED: frozenset({S.RUNNING, S.CANCELLED}),
    S.RUNNING: frozenset({S.RUNNING, S.QUEUED, S.SUCCEEDED, S.FAILED, S.CANCELLED, S.REJECTED}),
    **{final: frozenset() for final in Trial.FINISHED},
}

trial_status_changed = Signal()


class TransitionNotAllowed(ValueError):
    """The machine has no such move (for example from a final status)."""


def _announce(trial: Trial, old_status: str | None) -> None:
    new_status = trial.status

    def send() -> None:
        for receiver, result in trial_status_changed.send_robust(
            sender=Trial, trial_id=trial.pk, old_status=old_status, new_status=new_status, trial=trial
        ):
            if isinstance(result, Exception):
                logger.error(
                    "trial %s %s -> %s: listener %s failed",
                    trial.pk,
                    old_status,
                    new_status,
                    getattr(receiver, "__qualname__", receiver),
                    exc_info=result,
                )

    transaction.on_commit(send)


_TRIAL_INSERT = CompiledInsert(Trial)  # every submission stores one: its INSERT is built once


def trial_insert(*, status: str, **fields) -> Trial:
    """Create a trial in one of the machine's initial statuses (announced only when it is born final)."""
    if status not in INITIAL:
        raise TransitionNotAllowed(f"a trial cannot be created {status}")
    with transaction.atomic(savepoint=False):  # no savepoint inside the caller's transaction: nothing to undo alone
        trial = _TRIAL_INSERT.insert(Trial(status=status, **fields))
        if trial.is_finished:
            _announce(trial, None)
    return trial


def trials_born_final(trials: list[Trial], statuses: Iterable[str]) -> list[Trial]:
    """Give unsaved trials final statuses, for rows written in bulk as finished (the benchmark loader, manage.py
    bench_load). Nothing is announced: nothing happened to them."""
    for trial, status in zip(trials, statuses, strict=True):
        if status not in Trial.FINISHED:
            raise TransitionNotAllowed(f"a trial stored in bulk must be finished, not {status}")
        trial.status = status
    return trials


def trial_move(
    *, trial_id: int, source: str | Iterable[str], to: str, only_if: Q | None = None, **fields
) -> Trial | None:
    """Move a trial from `source` (one status or several) to `to`, setting `fields` in the same update.

    Returns the trial as the move left it, or None when it was not in `source` (or failed `only_if`) any more.
    Raises TransitionNotAllowed for a move the machine does not have."""
    sources = [source] if isinstance(source, str) else list(source)
    for old in sources:
        if to not in TRANSITIONS.get(old, ()):
            raise TransitionNotAllowed(f"a trial cannot go from {old} to {to}")
    with transaction.atomic():
        for old in sources:
            rows = Trial.objects.filter(pk=trial_id, status=old)
            if only_if is not None:
                rows = rows.filter(only_if)
            if rows.update(status=to, **fields):
                trial = Trial.objects.select_related("team").get(pk=trial_id)
                _announce(trial, old)
                return trial
    return None
