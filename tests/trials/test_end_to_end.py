"""The whole path through real services: JWT → API → Redis broker → a real Celery worker → Redis channel
layer → WebSocket → CSV export, checked against the API and an independent computation."""

import csv
import io
import math
import time

import numpy as np
import pytest
from asgiref.sync import async_to_sync
from celery.contrib.testing.worker import start_worker
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from mltrainer_site.asgi import application
from mltrainer_site.celery import app as celery_app

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _token(username: str, password: str) -> str:
    response = APIClient().post("/api/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["access"]


async def _collect_events(trial_id: int, access: str, *, until: set[str], timeout: float = 120) -> list[dict]:
    communicator = WebsocketCommunicator(
        application,
        f"/ws/trials/{trial_id}/",
        headers=[(b"authorization", f"Bearer {access}".encode()), (b"origin", b"http://127.0.0.1")],
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    events = []
    try:
        while True:
            event = await communicator.receive_json_from(timeout=timeout)
            events.append(event)
            if event["status"] in until:
                return events
    finally:
        await communicator.disconnect()


def test_trial_runs_end_to_end_on_real_worker_and_streams_progress(bundled, alice):
    access = _token("alice", "alice-pw-123")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    payload = {
        "model": "random_forest_classifier",
        "params": {"n_estimators": 30, "max_depth": 4},
        "data": {"symbol": "SPX", "start": "2010-01-01", "end": "2016-12-31", "target": "direction", "horizon": 1},
        "validation": {"scheme": "walk_forward", "folds": 4, "gap": 1},
        "seed": 7,
    }
    created = client.post("/api/trials/", payload, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "queued"
    trial_id = created.json()["id"]

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"):
        events = async_to_sync(_collect_events)(trial_id, access, until={"succeeded", "failed"})
        # The worker then recomputes the deflated Sharpe ratio of the trial's research question (a task of its own).
        deadline = time.time() + 60
        while client.get(f"/api/trials/{trial_id}/").json()["dsr_computed_at"] is None and time.time() < deadline:
            time.sleep(0.2)

    assert events[0]["type"] == "trial.state"
    assert events[-1]["status"] == "succeeded", events[-1]
    progress = [e for e in events if e["type"] == "trial.progress"]
    assert [e["fold"] for e in progress] == [1, 2, 3, 4]
    assert [e["progress"] for e in progress] == [0.25, 0.5, 0.75, 1.0]
    final = events[-1]

    detail = client.get(f"/api/trials/{trial_id}/").json()
    # Each fold's dates arrive with its event, so the live page can show them at once.
    assert [(e["last_fold"]["fold"], e["last_fold"]["test_start"]) for e in progress] == [
        (n + 1, fold["test_start"]) for n, fold in enumerate(detail["folds"])
    ]
    assert detail["status"] == "succeeded"
    assert detail["progress"] == 1.0
    assert len(detail["folds"]) == 4
    dsr = {"dsr": detail["metrics"].pop("dsr"), "trials_in_question": detail["metrics"].pop("trials_in_question")}
    assert final["metrics"] == detail["metrics"]
    assert dsr == {"dsr": pytest.approx(detail["metrics"]["psr"]), "trials_in_question": 1}  # alone: DSR = PSR
    assert detail["data_used"][0]["key"] == "SPX" and len(detail["data_used"][0]["sha256"]) == 64

    # The predictions CSV agrees with the API, and its net_return column gives the reported Sharpe.
    response = client.get(f"/api/trials/{trial_id}/predictions.csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == sum(fold["n_test"] for fold in detail["folds"])
    assert rows[0]["date"] == detail["folds"][0]["test_start"][:10]
    returns = np.array([float(r["net_return"]) for r in rows])
    sharpe = returns.mean() / returns.std(ddof=1) * math.sqrt(252)
    assert sharpe == pytest.approx(detail["metrics"]["sharpe"], rel=1e-9)
    accuracy = np.mean([float(r["y_true"]) == float(r["y_pred"]) for r in rows])
    assert accuracy == pytest.approx(detail["metrics"]["accuracy"], rel=1e-12)
    assert float(rows[-1]["equity"]) == pytest.approx(np.prod(1 + returns), rel=1e-9)

    # The trials export carries the same figures.
    export = client.get("/api/trials/export.csv")
    exported = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [int(r["id"]) for r in exported] == [trial_id]
    assert float(exported[0]["sharpe"]) == detail["metrics"]["sharpe"]
    assert float(exported[0]["dsr"]) == dsr["dsr"] and exported[0]["trials_in_question"] == "1"
    assert float(exported[0]["roc_auc"]) == detail["metrics"]["roc_auc"]
    assert exported[0]["status"] == "succeeded"


def test_worker_failure_marks_trial_failed_with_reason(bundled, alice, team_a, api_as):
    from market_data.models import Dataset
    from market_data.selectors import dataset_frame
    from market_data.services import dataset_store

    client = api_as(alice)
    spx = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True))
    own = dataset_store(
        key="DESK",
        name="desk copy",
        kind="bars",
        source="upload",
        data=spx.loc["2014":"2016"],
        provenance={},
        team=team_a,
    )
    payload = {
        "model": "logistic_regression",
        "data": {"symbol": "DESK", "target": "direction"},
        "validation": {"folds": 3, "gap": 1},
    }
    created = client.post("/api/trials/", payload, format="json")
    assert created.status_code == 201, created.content
    trial_id = created.json()["id"]
    own.delete()  # the data goes away between submission and training
    access = str(client._credentials["HTTP_AUTHORIZATION"]).split()[1]
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30, loglevel="WARNING"):
        events = async_to_sync(_collect_events)(trial_id, access, until={"succeeded", "failed"})
    assert events[-1]["status"] == "failed"
    detail = client.get(f"/api/trials/{trial_id}/").json()
    assert detail["status"] == "failed"
    assert "dataset DESK is no longer available to Team A" in detail["error"]
    assert detail["finished_at"] is not None
