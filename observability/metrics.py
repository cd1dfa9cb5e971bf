"""mlTrainer's own Prometheus series, and the collector that reads the current state at scrape time.

Counters and histograms are updated where things happen (`trial_finished`, `record_fetch_failure`, ...). With
PROMETHEUS_MULTIPROC_DIR set, prometheus_client writes them to files in that directory, so a process's
children (Celery prefork, see observability/worker.py) are summed at scrape time.

Gauges that describe the database or the queue (trials by status, stuck trials, queue depth) are not kept in
memory: `StateCollector` computes them when /metrics is scraped. They read the same database from every web pod,
so dashboards combine them with max(), never sum().
"""

import logging

from django.conf import settings
from django.db.models import Count
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily

from .multiproc import ensure_multiprocess_dir, multiprocess_dir

logger = logging.getLogger(__name__)

ensure_multiprocess_dir()  # before the first metric: prometheus_client opens its file there at once

TRIALS_TOTAL = Counter(
    "mltrainer_trials_total",
    "Trials that reached a final status, by status and model family.",
    ["status", "family"],
)
TRIAL_DURATION = Histogram(
    "mltrainer_trial_duration_seconds",
    "Wall time from a worker starting a trial to its final status, by model family.",
    ["family"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, float("inf")),
)
WEBSOCKET_CONNECTIONS = Gauge(
    "mltrainer_websocket_connections",
    "Trial-progress WebSockets open on this process.",
    multiprocess_mode="livesum",
)
DATA_FETCH_FAILURES = Counter(
    "mltrainer_data_fetch_failures_total",
    "Requests to a market-data provider that failed after retries, by source.",
    ["source"],
)
COMPLIANCE_REJECTIONS = Counter(
    "mltrainer_compliance_rejections_total",
    "Trials or requests refused by a compliance rule, by rule.",
    ["rule"],
)


def trial_finished(trial) -> None:
    """Count a trial that just reached a final status, and time it if a worker had started it."""
    family = trial.family or "unknown"
    TRIALS_TOTAL.labels(status=trial.status, family=family).inc()
    if trial.started_at and trial.finished_at:
        TRIAL_DURATION.labels(family=family).observe((trial.finished_at - trial.started_at).total_seconds())


def record_fetch_failure(source: str) -> None:
    DATA_FETCH_FAILURES.labels(source=source).inc()


def record_compliance_rejection(rule: str) -> None:
    COMPLIANCE_REJECTIONS.labels(rule=rule).inc()


def websocket_opened() -> None:
    WEBSOCKET_CONNECTIONS.inc()


def websocket_closed() -> None:
    WEBSOCKET_CONNECTIONS.dec()


def queue_depth() -> int:
    """Messages waiting in the Celery queue: the length of the Redis list named after it."""
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        return int(client.llen(settings.CELERY_TASK_DEFAULT_QUEUE))
    finally:
        client.close()


class StateCollector:
    """Gauges read from PostgreSQL and Redis when Prometheus scrapes; a source that is down is left out."""

    def collect(self):
        from trials.models import Trial
        from trials.selectors import trial_stale_running

        try:
            counts = dict.fromkeys(Trial.Status.values, 0)
            for row in Trial.objects.order_by().values("status").annotate(n=Count("id")):
                counts[row["status"]] = row["n"]
            stuck = trial_stale_running().count()
        except Exception:  # noqa: BLE001 - a scrape must still answer (with the other series) when the DB is down
            logger.warning("metrics: could not read trial counts from the database", exc_info=True)
        else:
            trials = GaugeMetricFamily("mltrainer_trials", "Trials currently in each status.", labels=["status"])
            for status, n in counts.items():
                trials.add_metric([status], n)
            yield trials
            yield GaugeMetricFamily(
                "mltrainer_trials_stuck",
                "Running trials whose worker has not beaten for TRIAL_STALE_AFTER_SECONDS (the reaper fails them).",
                value=stuck,
            )
        try:
            depth = queue_depth()
        except Exception:  # noqa: BLE001 - same: Redis down must not hide the database series
            logger.warning("metrics: could not read the queue length from Redis", exc_info=True)
        else:
            yield GaugeMetricFamily("mltrainer_queue_depth", "Trials waiting in the Celery queue.", value=depth)


class _ProcessMetrics:
    """This process's (or, in multiprocess mode, all processes') counters, gauges and histograms."""

    def collect(self):
        if multiprocess_dir():
            yield from multiprocess.MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()


def scrape_registry(*, with_state: bool) -> CollectorRegistry:
    """What /metrics shows: the process metrics, plus the database and queue gauges on the web."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ProcessMetrics())
    if with_state:
        registry.register(StateCollector())
    return registry
