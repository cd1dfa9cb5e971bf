"""prometheus_client multiprocess mode, as the Celery worker (prefork children) and web use it."""

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest, multiprocess

REPO = Path(__file__).resolve().parents[2]

RECORD = """
import os, sys
import django
django.setup()
from observability.metrics import record_fetch_failure
for _ in range(int(sys.argv[1])):
    record_fetch_failure("polygon")
"""


def run_process(multiproc_dir: Path, *args: str, code: str = RECORD) -> None:
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir), DJANGO_SETTINGS_MODULE="tests.settings")
    subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, env=env, check=True, timeout=120)


def total_failures(multiproc_dir: Path) -> str:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(multiproc_dir))
    lines = generate_latest(registry).decode().splitlines()
    return next(line for line in lines if line.startswith("mltrainer_data_fetch_failures_total{"))


def test_counts_from_several_processes_are_summed_and_a_missing_directory_is_created(tmp_path):
    directory = tmp_path / "not-yet" / "prometheus"  # beat and the migrate job start with an empty /tmp
    run_process(directory, "2")
    run_process(directory, "3")
    assert total_failures(directory) == 'mltrainer_data_fetch_failures_total{source="polygon"} 5.0'


def test_a_new_run_starts_from_an_empty_directory(tmp_path):
    run_process(tmp_path, "4")
    clean = "from observability.multiproc import clean_multiprocess_dir; clean_multiprocess_dir()"
    run_process(tmp_path, code=clean)
    assert list(tmp_path.glob("*.db")) == []
    run_process(tmp_path, "1")
    assert total_failures(tmp_path) == 'mltrainer_data_fetch_failures_total{source="polygon"} 1.0'
