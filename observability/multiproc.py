"""prometheus_client multiprocess mode: where its files go, and starting each run with none.

Read straight from the environment and free of Django models: used before Django is set up.
"""

import os
from pathlib import Path

from mltrainer_site.env import env_int


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def metrics_port() -> int:
    """WORKER_METRICS_PORT: where a Celery worker serves /metrics; 0 turns the worker exporter off."""
    return env_int("WORKER_METRICS_PORT", 9808, minimum=0)


def clean_multiprocess_dir() -> None:
    """Start from an empty directory. Call once at process start, before any metric exists in this process.

    Files left by a previous run (a restarted container keeps its emptyDir, and PID 1 is PID 1 again) would
    otherwise be read back as this run's values.
    """
    directory = multiprocess_dir()
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink(missing_ok=True)
