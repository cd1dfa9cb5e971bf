"""Trials train at a lower CPU priority than the web answers: a real prefork worker (as make run starts it) whose
pool process runs WORKER_NICE (10) nicer than its parent, which keeps the priority it was started with."""

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("nice", ["10", "0"])
def test_pool_processes_run_nicer_than_the_worker(nice):
    env = {**os.environ, "MLTRAINER_TEST_RUN": str(settings.MLTRAINER_TEST_RUN), "MLTRAINER_TEST_SERVER": "1"}
    env.update(DJANGO_SETTINGS_MODULE="tests.settings", OMP_NUM_THREADS="1", WORKER_NICE=nice)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "mltrainer_site", "worker", "--concurrency=1", "--loglevel=WARNING",
         "-n", f"nice-{nice}-{os.getpid()}@%h", "--without-mingle", "--without-gossip", "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        parent = psutil.Process(worker.pid)
        expected = min(19, parent.nice() + int(nice))  # 19 is the lowest priority (CI may run the suite nicer)
        deadline = time.monotonic() + 60
        children: list[psutil.Process] = []
        while time.monotonic() < deadline:
            children = parent.children()
            # The child lowers its priority in worker_process_init, once it has started: wait for that.
            if children and all(child.nice() == expected for child in children):
                break
            time.sleep(0.1)
        assert children, "the worker started no pool process"
        assert [child.nice() for child in children] == [expected]
        assert parent.nice() == psutil.Process().nice()
    finally:
        worker.terminate()
        worker.wait(timeout=30)
