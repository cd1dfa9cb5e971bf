"""The reaper fails running trials whose worker died, says why, and tells the trial's WebSocket group."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import timezone

from mltrainer_site.celery import app as celery_app
from trials.events import group_name
from trials.models import Trial
from trials.services import trial_reap_stuck

pytestmark = pytest.mark.django_db


def _running(trial, *, heartbeat):
    Trial.objects.filter(pk=trial.pk).update(
        status=Trial.Status.RUNNING, started_at=heartbeat - timedelta(minutes=5), heartbeat_at=heartbeat
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
    # The worker was only slow: it beats just as the reaper looks (the reaper read the old heartbeat).
    from trials import services

    real_finish = services._finish

    def beat_first(trial, **kwargs):
        Trial.objects.filter(pk=trial.pk).update(heartbeat_at=timezone.now())
        return real_finish(trial, **kwargs)

    services._finish = beat_first
    try:
        assert trial_reap_stuck() == []
    finally:
        services._finish = real_finish
    trial.refresh_from_db()
    assert trial.status == Trial.Status.RUNNING


def test_beat_runs_the_reaper_every_minute(alice, team_a, make_trial):
    entry = settings.CELERY_BEAT_SCHEDULE["reap-stuck-trials"]
    assert entry["task"] == "trials.tasks.reap_stuck_trials" and entry["schedule"] == 60.0
    trial = make_trial(alice, team_a)
    _running(trial, heartbeat=timezone.now() - timedelta(hours=1))
    celery_app.tasks[entry["task"]].apply().get()
    trial.refresh_from_db()
    assert trial.status == Trial.Status.FAILED and "worker stopped responding" in trial.error
