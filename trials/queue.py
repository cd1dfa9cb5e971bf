"""Sending work to the Celery workers, and the relay that sends again what the broker never got.

The database is the outbox: a `queued` trial is one that must reach a worker, and `enqueued_at` says when the
broker last accepted its message. When the broker is down the send fails, is logged, and the trial stays queued;
the relay (`trial_resend_unsent`, run by the reaper's beat task every minute) sends it again once the broker is
back, and also re-sends trials whose message was accepted long ago yet never claimed (a broker that restarted
without its data). A trial sent twice runs once: the worker claims it with a conditional update.

Fair share. A `run_trial` message is a worker slot for *a* queued trial, not for the one it names: the worker
claims the queued trial the fair order puts first (`trial_pick`, under one advisory lock so that caps hold with
many workers): among the teams with queued trials and under their cap (TeamShare.max_running_trials, else
TRIAL_TEAM_MAX_RUNNING; 0 means none), the team with the fewest trials running, then the one that started a trial
longest ago, then the message's own trial. So a team's 500 queued trials take turns with another team's single
one: that one starts in the next free slot. There are as many messages as queued trials, so the broker's list is
still the backlog KEDA scales on. A message that finds every queued team at its cap marks one queued trial of
those teams as unsent (`trial_park`: enqueued_at null); when one of the team's trials leaves `running`
(`trial_slot_freed`) its oldest parked trial is sent, and the relay sends parked trials of teams under their cap.

Tasks are sent by name, so this module (and the services that call it) never import trials.tasks, which imports
them.
"""

import logging
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import Case, Count, Max, Q, QuerySet, Value, When
from django.utils import timezone

from mltrainer_site.broker import BrokerDown, send_task

from .models import TeamShare, Trial

logger = logging.getLogger(__name__)


def _send(task: str, argument: int | dict) -> bool:
    try:
        send_task(task, args=[argument])
    except BrokerDown as exc:
        logger.warning("broker unreachable, %s(%s) not sent now (the relay retries): %s", task, argument, exc)
        return False
    return True


def trial_send(*, trial_id: int, marked_sent: bool = False) -> bool:
    """Send run_trial(trial_id) to the workers; False (logged) when the broker cannot be reached.

    marked_sent: the trial was stored with enqueued_at already set (trials.services.trial_create, which spares a
    submission the write after its commit); then only a failed send writes, clearing it so the relay sends it within
    a minute. (A process that dies between the commit and the send leaves it marked: the relay sends it again after
    TRIAL_RESEND_AFTER_SECONDS, as it does a message the broker lost.)"""
    if not _send("trials.tasks.run_trial", trial_id):
        if marked_sent:
            Trial.objects.filter(pk=trial_id).update(enqueued_at=None)
        return False
    if not marked_sent:
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
    unsent = unsent.exclude(team_id__in=teams_at_cap())  # their trials wait for a slot of their own team
    sent = []
    for trial_id in unsent.order_by("pk").values_list("pk", flat=True):
        if not trial_send(trial_id=trial_id):
            break
        sent.append(trial_id)
    if sent:
        logger.warning("relay: sent %s queued trial(s) to the workers again: %s", len(sent), sent)
    return sent


# --- Fair share -------------------------------------------------------------------------------------------------

CLAIM_LOCK = 0x6D6C7472  # pg_advisory_xact_lock key of the claim: "mltr"
_NEVER = datetime.min.replace(tzinfo=UTC)


def caps_in_force() -> bool:
    return bool(settings.TRIAL_TEAM_MAX_RUNNING) or TeamShare.objects.filter(max_running_trials__gt=0).exists()


def claim_lock() -> None:
    """Serialise claims until the caller's transaction ends (PostgreSQL; SQLite serialises writers itself), so two
    workers never both take a team's last slot under its cap. Only while some team has a cap: without caps the
    pick skips rows another claim has locked (FOR UPDATE SKIP LOCKED), and claims run side by side (make
    bench-scale: 100 workers serialised on the lock claimed 14 trials a second)."""
    if connection.vendor == "postgresql" and caps_in_force():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK])


def _caps(team_ids: Iterable[int]) -> tuple[dict[int, int], dict[int, datetime | None]]:
    """({team: cap, 0 for none}, {team: when it last started a trial}) for these teams."""
    team_ids = set(team_ids)
    shares = {share.team_id: share for share in TeamShare.objects.filter(team_id__in=team_ids)}
    default = settings.TRIAL_TEAM_MAX_RUNNING
    caps = {}
    for team in team_ids:
        share = shares.get(team)
        caps[team] = share.max_running_trials if share and share.max_running_trials is not None else default
    return caps, {team: share.last_started_at for team, share in shares.items()}


def _running(team_ids: Iterable[int] | None = None) -> dict[int, int]:
    rows = Trial.objects.filter(status=Trial.Status.RUNNING)
    if team_ids is not None:
        rows = rows.filter(team_id__in=list(team_ids))
    return dict(rows.order_by().values_list("team_id").annotate(n=Count("id")).values_list("team_id", "n"))


def teams_at_cap() -> set[int]:
    """Teams whose running trials fill their cap (none when no team has a cap)."""
    running = _running()
    caps, _ = _caps(running)
    return {team for team, n in running.items() if caps[team] and n >= caps[team]}


def trial_pick(*, hint: int) -> int | None:
    """The queued trial the next free worker slot runs (the fair order above), or None when there is none or every
    queued trial's team is at its cap. `hint` is the trial the message names: it wins ties within its team's turn.
    Call it inside the transaction that claims, after claim_lock()."""
    queued = Trial.objects.filter(status=Trial.Status.QUEUED).order_by()
    # The teams with queued trials, and which of them has the hint queued: one query.
    hinted = Max(Case(When(pk=hint, then=Value(1)), default=Value(0)))
    rows = queued.values_list("team_id").annotate(hinted=hinted).values_list("team_id", "hinted")
    teams = {team: bool(has_hint) for team, has_hint in rows}
    if not teams:
        return None
    running = _running(teams)
    caps, last_started = _caps(teams)
    open_teams = [team for team in teams if not caps[team] or running.get(team, 0) < caps[team]]
    if not open_teams:
        return None
    hint_team = next((team for team, has_hint in teams.items() if has_hint), None)

    def turn(team: int) -> tuple:
        last = last_started.get(team)
        return (running.get(team, 0), last is not None, last or _NEVER, team != hint_team, team)

    team = min(open_teams, key=turn)

    def first_unlocked(rows: QuerySet[Trial]) -> int | None:
        return rows.select_for_update(skip_locked=True).values_list("pk", flat=True).first()

    if team == hint_team and (hint_free := first_unlocked(queued.filter(pk=hint))) is not None:
        return hint_free
    return first_unlocked(queued.filter(team_id=team).order_by("created_at", "id"))


def team_started(*, team_id: int, at: datetime) -> None:
    """Record that the team started a trial (the fair order's tie-break). Inside the claim's transaction, and last
    in it: one upsert, so the row stays locked (from the team's other claims) only until the commit that follows."""
    TeamShare.objects.bulk_create(
        [TeamShare(team_id=team_id, last_started_at=at)],
        update_conflicts=True,
        unique_fields=["team"],
        update_fields=["last_started_at"],
    )


def trial_park(*, hint: int) -> None:
    """A message found every queued trial's team at its cap: mark one queued trial as having no message in the
    broker (enqueued_at null), the one it named if it is queued, so that trial_slot_freed or the relay sends it when
    its team has a free slot."""
    if Trial.objects.filter(pk=hint, status=Trial.Status.QUEUED).update(enqueued_at=None):
        return
    waiting = Trial.objects.filter(status=Trial.Status.QUEUED, enqueued_at__isnull=False).order_by("created_at", "id")
    oldest = waiting.values_list("pk", flat=True).first()
    if oldest is not None:
        Trial.objects.filter(pk=oldest).update(enqueued_at=None)


def trial_slot_freed(*, trial: Trial, old_status: str | None, new_status: str, **_signal) -> None:
    """trials.lifecycle.trial_status_changed listener: a trial left `running`, so its team has a free slot; send
    the team's oldest parked trial (one a capped team's message had to leave)."""
    if old_status != Trial.Status.RUNNING or new_status == Trial.Status.RUNNING:
        return
    parked = Trial.objects.filter(team_id=trial.team_id, status=Trial.Status.QUEUED, enqueued_at__isnull=True)
    oldest = parked.order_by("created_at", "id").values_list("pk", flat=True).first()
    if oldest is not None and trial.team_id not in teams_at_cap():
        trial_send(trial_id=oldest)
