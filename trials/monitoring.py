"""What trials reports to observability: a trial reaching a final status counts in mltrainer_trials_total and,
if a worker had started it, in mltrainer_trial_duration_seconds (a trial_status_changed listener); and the gauges
of trials by status and of stuck trials, read from the database when /metrics is scraped. Connected and
registered in trials.apps, so that observability never imports trials."""

import logging

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from observability import metrics

from .models import Trial
from .selectors import trial_stale_running

logger = logging.getLogger(__name__)


def count_finished_trial(*, trial: Trial, new_status: str, **_signal) -> None:
    """trials.lifecycle.trial_status_changed listener."""
    if new_status in Trial.FINISHED:
        metrics.trial_finished(trial)


class TrialStateCollector:
    """mltrainer_trials (by status) and mltrainer_trials_stuck; left out of the scrape when the database is down."""

    def collect(self):
        try:
            counts = dict.fromkeys(Trial.Status.values, 0)
            for row in Trial.objects.order_by().values("status").annotate(n=Count("id")):
                counts[row["status"]] = row["n"]
            stuck = trial_stale_running().count()
        except Exception:  # noqa: BLE001 - a scrape must still answer (with the other series) when the DB is down
            logger.warning("metrics: could not read trial counts from the database", exc_info=True)
            return
        trials = GaugeMetricFamily("mltrainer_trials", "Trials currently in each status.", labels=["status"])
        for status, n in counts.items():
            trials.add_metric([status], n)
        yield trials
        yield GaugeMetricFamily(
            "mltrainer_trials_stuck",
            "Running trials whose worker has not beaten for TRIAL_STALE_AFTER_SECONDS (the reaper fails them).",
            value=stuck,
        )
