"""A fetch through the real path: JWT API → on_commit → Redis broker → a real Celery worker → fake Polygon → DB."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from mltrainer_site.celery import app as celery_app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def test_fetch_job_runs_on_a_real_worker(fake_polygon_server, polygon_key, bob, api_as):
    client = api_as(bob)
    created = client.post(
        "/api/datasets/fetch/",
        {"source": "polygon", "symbol": "SPY", "start": "2018-01-01", "end": "2018-06-30"},
        format="json",
    )
    assert created.status_code == 201, created.content
    job_id = created.json()["id"]

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"):
        deadline = time.monotonic() + 60
        while True:
            job = client.get(f"/api/datasets/fetch/{job_id}/").json()
            if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
                break
            time.sleep(0.2)

    assert job["status"] == "succeeded", job
    assert (job["progress"], job["rows_added"]) == (1.0, 125)
    dataset = client.get(f"/api/datasets/{job['dataset']}/").json()
    assert (dataset["key"], dataset["rows"], dataset["last_refresh_status"]) == ("SPY", 125, "succeeded")
