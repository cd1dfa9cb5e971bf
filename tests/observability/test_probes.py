"""/healthz and /readyz: answered on pod IPs over plain HTTP, and /readyz names what is down."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from mltrainer_site.celery import app as celery_app

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def metrics_token(settings):
    """The dependency detail of /readyz is for the metrics token (see test_readyz_detail_needs_the_token)."""
    settings.METRICS_TOKEN = "probe-token"
    return {"HTTP_AUTHORIZATION": "Bearer probe-token"}


@pytest.fixture
def production_http(settings):
    """What a probe meets in production: HTTPS redirect on, only the public host allowed."""
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["mltrainer.example.com"]


def test_healthz_answers_any_host_over_plain_http(client, production_http):
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # Everything else still gets the redirect to HTTPS.
    assert client.get("/login/", HTTP_HOST="mltrainer.example.com").status_code == 301


def test_readyz_reports_redis_down_when_it_cannot_reach_it(client, settings, production_http, metrics_token):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.READYZ_REQUIRE_WORKER = False
    started = time.monotonic()
    response = client.get("/readyz", HTTP_HOST="10.1.2.3:8000", **metrics_token)
    assert time.monotonic() - started < 3.5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["down"] == ["redis"]
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("down: ConnectionError")


def test_readyz_names_a_missing_worker(client, settings, metrics_token):
    settings.READYZ_WORKER_PING_SECONDS = 0.3
    pinged = celery_app.control.ping(timeout=0.5)
    if pinged:
        pytest.skip(f"another Celery worker answers on this broker: {pinged}")
    response = client.get("/readyz", **metrics_token)
    assert response.status_code == 503
    assert response.json()["down"] == ["worker"]
    assert response.json()["checks"]["worker"] == "down: RuntimeError: no Celery worker answered a ping within 0.3 s"


@pytest.mark.integration
def test_readyz_is_ok_with_database_redis_and_a_live_worker(client, metrics_token):
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"):
        # The thread's worker answers pings once its remote-control consumer is up: give it a few seconds.
        deadline = time.monotonic() + 15
        response = client.get("/readyz", **metrics_token)
        while response.status_code != 200 and time.monotonic() < deadline:
            response = client.get("/readyz", **metrics_token)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok"
    assert body["checks"]["worker"].startswith("ok (")


def test_readyz_can_leave_the_worker_out(client, settings, metrics_token):
    settings.READYZ_REQUIRE_WORKER = False
    response = client.get("/readyz", **metrics_token)
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "redis"}
