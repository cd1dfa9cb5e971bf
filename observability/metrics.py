"""mlTrainer's own Prometheus series, and the collector that reads the current state at scrape time.

Counters and histograms are updated where things happen (`trial_finished`, `record_fetch_failure`, ...). With
PROMETHEUS_MULTIPROC_DIR set, prometheus_client writes them to files in that directory, so a process's
children (Celery prefork, see observability/worker.py) are summed at scrape time.

Gauges that describe the database or the queue (trials by status, stuck trials, queue depth) are not kept in
memory: `StateCollector` computes them when /metrics is scraped (the trial gauges come from trials/monitoring.py,
registered by the trials app: observability imports no other app). They read the same database from every web pod,
so dashboards combine them with max(), never sum().
"""

import logging

from django.conf import settings
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

COACH_TOKENS = Counter(
    "mltrainer_coach_tokens_total",
    "Tokens the AI coach used at Anthropic, by team (slug), model and kind (input, output, cache_read, "
    "cache_creation).",
    ["team", "model", "kind"],
)

COACH_RETENTION_DELETED = Counter(
    "mltrainer_coach_retention_deleted_total",
    "Coach conversations and messages deleted by the retention task (COACH_RETENTION_DAYS), by kind.",
    ["kind"],
)


def record_coach_retention(*, conversations: int, messages: int) -> None:
    COACH_RETENTION_DELETED.labels(kind="conversation").inc(conversations)
    COACH_RETENTION_DELETED.labels(kind="message").inc(messages)


def record_coach_tokens(*, team: str, model: str, tokens: dict[str, int]) -> None:
    for kind, count in tokens.items():
        if count:
            COACH_TOKENS.labels(team=team, model=model, kind=kind).inc(count)


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


# Collectors of an app's own gauges, read at scrape time like StateCollector (trials registers its trial counts
# in trials.apps): observability imports no app, each app reports to it.
STATE_COLLECTORS: list = []


def state_collector_register(collector) -> None:
    """Add a collector (an object with collect()) to what /metrics reads on the web; once per collector class."""
    STATE_COLLECTORS[:] = [c for c in STATE_COLLECTORS if type(c) is not type(collector)] + [collector]


class StateCollector:
    """Gauges read when Prometheus scrapes: the queue depth (Redis), and each registered app's (the database);
    a source that is down is left out."""

    def collect(self):
        for collector in STATE_COLLECTORS:
            yield from collector.collect()
        try:
            depth = queue_depth()
        except Exception:  # noqa: BLE001 - Redis down must not hide the database series
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
