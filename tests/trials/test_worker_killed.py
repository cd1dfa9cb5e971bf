"""A Celery worker killed (SIGKILL) in the middle of a trial: the reaper notices the silent heartbeat, queues the
trial again while it has retries (TRIAL_RETRIES_AFTER_WORKER_LOST, each run counted in `attempts`), another
worker finishes it; with no retry left the trial fails with "worker stopped responding".

The workers are real processes (`celery worker`, as `make run` starts them) on this run's test database and
queue. The reaper is the service the beat task calls, run here with a stale bound of 2 s instead of 120 s, so
the test takes seconds, not minutes."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

from mltrainer_site.celery import app as celery_app
from trials.models import Trial
from trials.services import trial_reap_stuck

ROOT = Path(__file__).resolve().parents[2]
STALE_AFTER = 2  # seconds, for the reaper in this process
# Slow enough to be caught between its first fold and its last: six folds of a 150-tree forest.
FOLDS = 6
SLOW = {
    "model": "random_forest_classifier",
    "params": {"n_estimators": 150, "max_depth": 8, "min_samples_leaf": 5},
    "data": {"start": "2006-01-01", "end": "2016-12-31"},
    "validation": {"folds": FOLDS, "gap": 1},
}

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _wait(predicate, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _start_worker(name: str) -> subprocess.Popen:
    """A worker process of its own on this run's database, broker queue and channel prefix (tests/settings.py)."""
    env = {**os.environ, "MLTRAINER_TEST_RUN": str(settings.MLTRAINER_TEST_RUN), "MLTRAINER_TEST_SERVER": "1"}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", OMP_NUM_THREADS="1")
    args = ["celery", "-A", "mltrainer_site", "worker", "--pool=solo", "--loglevel=WARNING", "-n", f"{name}@%h"]
    worker = subprocess.Popen(
        [sys.executable, "-m", *args, "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(lambda: bool(celery_app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5)), name)
    return worker


def _kill_mid_trial(worker: subprocess.Popen, trial: Trial, *, attempt: int) -> None:
    """SIGKILL the worker once it has trained a fold of `trial` (and before its last), as the OOM killer would."""

    def training() -> bool:
        trial.refresh_from_db()
        assert trial.status != Trial.Status.SUCCEEDED, "the trial finished before the worker could be killed"
        return trial.status == Trial.Status.RUNNING and trial.attempts == attempt and trial.progress > 0

    _wait(training, f"attempt {attempt} to train a fold")
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=10) == -signal.SIGKILL


def _reap_after_silence(trial: Trial) -> list[int]:
    """The reaper, once the dead worker's last heartbeat is older than the stale bound."""
    trial.refresh_from_db()
    last_beat = trial.heartbeat_at
    time.sleep(STALE_AFTER + 0.5)
    trial.refresh_from_db()
    assert trial.heartbeat_at == last_beat and trial.status == Trial.Status.RUNNING  # nobody beats for it
    return trial_reap_stuck()


@pytest.fixture
def stale_bound(settings):
    settings.TRIAL_STALE_AFTER_SECONDS = STALE_AFTER
    settings.TRIAL_RETRIES_AFTER_WORKER_LOST = 1


@pytest.fixture
def workers():
    started: list[subprocess.Popen] = []
    yield lambda name: started.append(_start_worker(name)) or started[-1]
    for worker in started:
        if worker.poll() is None:
            worker.terminate()
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()


def test_a_trial_whose_worker_is_killed_is_retried_and_finished_by_another_worker(
    stale_bound, workers, alice, team_a, make_trial
):
    first = workers("first")
    trial = make_trial(alice, team_a, **SLOW)
    _kill_mid_trial(first, trial, attempt=1)

    assert _reap_after_silence(trial) == [trial.pk]
    trial.refresh_from_db()
    assert (trial.status, trial.attempts) == (Trial.Status.QUEUED, 1)
    assert trial.error.startswith("worker stopped responding (no heartbeat since ")
    assert trial.error.endswith("; queued again for attempt 2")

    workers("second")  # the reaper sent the trial again: this worker takes it from the queue
    _wait(lambda: Trial.objects.get(pk=trial.pk).status not in (Trial.Status.QUEUED, Trial.Status.RUNNING),
          "the retried trial to finish", timeout=240)  # fmt: skip
    trial.refresh_from_db()
    assert (trial.status, trial.attempts, trial.error) == (Trial.Status.SUCCEEDED, 2, "")
    assert len(trial.folds) == FOLDS and trial.progress == 1.0  # trained afresh, every fold


def test_a_trial_killed_on_its_last_attempt_fails_saying_its_worker_stopped(
    stale_bound, settings, workers, alice, team_a, make_trial
):
    settings.TRIAL_RETRIES_AFTER_WORKER_LOST = 0
    worker = workers("only")
    trial = make_trial(alice, team_a, **SLOW)
    _kill_mid_trial(worker, trial, attempt=1)

    assert _reap_after_silence(trial) == [trial.pk]
    trial.refresh_from_db()
    assert (trial.status, trial.attempts) == (Trial.Status.FAILED, 1)
    assert trial.error.startswith("worker stopped responding (no heartbeat since ") and trial.finished_at
    assert trial_reap_stuck() == []  # failed for good: nothing left to reap
