"""The reaper retries running trials whose worker died (TRIAL_RETRIES_AFTER_WORKER_LOST), then fails them, says
why, and tells the trial's WebSocket group."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from django.utils import timezone

import trials.tasks  # noqa: F401 - registers the tasks, as a worker's autodiscovery does
from mltrainer_site.celery import app as celery_app
from trials.events import group_name
from trials.models import Trial
from trials.services import trial_reap_stuck

pytestmark = pytest.mark.django_db


def _running(trial, *, heartbeat, attempts=None):
    """As a worker left it; by default on its last attempt (its retries used up)."""
    attempts = settings.TRIAL_RETRIES_AFTER_WORKER_LOST + 1 if attempts is None else attempts
    Trial.objects.filter(pk=trial.pk).update(
        status=Trial.Status.RUNNING,
        started_at=heartbeat - timedelta(minutes=5),
        heartbeat_at=heartbeat,
        attempts=attempts,
    )


def test_a_trial_whose_worker_died_is_marked_failed_with_the_reason(
    alice, team_a, make_trial, django_capture_on_commit_callbacks
):
    now = timezone.now()
    last_beat = now - timedelta(seconds=settings.TRIAL_STALE_AFTER_SECONDS + 30)
    dead, alive = make_trial(alice, team_a), make_trial(alice, team_a)
    _running(dead, heartbeat=last_beat)
    _running(alive, heartbeat=now - timedelta(seconds=5))

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(dead.pk), channel)
    with django_capture_on_commit_callbacks(execute=True):
        reaped = trial_reap_stuck(now=now)

    assert reaped == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == Trial.Status.FAILED and dead.finished_at is not None
    assert dead.error == f"worker stopped responding (no heartbeat since {last_beat:%Y-%m-%d %H:%M:%S} UTC)"
    alive.refresh_from_db()
    assert alive.status == Trial.Status.RUNNING and alive.error == ""

    event = async_to_sync(layer.receive)(channel)["payload"]
    assert (event["trial"], event["status"], event["error"]) == (dead.pk, "failed", dead.error)
    async_to_sync(layer.group_discard)(group_name(dead.pk), channel)

    # Reaping again finds nothing: the trial is no longer running.
    assert trial_reap_stuck(now=now) == []


def test_a_trial_that_beats_again_before_the_update_is_left_running(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    _running(trial, heartbeat=timezone.now() - timedelta(hours=1))

    # The worker was only slow: it beats just as the reaper looks (the reaper read the old heartbeat). The beat
    # is run by the database connection right before the reaper's conditional update.
    def beat_first(execute, sql, params, many, context):
        if sql.startswith('UPDATE "trials_trial" SET "status"'):
            with connection.cursor() as cursor:
                cursor.execute(
                    'UPDATE "trials_trial" SET "heartbeat_at" = %s WHERE "id" = %s', [timezone.now(), trial.pk]
                )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(beat_first):
        assert trial_reap_stuck() == []
    trial.refresh_from_db()
    assert trial.status == Trial.Status.RUNNING


def test_a_trial_whose_worker_died_is_queued_again_while_it_has_retries(
    alice, team_a, make_trial, settings, django_capture_on_commit_callbacks
):
    settings.TRIAL_RETRIES_AFTER_WORKER_LOST = 1
    trial = make_trial(alice, team_a)
    last_beat = timezone.now() - timedelta(hours=1)
    _running(trial, heartbeat=last_beat, attempts=1)

    with django_capture_on_commit_callbacks() as callbacks:
        assert trial_reap_stuck() == [trial.pk]
    trial.refresh_from_db()
    assert (trial.status, trial.attempts, trial.enqueued_at) == ("queued", 1, None)
    assert trial.error == (
        f"worker stopped responding (no heartbeat since {last_beat:%Y-%m-%d %H:%M:%S} UTC); queued again for attempt 2"
    )
    assert len(callbacks) == 2  # the status event and the send to the workers, after commit

    # Its second run dies too: no retry left, it fails.
    _running(trial, heartbeat=last_beat, attempts=2)
    assert trial_reap_stuck() == [trial.pk]
    trial.refresh_from_db()
    assert trial.status == "failed" and trial.error.startswith("worker stopped responding")


def test_retries_can_be_turned_off(alice, team_a, make_trial, settings):
    settings.TRIAL_RETRIES_AFTER_WORKER_LOST = 0
    trial = make_trial(alice, team_a)
    _running(trial, heartbeat=timezone.now() - timedelta(hours=1), attempts=1)
    assert trial_reap_stuck() == [trial.pk]
    trial.refresh_from_db()
    assert trial.status == "failed"


def test_beat_runs_the_reaper_every_minute(alice, team_a, make_trial):
    entry = settings.CELERY_BEAT_SCHEDULE["reap-stuck-trials"]
    assert entry["task"] == "trials.tasks.reap_stuck_trials" and entry["schedule"] == 60.0
    trial = make_trial(alice, team_a)
    _running(trial, heartbeat=timezone.now() - timedelta(hours=1))
    celery_app.tasks[entry["task"]].apply().get()
    trial.refresh_from_db()
    assert trial.status == Trial.Status.FAILED and "worker stopped responding" in trial.error
