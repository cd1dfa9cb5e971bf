"""Sending work to the Celery workers, and the relay that sends again what the broker never got.

The database is the outbox: a `queued` trial is one that must reach a worker, and `enqueued_at` says when the
broker last accepted its message. When the broker is down the send fails, is logged, and the trial stays queued;
the relay (`trial_resend_unsent`, run by the reaper's beat task every minute) sends it again once the broker is
back, and also re-sends trials whose message was accepted long ago yet never claimed (a broker that restarted
without its data). A trial sent twice runs once: the worker claims it with a conditional update.

Tasks are sent by name, so this module (and the services that call it) never import trials.tasks, which imports
them.
"""

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from .models import Trial

logger = logging.getLogger(__name__)

BROKER_DOWN = (OperationalError, ConnectionError, OSError)


def _send(task: str, argument: int | dict) -> bool:
    try:
        current_app.send_task(task, args=[argument])
    except BROKER_DOWN as exc:
        logger.warning("broker unreachable, %s(%s) not sent now (the relay retries): %s", task, argument, exc)
        return False
    return True


def trial_send(*, trial_id: int) -> bool:
    """Send run_trial(trial_id) to the workers; False (logged) when the broker cannot be reached."""
    if not _send("trials.tasks.run_trial", trial_id):
        return False
    Trial.objects.filter(pk=trial_id).update(enqueued_at=timezone.now())
    return True


def study_send_step(*, study_id: int) -> bool:
    """Send run_study_step(study_id); when the broker is down the study tick steps it later."""
    return _send("trials.tasks.run_study_step", study_id)


def question_send_refresh(*, question: dict) -> bool:
    """Send refresh_question(question): recompute the DSR of a research question's trials. When the broker is
    down, the question's next finished trial sends it again."""
    return _send("trials.tasks.refresh_question", question)


def study_send_pbo(*, study_id: int) -> bool:
    """Send refresh_study_pbo(study_id); when the broker is down, the study's next step sends it again."""
    return _send("trials.tasks.refresh_study_pbo", study_id)


def trial_resend_unsent(*, now: datetime | None = None) -> list[int]:
    """The relay: send queued trials the broker never accepted, or accepted more than TRIAL_RESEND_AFTER_SECONDS
    ago without a worker claiming them. Returns the ids sent; stops at the first failure (the broker is down)."""
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TRIAL_RESEND_AFTER_SECONDS)
    unsent = Trial.objects.filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff), status=Trial.Status.QUEUED)
    sent = []
    for trial_id in unsent.order_by("pk").values_list("pk", flat=True):
        if not trial_send(trial_id=trial_id):
            break
        sent.append(trial_id)
    if sent:
        logger.warning("relay: sent %s queued trial(s) to the workers again: %s", len(sent), sent)
    return sent
