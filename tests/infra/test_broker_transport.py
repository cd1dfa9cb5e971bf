"""The broker transport (mltrainer_site.kombu_redis): kombu's Redis transport, keeping one redis.Redis client per
channel rather than building one for every task sent; the messages are kombu's own. And a process's first sends,
from many threads at once, all go out (mltrainer_site.broker imports Celery once, under a lock)."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import redis
from django.conf import settings

from mltrainer_site import kombu_redis
from mltrainer_site.celery import app


def test_redis_broker_urls_use_the_transport_and_sends_build_no_client(redis_clients_built):
    queue = f"transport-test-{uuid.uuid4().hex}"  # no worker listens here
    with app.connection_for_write() as connection:
        assert isinstance(connection.transport, kombu_redis.Transport)
    app.send_task("trials.tasks.run_trial", args=[0], queue=queue)  # the producer, its channel and its client
    del redis_clients_built[:]
    for trial_id in range(1, 6):
        app.send_task("trials.tasks.run_trial", args=[trial_id], queue=queue)
    assert redis_clients_built == []

    broker = redis.Redis.from_url(settings.REDIS_URL)
    try:
        messages = [json.loads(raw) for raw in reversed(broker.lrange(queue, 0, -1))]
    finally:
        broker.delete(queue)
    assert [message["headers"]["task"] for message in messages] == ["trials.tasks.run_trial"] * 6
    assert [message["headers"]["argsrepr"] for message in messages] == [f"[{n}]" for n in range(6)]


FIRST_SENDS = """
import json, sys, threading, django
django.setup()
from mltrainer_site.broker import send_task
assert "celery" not in sys.modules, "Celery is imported before the first send: this run cannot race"
start, errors = threading.Barrier(50), []
def first_send():
    start.wait()
    try:
        send_task("trials.tasks.run_trial", args=[0])
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=first_send) for _ in range(50)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps(errors))
"""


def test_fifty_threads_sending_a_process_s_first_tasks_at_once_all_send():
    """Without the import lock a third of such runs lost sends ("cannot import name 'current_app' from 'celery'"),
    so six runs in fresh interpreters."""
    queue = f"first-sends-test-{uuid.uuid4().hex}"  # no worker listens here
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mltrainer_site.settings", "DEBUG": "1", "CELERY_QUEUE": queue,
           "REDIS_URL": settings.REDIS_URL}  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    runs = [
        subprocess.Popen([sys.executable, "-c", FIRST_SENDS], cwd=root, env=env, stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    outputs = [run.communicate(timeout=120)[0] for run in runs]
    broker = redis.Redis.from_url(settings.REDIS_URL)
    try:
        sent = broker.llen(queue)
    finally:
        broker.delete(queue)
    assert [run.returncode for run in runs] == [0] * 6
    assert [json.loads(out.strip().splitlines()[-1]) for out in outputs] == [[]] * 6
    assert sent == 6 * 50
