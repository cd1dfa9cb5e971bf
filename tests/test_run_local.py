"""`make run` (scripts/run_local.py) starts without surprises: a second instance on the same var/ and a busy port
each stop it in the first second, in one line, before anything is touched; setup is skipped when nothing it
depends on changed."""

import fcntl
import importlib.util
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "run_local.py"


def run_local(var: Path, **env) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG")}
    environ.update(MLTRAINER_VAR_DIR=str(var), **env)
    return subprocess.run([sys.executable, str(SCRIPT)], env=environ, capture_output=True, text=True, timeout=30)


def test_a_second_instance_stops_at_once_and_touches_nothing(tmp_path):
    (tmp_path / "redis.sock").write_text("the first instance's socket")
    with (tmp_path / "run.lock").open("a+") as held:  # what the first instance holds while it runs
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        held.write("4242")
        held.flush()
        started = time.monotonic()
        done = run_local(tmp_path, PORT="1")
        elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert (
        done.stderr
        == f"make run: another make run (pid 4242) is using {tmp_path}; stop it first (Ctrl-C in its terminal)\n"
    )
    assert done.stdout == ""
    assert elapsed < 5
    assert (tmp_path / "redis.sock").read_text() == "the first instance's socket"  # not deleted
    assert sorted(p.name for p in tmp_path.iterdir()) == ["redis.sock", "run.lock"]


def test_a_busy_port_stops_it_in_the_first_second(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        started = time.monotonic()
        done = run_local(tmp_path, PORT=str(port))
        elapsed = time.monotonic() - started
    assert done.returncode == 1
    assert done.stderr == (
        f"make run: port {port} on 127.0.0.1 is in use; stop what uses it or choose another: PORT=8001 make run\n"
    )
    assert elapsed < 5
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.lock"]  # no keys, no database, no Redis


def test_a_bad_port_is_named(tmp_path):
    done = run_local(tmp_path, PORT="eighty")
    assert (done.returncode, done.stderr) == (1, "make run: PORT must be a port number from 1 to 65535, got 'eighty'\n")


@pytest.fixture
def script():
    spec = importlib.util.spec_from_file_location("run_local_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_setup_runs_only_when_what_it_depends_on_changed(script, tmp_path):
    root, var = tmp_path / "checkout", tmp_path / "var"
    (root / "trials" / "migrations").mkdir(parents=True)
    (root / "requirements.txt").write_text("Django==5.2.19\n")
    migration = root / "trials" / "migrations" / "0001_initial.py"
    migration.write_text("# one\n")
    var.mkdir()
    first = script.fingerprint({}, root=root, var=var)
    assert script.fingerprint({}, root=root, var=var) == first
    migration.write_text("# two\n")
    assert script.fingerprint({}, root=root, var=var) != first
    assert script.fingerprint({"DATABASE_URL": "postgres://db/x"}, root=root, var=var) != first
    # The checkout's own inputs: up to date once the stamp matches and the database exists.
    assert script.setup_needed({}, var=var)  # no database yet
    (var / "db.sqlite3").write_text("")
    (var / "setup.fingerprint").write_text(script.fingerprint({}, var=var))
    assert not script.setup_needed({}, var=var)
    (var / "setup.fingerprint").write_text("something older")
    assert script.setup_needed({}, var=var)


def test_the_worker_make_run_starts_prints_no_banner_over_the_demo_login(script):
    """The demo login is printed once everything is started; the worker's ~40-line Celery banner used to push it
    off screen, so the worker runs with --quiet. Started here for real, until it answers a ping."""
    from django.conf import settings

    from mltrainer_site.celery import app as celery_app

    command = [*script.worker_command(concurrency=1), "-n", "quiet-check@%h", "--without-mingle", "--without-gossip"]
    env = {**os.environ, "MLTRAINER_TEST_RUN": str(settings.MLTRAINER_TEST_RUN), "MLTRAINER_TEST_SERVER": "1"}
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        name = f"quiet-check@{socket.gethostname()}"
        while not celery_app.control.ping(destination=[name], timeout=0.5):
            assert time.monotonic() < deadline and worker.poll() is None, "the worker did not start"
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=60)
    assert "quiet-check@" in output and " ready." in output  # its output was read
    assert "[config]" not in output and "[queues]" not in output and ".> app:" not in output, output
