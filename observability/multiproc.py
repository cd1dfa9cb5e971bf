"""prometheus_client multiprocess mode: where its files go, and starting each run with none.

Read straight from the environment, importing nothing of ours: used before Django (and mltrainer_site) is set up.
"""

import os
from pathlib import Path


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def ensure_multiprocess_dir() -> None:
    """Create the directory if missing: beat and the migrate job share the setting but mount an empty /tmp, and
    prometheus_client fails at the first metric when the directory is not there."""
    directory = multiprocess_dir()
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)


def clean_multiprocess_dir() -> None:
    """Start from an empty directory. Call once at process start, before any metric exists in this process.

    Files left by a previous run (a restarted container keeps its emptyDir, and PID 1 is PID 1 again) would
    otherwise be read back as this run's values.
    """
    directory = multiprocess_dir()
    if not directory:
        return
    ensure_multiprocess_dir()
    for stale in Path(directory).glob("*.db"):
        stale.unlink(missing_ok=True)
