"""Live signals and the paper portfolio of a production version: one signal per new bar after the promotion,
settled on the next bar net of the trial's costs, strictly out of sample, flagged and announced on drift."""

import pandas as pd
import pytest
from django.utils import timezone

from market_data.models import Dataset
from market_data.selectors import dataset_frame
from market_data.services import dataset_store
from notifications.models import Delivery, Notification
from registry.live import version_signals_refresh
from registry.models import LiveSignal
from registry.services import version_fit, version_promote, version_register


def _store(team, frame):
    return dataset_store(key="SPX", name="SPX (ours)", kind="bars", source="upload", data=frame,
                         provenance={"test": True}, team=team)  # fmt: skip


@pytest.fixture
def live(bundled, team_a, alice, make_trial, settings):
    """A production long/short logistic regression on team A's own SPX copy, whose last bar is yesterday's."""
    from trials.services import trial_execute

    settings.REGISTRY_DRIFT_MIN_BARS = 5
    spx = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True)).iloc[-1000:]
    yesterday = pd.Timestamp(timezone.now().date()) - pd.offsets.BDay(1)
    spx.index = pd.bdate_range(end=yesterday, periods=len(spx))
    _store(team_a, spx)
    trial = make_trial(alice, team_a, data={"start": spx.index[100].date().isoformat(),
                       "end": spx.index[-1].date().isoformat()}, positions="long_short",
                       costs={"commission_bps": 2.0, "slippage_bps": 1.0})  # fmt: skip
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    version = version_register(team=team_a, user=alice, trial=trial, name="spx-live")
    version = version_fit(version_id=version.pk)
    version_promote(version=version, user=alice, reason="go live")
    version.refresh_from_db()

    class Live:
        frame = spx

        def add_bar(self, move: float):
            """Append the next business day's bar, its close `move` from the last close; store the whole series."""
            last = self.frame.iloc[-1]
            day = max(self.frame.index[-1], pd.Timestamp(timezone.now().date())) + pd.offsets.BDay(1)
            close = last["close"] * (1 + move)
            bar = pd.DataFrame({"open": [last["close"]], "high": [max(close, last["close"]) * 1.001],
                                "low": [min(close, last["close"]) * 0.999], "close": [close],
                                "volume": [last["volume"]]}, index=pd.DatetimeIndex([day]))  # fmt: skip
            self.frame = pd.concat([self.frame, bar])
            _store(team_a, self.frame)
            return version_signals_refresh(version_id=version.pk)

    return version, Live()


def test_a_signal_per_new_bar_after_promotion_settled_net_of_costs(live):
    version, feed = live
    assert version_signals_refresh(version_id=version.pk) == []  # every bar so far is before the promotion
    for move in (0.01, -0.02, 0.005):
        assert len(feed.add_bar(move)) == 1
    signals = list(LiveSignal.objects.filter(version=version).order_by("date"))
    assert len(signals) == 3 and all(s.date > version.promoted_at for s in signals)
    assert all(s.position in (-1.0, 1.0) and 0 <= s.proba <= 1 for s in signals)
    closes = feed.frame["close"].iloc[-3:].to_numpy()
    previous = 0.0
    for signal, next_close in zip(signals[:2], closes[1:], strict=True):
        expected_return = next_close / signal.close - 1
        cost = 3.0 / 10_000 * abs(signal.position - previous)
        assert signal.next_return == pytest.approx(expected_return)
        assert signal.net_return == pytest.approx(signal.position * expected_return - cost)
        previous = signal.position
    assert signals[2].net_return is None  # its next bar has not arrived
    version.refresh_from_db()
    assert version.live_record["live"]["bars"] == 2
    assert version.live_record["backtest"]["bars"] == 2 and version.live_record["backtest"]["windows"] > 100


def test_changing_a_bar_before_promotion_changes_nothing_in_the_record(live):
    version, feed = live
    for move in (0.01, -0.02, 0.005, 0.01):
        feed.add_bar(move)
    version.refresh_from_db()
    before_record = version.live_record["live"]
    before = list(LiveSignal.objects.filter(version=version).order_by("date").values_list(
        "date", "prediction", "proba", "position", "next_return", "net_return"))  # fmt: skip
    changed = feed.frame.copy()
    changed.iloc[-6, changed.columns.get_loc("close")] *= 1.10  # the last bar before the promotion, and one before
    changed.iloc[-8, changed.columns.get_loc("close")] *= 0.90
    _store(version.team, changed)
    version_signals_refresh(version_id=version.pk)
    version.refresh_from_db()
    after = list(LiveSignal.objects.filter(version=version).order_by("date").values_list(
        "date", "prediction", "proba", "position", "next_return", "net_return"))  # fmt: skip
    assert after == before
    assert version.live_record["live"] == before_record


def test_drift_flags_the_version_and_announces_it(live, fake_webhook_for_team_a):
    version, feed = live
    move = 0.0
    for size in (0.012, 0.02, 0.015, 0.03, 0.01, 0.025, 0.018):
        created = feed.add_bar(move)
        position = created[-1].position
        move = -size * position  # the next bar goes against whatever the model holds
    version.refresh_from_db()
    assert version.drift_flagged_at is not None
    assert "Sharpe" in version.drift_reason and "5th percentile" in version.drift_reason
    live_sharpe = version.live_record["live"]["sharpe"]
    assert live_sharpe < version.live_record["backtest"]["band"]["sharpe"]["p5"]
    assert Notification.objects.filter(event="live_drift").count() == 1  # alice is the team's only member
    delivery = Delivery.objects.get(event="live_drift")
    assert delivery.payload["title"].startswith("spx-live v1: live performance left")
    positions = list(LiveSignal.objects.filter(version=version).order_by("date").values_list("position", flat=True))
    changes = sum(a != b for a, b in zip(positions, positions[1:], strict=False))
    assert Notification.objects.filter(event="signal_changed").count() == changes


def test_signals_csv_and_api(live, bob, api_as):
    version, feed = live
    feed.add_bar(0.01)
    feed.add_bar(-0.01)
    client = api_as(bob)
    rows = client.get("/api/registry/spx-live/versions/1/signals/").json()
    assert len(rows) == 2 and rows[0]["net_return"] is not None
    export = client.get("/api/registry/spx-live/versions/1/signals.csv")
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0] == "date,prediction,proba,position,close,next_return,cost,net_return" and len(lines) == 3
    assert float(lines[1].split(",")[7]) == pytest.approx(rows[0]["net_return"])


@pytest.fixture
def fake_webhook_for_team_a(team_a, alice):
    from notifications.services import webhook_create
    from tests.fakes.fake_webhook import FakeWebhook

    with FakeWebhook() as server:
        webhook_create(team=team_a, user=alice, url=server.url, format="slack", events=["live_drift"])
        yield server
