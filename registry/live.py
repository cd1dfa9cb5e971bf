"""Live signals of production versions and the paper portfolio that follows them, strictly out of sample.

When a production version's dataset gets new bars (registry.receivers, on market_data's dataset_rows_changed),
the worker records one signal per bar dated after the promotion: the position for the next bar and P(up), made
from bars up to that bar. A signal is written once and never recomputed. When the next bar arrives the signal
earns close_next / close_at_signal − 1 (the close stored with the signal), less the trial's costs on a change of
position (flat before the first signal). No bar before the promotion enters the record, so changing one changes
nothing in it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from models_catalog.lazy import deferred
from notifications.models import Event
from trials.selectors import prediction_columns

from . import paper, pipeline
from .models import LiveSignal, ModelVersion
from .services import announce, version_estimator

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported at their first use: the web process loads this module and needs neither
    np, pd = deferred("numpy"), deferred("pandas")

logger = logging.getLogger(__name__)
V = ModelVersion


def _naive(moment) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp


def _aware(stamp: pd.Timestamp):
    return stamp.tz_localize("UTC").to_pydatetime()


def version_signals_refresh(*, version_id: int) -> list[LiveSignal]:
    """Record the signals of bars that arrived since the last refresh, settle the signals whose next bar is now
    known, and update the live record (and its drift flag). Idempotent; returns the new signals."""
    version = ModelVersion.objects.select_related("registered_model", "team").filter(pk=version_id).first()
    if version is None or version.stage != V.Stage.PRODUCTION or version.status != V.Status.READY:
        return []
    spec = version.spec
    inputs = pipeline.inputs_load(team=version.team, spec=spec)
    rows = pipeline.feature_rows(inputs=inputs, columns=version.feature_columns)
    rows = rows.loc[rows.index > _naive(version.promoted_at)]
    known = set(version.signals.values_list("date", flat=True))
    last = version.signals.order_by("-date").first()
    previous = last.position if last is not None else None
    fresh = rows.loc[[stamp for stamp in rows.index if _aware(stamp) not in known]]
    created: list[LiveSignal] = []
    with transaction.atomic():
        if len(fresh):
            predicted = pipeline.predict_frame(
                estimator=version_estimator(version=version), rows=fresh, bars=inputs.bars, spec=spec
            )
            close = inputs.bars["close"]
            created = LiveSignal.objects.bulk_create(
                [
                    LiveSignal(
                        version=version,
                        date=_aware(stamp),
                        prediction=float(row.prediction),
                        proba=None if pd.isna(row.proba) else float(row.proba),
                        position=None if pd.isna(row.position) else float(row.position),
                        close=float(close.loc[stamp]),
                    )
                    for stamp, row in predicted.iterrows()
                ],
                ignore_conflicts=True,
            )
        _settle(version, inputs.bars)
        _record(version, inputs.per_year)
        if created:
            _announce_change(version, previous, created[-1])
    if created:
        logger.info("%s: %s new signal(s), latest %s", version.label, len(created), created[-1].date)
    return created


def _announce_change(version: ModelVersion, previous: float | None, latest: LiveSignal) -> None:
    if previous is None or latest.position == previous:
        return
    p_up = f", P(up) {latest.proba:.2f}" if latest.proba is not None else ""
    title = f"{version.label}: position {previous:g} → {latest.position:g} after the bar of {latest.date:%Y-%m-%d}"
    announce(version, Event.SIGNAL_CHANGED, title + p_up, key=f"version:{version.pk}:signal:{latest.date.isoformat()}")


def _settle(version: ModelVersion, bars: pd.DataFrame) -> None:
    """Fill next_return, cost and net_return of signals whose next bar is known (in date order)."""
    costs = version.spec.get("costs") or {}
    cost_bps = costs.get("commission_bps", 0) + costs.get("slippage_bps", 0)
    close = bars["close"]
    previous = 0.0
    for signal in version.signals.order_by("date"):
        position = signal.position or 0.0
        if signal.net_return is None:
            later = close.loc[close.index > _naive(signal.date)]
            if later.empty:
                break
            next_return = float(later.iloc[0]) / signal.close - 1
            cost = cost_bps / 10_000 * abs(position - previous)
            LiveSignal.objects.filter(pk=signal.pk).update(
                next_return=next_return, cost=cost, net_return=position * next_return - cost
            )
        previous = position


def _record(version: ModelVersion, per_year: float) -> None:
    settled = list(
        version.signals.filter(net_return__isnull=False).order_by("date").values_list("net_return", "position")
    )
    net = np.array([r for r, _ in settled], dtype="float64")
    positions = np.array([p or 0.0 for _, p in settled], dtype="float64")
    live = paper.figures(net, positions, per_year)
    trial_id = version.trial_id or 0
    backtest = prediction_columns(trial_ids=[trial_id], columns=("net_return", "position")).get(trial_id)
    backtest = pd.DataFrame(columns=["net_return", "position"]) if backtest is None else backtest
    backtest = backtest[backtest["net_return"].notna()]
    band = paper.backtest_band(
        backtest["net_return"].to_numpy(dtype="float64"),
        backtest["position"].fillna(0.0).to_numpy(dtype="float64"),
        max(len(net), 2),
        per_year,
    )
    reasons = paper.drift_reasons(live, band, settings.REGISTRY_DRIFT_MIN_BARS)
    record = {"live": live, "backtest": band, "drift": reasons, "updated_at": timezone.now().isoformat()}
    fields: dict = {"live_record": record}
    newly_drifted = bool(reasons) and version.drift_flagged_at is None
    if newly_drifted:
        fields.update(drift_flagged_at=timezone.now(), drift_reason="; ".join(reasons))
    ModelVersion.objects.filter(pk=version.pk).update(**fields)
    if newly_drifted:
        logger.warning("%s drifted: %s", version.label, "; ".join(reasons))
        key = f"version:{version.pk}:drift:{version.promoted_at.isoformat() if version.promoted_at else ''}"
        title = f"{version.label}: live performance left the backtest's band"
        announce(version, Event.LIVE_DRIFT, title, body="; ".join(reasons), key=key)
