"""Prometheus in the Celery worker: an exporter in the prefork parent serving what every child counted.

A prefork worker is a parent and its children; trials run (and counters move) in the children. With
PROMETHEUS_MULTIPROC_DIR set, every process writes its values to files there, and the parent serves the sum of
them on WORKER_METRICS_PORT (9808). mltrainer_site/celery.py connects these functions to Celery's signals.

Nothing here may import Django models: `celeryd_init` fires before Django is set up.
"""

import logging
import os

from .multiproc import clean_multiprocess_dir, multiprocess_dir

logger = logging.getLogger(__name__)


def metrics_port() -> int:
    """WORKER_METRICS_PORT: where a Celery worker serves /metrics; 0 turns the worker exporter off."""
    from mltrainer_site.env import env_int  # not at import: mltrainer_site/celery.py imports this module

    return env_int("WORKER_METRICS_PORT", 9808, minimum=0)


def start_worker_exporter(**_signal_kwargs) -> None:
    """celeryd_init: runs once in the parent of a `celery worker`, before the children fork."""
    port = metrics_port()
    if not port:
        return
    if not multiprocess_dir():
        logger.warning(
            "worker metrics are off: set PROMETHEUS_MULTIPROC_DIR so the pool's processes can share their counters"
        )
        return
    clean_multiprocess_dir()
    from prometheus_client import CollectorRegistry, multiprocess, start_http_server

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    try:
        start_http_server(port, registry=registry)
    except OSError as exc:
        # A second worker on a developer's machine: run without metrics rather than not at all.
        logger.warning("worker metrics: cannot listen on port %s (%s)", port, exc)
        return
    logger.info("worker metrics on :%s/metrics (multiprocess directory %s)", port, multiprocess_dir())


def mark_child_dead(pid: int | None = None, **_signal_kwargs) -> None:
    """worker_process_shutdown: drop the exiting child's live gauges from the sum."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())
