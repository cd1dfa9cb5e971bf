"""The whole path on the real broker and a real worker: a trial runs, is registered (refit in the worker),
promoted with four-eyes approval, predicts; new bars arrive by upload, each makes a signal and updates the paper
portfolio; the live record drifts and the worker tells a (fake, local) Slack webhook."""

import io
import time

import pandas as pd
import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from compliance.models import Decision, PromotionApprovalRule
from market_data.models import Dataset
from market_data.selectors import dataset_frame
from mltrainer_site.celery import app as celery_app
from tests.fakes.fake_webhook import FakeWebhook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _wait(check, what: str, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _upload(client, frame: pd.DataFrame):
    csv = frame.rename_axis("date").reset_index().to_csv(index=False, date_format="%Y-%m-%d").encode()
    upload = io.BytesIO(csv)
    upload.name = "spx.csv"
    response = client.post("/api/datasets/upload/", {"file": upload, "key": "SPX", "kind": "bars"}, format="multipart")
    assert response.status_code == 201, response.content


def test_register_promote_predict_signal_drift_notify(bundled, alice, bob, team_a, api_as, settings):
    settings.REGISTRY_DRIFT_MIN_BARS = 5
    owner, member = api_as(alice), api_as(bob)
    spx = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True)).iloc[-900:]
    spx.index = pd.bdate_range(end=pd.Timestamp(timezone.now().date()) - pd.offsets.BDay(1), periods=len(spx))
    spx = spx.round(4)
    _upload(owner, spx)
    PromotionApprovalRule.objects.create(team=team_a, reason="production needs a second owner")

    with FakeWebhook() as slack, start_worker(celery_app, pool="solo", perform_ping_check=False,
                                              shutdown_timeout=30, loglevel="WARNING"):  # fmt: skip
        created = owner.post("/api/teams/team-a/webhooks/", {"url": slack.url, "format": "slack",
                             "events": ["live_drift", "version_promoted"]}, format="json")  # fmt: skip
        assert created.status_code == 201, created.content
        trial = member.post("/api/trials/", {
            "model": "logistic_regression", "params": {"C": 0.5}, "positions": "long_short",
            "data": {"symbol": "SPX", "start": spx.index[100].date().isoformat(),
                     "end": spx.index[-1].date().isoformat(), "target": "direction", "horizon": 1},
            "validation": {"scheme": "walk_forward", "folds": 3, "gap": 1}, "seed": 0,
            "costs": {"commission_bps": 1.0, "slippage_bps": 1.0}}, format="json").json()  # fmt: skip
        _wait(lambda: member.get(f"/api/trials/{trial['id']}/").json()["status"] == "succeeded", "the trial")

        registered = member.post("/api/registry/", {"trial": trial["id"], "name": "spx-e2e"}, format="json")
        assert registered.status_code == 202 and registered.json()["status"] == "queued"
        url = "/api/registry/spx-e2e/versions/1/"
        version = _wait(lambda: (v := member.get(url).json())["status"] == "ready" and v, "the refit")
        assert version["data_used"][0]["sha256"] and len(version["artifact_sha256"]) == 64

        asked = member.post(url + "promote/", {"reason": "best of the study"}, format="json").json()
        assert asked["stage"] == "candidate" and asked["promotion_requested_by"] == "bob"
        assert member.post(url + "approve/", {}, format="json").status_code == 403  # bob registered it
        approved = owner.post(url + "approve/", {"reason": "tear sheet checked"}, format="json").json()
        assert approved["stage"] == "production"
        assert [c["action"] for c in approved["stage_history"]] == ["registered", "requested", "approved"]
        assert set(Decision.objects.filter(stage="registry").values_list("outcome", flat=True)) == {
            "allowed", "needs_approval", "approved"}  # fmt: skip

        latest = member.post("/api/registry/spx-e2e/production/predict/", {"latest": True}, format="json").json()
        assert latest["predictions"][0]["date"][:10] == spx.index[-1].date().isoformat()

        # New bars: each upload makes one signal in the worker; the next bar moves against the position held.
        frame, move = spx, 0.0
        for count, size in enumerate((0.012, 0.02, 0.015, 0.03, 0.01, 0.025, 0.018), start=1):
            last = frame.iloc[-1]
            day = max(frame.index[-1], pd.Timestamp(timezone.now().date())) + pd.offsets.BDay(1)
            close = round(last["close"] * (1 + move), 4)
            bar = pd.DataFrame({"open": [last["close"]], "high": [max(close, last["close"]) + 1],
                                "low": [min(close, last["close"]) - 1], "close": [close],
                                "volume": [last["volume"]]}, index=pd.DatetimeIndex([day]))  # fmt: skip
            frame = pd.concat([frame, bar])
            _upload(owner, frame)
            signals = _wait(lambda c=count: len(s := member.get(url + "signals/").json()) == c and s, "a signal")
            move = -size * signals[-1]["position"]
        assert all(s["net_return"] is not None for s in signals[:-1]) and signals[-1]["net_return"] is None

        drift = _wait(lambda: [r for r in slack.received if "left the backtest" in r["json"]["text"]], "Slack")
        assert drift[0]["json"]["text"].startswith("*spx-e2e v1: live performance left the backtest's band*")
        detail = member.get(url).json()
        assert detail["drift_flagged_at"] and detail["live_record"]["live"]["bars"] == 6
        promoted = [r for r in slack.received if "promoted to production" in r["json"]["text"]]
        assert len(promoted) == 1
        log = owner.get("/api/teams/team-a/webhook-deliveries/").json()
        assert {d["status"] for d in log} == {"sent"}
