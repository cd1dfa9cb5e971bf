"""/metrics: who may read it, and that it shows our series with the values the trials produced."""

import ipaddress
from datetime import timedelta

import pytest
import redis
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from observability.metrics import record_compliance_rejection, record_fetch_failure
from trials.models import Trial
from trials.services import trial_execute

from .helpers import TOKEN, scrape, value

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def test_metrics_refuses_a_client_without_the_token(client):
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong-token"}, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}):
        response = client.get("/metrics", **headers)
        assert response.status_code == 401, headers
        assert response["WWW-Authenticate"].startswith("Bearer")
        assert b"mltrainer_" not in response.content


def test_metrics_with_nothing_configured_is_closed_unless_debug(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 401
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200


def test_metrics_answers_the_token_on_a_pod_ip_over_plain_http(client, settings):
    # Production settings: an unknown Host and plain HTTP would be a 400 and a 301 on any other path.
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["mltrainer.example.com"]
    assert client.get("/api/models/", HTTP_HOST="10.1.2.3:8000").status_code == 400
    response = client.get("/metrics", HTTP_HOST="10.1.2.3:8000", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert b"# TYPE mltrainer_trials_total counter" in response.content


def test_an_allowed_network_needs_no_token_but_only_when_not_proxied(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.42.0.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.5").status_code == 401
    # Through the ingress, the socket address is the proxy's: the public must not inherit its network.
    assert client.get("/metrics", REMOTE_ADDR="10.42.0.7", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 401


def test_after_a_trial_metrics_show_its_series(client, alice, team_a, make_trial, django_capture_on_commit_callbacks):
    before = scrape(client)
    trial = make_trial(alice, team_a)  # logistic_regression: family "linear"
    assert trial.family == "linear"
    with django_capture_on_commit_callbacks(execute=True):
        trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == Trial.Status.SUCCEEDED, trial.error

    after = scrape(client)
    counted = {"status": "succeeded", "family": "linear"}
    assert value(after, "mltrainer_trials_total", **counted) - value(before, "mltrainer_trials_total", **counted) == 1
    duration = {"family": "linear"}
    assert (
        value(after, "mltrainer_trial_duration_seconds_count", **duration)
        - value(before, "mltrainer_trial_duration_seconds_count", **duration)
        == 1
    )
    took = (trial.finished_at - trial.started_at).total_seconds()
    assert value(after, "mltrainer_trial_duration_seconds_sum", **duration) - value(
        before, "mltrainer_trial_duration_seconds_sum", **duration
    ) == pytest.approx(took)
    # Gauges read from the database at scrape time: exactly this one trial, in its final status.
    assert value(after, "mltrainer_trials", status="succeeded") == 1
    assert value(after, "mltrainer_trials", status="running") == 0
    assert value(after, "mltrainer_trials", status="queued") == 0
    assert value(after, "mltrainer_trials_stuck") == 0


def test_stuck_gauge_counts_running_trials_without_a_recent_heartbeat(client, alice, team_a, make_trial):
    stale = timezone.now() - timedelta(seconds=settings.TRIAL_STALE_AFTER_SECONDS + 60)
    dead, alive = make_trial(alice, team_a), make_trial(alice, team_a)
    Trial.objects.filter(pk=dead.pk).update(status="running", started_at=stale, heartbeat_at=stale)
    Trial.objects.filter(pk=alive.pk).update(status="running", started_at=stale, heartbeat_at=timezone.now())
    samples = scrape(client)
    assert value(samples, "mltrainer_trials_stuck") == 1
    assert value(samples, "mltrainer_trials", status="running") == 2


def test_queue_depth_is_the_length_of_the_celery_list(client, settings):
    settings.CELERY_TASK_DEFAULT_QUEUE = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-depth-test"
    broker = redis.Redis.from_url(settings.REDIS_URL)
    try:
        broker.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
        assert value(scrape(client), "mltrainer_queue_depth") == 0
        broker.rpush(settings.CELERY_TASK_DEFAULT_QUEUE, "a", "b", "c")
        assert value(scrape(client), "mltrainer_queue_depth") == 3
    finally:
        broker.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
        broker.close()


def test_fetch_failures_and_compliance_rejections_are_counted_by_label(client):
    before = scrape(client)
    record_fetch_failure("polygon")
    record_fetch_failure("polygon")
    record_fetch_failure("fred")
    record_compliance_rejection("max_position")
    after = scrape(client)

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("mltrainer_data_fetch_failures_total", source="polygon") == 2
    assert delta("mltrainer_data_fetch_failures_total", source="fred") == 1
    assert delta("mltrainer_compliance_rejections_total", rule="max_position") == 1


@pytest.mark.django_db(transaction=True)
def test_open_websockets_are_counted_while_open(client, alice, team_a, make_trial):
    from mltrainer_site.asgi import application

    trial = make_trial(alice, team_a)
    headers = [(b"authorization", f"Bearer {RefreshToken.for_user(alice).access_token}".encode())]

    def open_sockets() -> float:
        return value(scrape(client), "mltrainer_websocket_connections")

    async def open_count_close() -> tuple[float, float]:
        communicator = WebsocketCommunicator(application, f"/ws/trials/{trial.pk}/", headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await communicator.receive_json_from(timeout=5)
        while_open = await sync_to_async(open_sockets)()
        await communicator.disconnect()
        return while_open, await sync_to_async(open_sockets)()

    before = open_sockets()
    while_open, after_close = async_to_sync(open_count_close)()
    assert (while_open, after_close) == (before + 1, before)

    # A refused handshake (no credentials) never counts.
    refused = WebsocketCommunicator(application, f"/ws/trials/{trial.pk}/")
    connected, _ = async_to_sync(refused.connect)(timeout=5)
    assert not connected
    assert open_sockets() == before
