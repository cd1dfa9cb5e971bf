"""The broker transport (mltrainer_site.kombu_redis): kombu's Redis transport, keeping one redis.Redis client per
channel rather than building one for every task sent; the messages are kombu's own."""

import json
import uuid

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
