"""`make bench`, part 1: the figures of issue 13's table, measured on a throwaway system like `make run`'s.

For each database (SQLite; PostgreSQL too when 127.0.0.1:5432 answers) a fresh system (scripts/benchkit.py) with
production settings (DEBUG=0, plain HTTP) gets 1,000 stored trials in one team and 10,000 in another
(`manage.py bench_load`), then:
  start to serving      the web server of make run, from its start to /healthz answering 200 (best of 3)
  submissions/s         N sequential POST /api/trials/ (a logistic regression on SPX), one keep-alive connection
  list 1,000 trials     GET /api/trials/?limit=1000 (one page, metrics included)
  get one trial         GET /api/trials/{id}/ of a trial with five folds
  export 1,000 trials   GET /api/trials/export.csv, the whole body read
  export first byte     the same export of the 10,000-trial team, streamed: time to its first byte (and the web
                        server's RSS before it and at its peak while it streams)
  dashboard, 10,000     GET /?team=bench-10k as a logged-in browser (session cookie): the 10,000-trial team
  memory                RSS (and PSS) of the web server (one process, restarted and given the list, export and
                        detail requests again), one Celery worker (concurrency 1) and Redis, after one real trial
                        run by the worker; and the same with make run's two web processes
The client is httpx.Client: HTTP/1.1, one keep-alive connection reused for every request of a figure (as a
requests.Session or MlflowClient does). Times are medians (p95 shown) of the repeated calls.
Then, with SQLite only, `make run` itself (scripts/run_local.py in a temporary var/ on a free port): the second
start to serving and Ctrl-C to every process stopped.
Targets are printed next to the figures; nothing here fails on a missed target.
"""

import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import PYTHON, ROOT, System, free_port, postgres_reachable, tree_memory, wait_http  # noqa: E402

SUBMISSIONS = int(os.environ.get("BENCH_SUBMISSIONS", "300"))
TRIAL = {
    "model": "logistic_regression",
    "params": {"C": 0.5},
    "data": {"symbol": "SPX", "start": "2012-01-01", "end": "2016-12-31", "target": "direction", "horizon": 1},
    "validation": {"scheme": "walk_forward", "folds": 3, "gap": 1},
    "seed": 0,
}
MiB = 2**20


def _timed(call, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    return samples


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"{statistics.median(samples) * 1000:8.1f} ms (p95 {p95 * 1000:.1f}, n={len(samples)})"


def measure(backend: str) -> dict:
    """Every figure on one database; returns {figure: (text, value, target check)}."""
    system = System(backend)
    figures: dict[str, tuple[str, bool | None]] = {}
    try:
        print(f"[{backend}] setting up (migrate, bundled data, catalog, 11,000 stored trials) ...", flush=True)
        system.setup("bench", "bench10k", "submitter")
        system.manage("bench_load", "--trials", "1000", "--team", "Bench 1k", "--user", "bench")
        system.manage("bench_load", "--trials", "10000", "--team", "Bench 10k", "--user", "bench10k")

        starts = []
        for _ in range(3):
            starts.append(system.start_web())
            system.stop_web()
        serving = system.start_web()
        starts.append(serving)
        each = ", ".join(f"{s:.2f}" for s in starts)
        figures["start to serving (/healthz)"] = (
            f"{min(starts):8.2f} s (best of {len(starts)}: {each})",
            min(starts) <= 1,
        )

        client = system.client("bench")
        submitter = system.client("submitter")
        payload = {**TRIAL, "team": "bench"}
        for _ in range(10):  # warm-up: first requests of each worker process import and connect
            submitter.post("/api/trials/", json=payload).raise_for_status()
        created = []
        t0 = time.perf_counter()
        for _ in range(SUBMISSIONS):
            response = submitter.post("/api/trials/", json=payload)
            if response.status_code != 201:
                raise SystemExit(f"submission answered {response.status_code}: {response.text[:300]}")
            created.append(response.json()["id"])
        elapsed = time.perf_counter() - t0
        rate = SUBMISSIONS / elapsed
        figures["trial submissions/s (POST /api/trials/)"] = (
            f"{rate:8.1f} /s ({elapsed / SUBMISSIONS * 1000:.1f} ms each, {SUBMISSIONS} sequential)",
            rate >= 200,
        )
        for trial_id in created:  # nothing of these must train while memory is measured
            submitter.post(f"/api/trials/{trial_id}/cancel/").raise_for_status()

        def listing():
            body = client.get("/api/trials/?team=bench-1k&limit=1000").json()
            assert len(body["results"]) == 1000 and any("sharpe" in t["metrics"] for t in body["results"])

        for _ in range(3):
            listing()
        samples = _timed(listing, 20)
        figures["list 1,000 trials with metrics (one page)"] = (_ms(samples), statistics.median(samples) <= 0.100)

        one = client.get("/api/trials/?team=bench-1k&limit=1&status=succeeded").json()["results"][0]["id"]
        assert len(client.get(f"/api/trials/{one}/").json()["folds"]) == 5
        samples = _timed(lambda: client.get(f"/api/trials/{one}/").raise_for_status(), 300)
        figures["get one trial"] = (_ms(samples), statistics.median(samples) <= 0.004)

        def export():
            text = client.get("/api/trials/export.csv?team=bench-1k").text
            assert text.count("\n") == 1001

        export()
        samples = _timed(export, 20)
        figures["export 1,000 trials as CSV"] = (_ms(samples), statistics.median(samples) <= 0.100)

        def first_byte(path: str, process: psutil.Process) -> tuple[float, float, int, int, int]:
            """Seconds to the first byte and to the last of a streamed export, and the web server's RSS before
            and at its peak while the export streamed (sampled at every chunk)."""
            before = peak = tree_memory(process)[0]
            started = time.perf_counter()
            first = None
            lines = 0
            with big.stream("GET", path) as answer:
                for chunk in answer.iter_raw():
                    first = time.perf_counter() - started if first is None else first
                    lines += chunk.count(b"\n")
                    peak = max(peak, tree_memory(process)[0])
            return first or 0.0, time.perf_counter() - started, before, peak, lines

        big = system.client("bench10k")
        web = psutil.Process(system.procs["web"].pid)
        first_byte("/api/trials/export.csv?team=bench-10k", web)
        runs = [first_byte("/api/trials/export.csv?team=bench-10k", web) for _ in range(5)]
        assert all(run[4] == 10001 for run in runs)
        firsts = [run[0] for run in runs]
        figures["export first byte (10,000 trials, streamed)"] = (
            f"{_ms(firsts)}; whole file {statistics.median(r[1] for r in runs) * 1000:.0f} ms",
            statistics.median(firsts) <= 0.100,
        )
        figures["(memory) web server RSS during that export"] = (
            f"{max(r[2] for r in runs) / MiB:8.0f} MiB before, {max(r[3] for r in runs) / MiB:.0f} MiB at the peak",
            None,
        )

        browser = system.browser("bench10k")
        # bench10k is also in team Bench, whose submitted trials are newer: the page of the 10,000-trial team.
        assert "bench_load #10000" in browser.get("/?team=bench-10k").text
        samples = _timed(lambda: browser.get("/?team=bench-10k").raise_for_status(), 50)
        figures["dashboard page, 10,000 trials"] = (_ms(samples), statistics.median(samples) <= 0.050)

        samples = _timed(lambda: client.get("/healthz").raise_for_status(), 100)
        figures["(reference) GET /healthz"] = (_ms(samples), None)

        two = {name: system.memory(name) for name in ("web",)}["web"]
        # The figure is one web process serving and one worker: restart the web server with one process and
        # give it the same requests again, so it holds what serving them leaves behind.
        system.stop_web()
        system.start_web(processes=1)
        client = system.client("bench")
        for _ in range(3):
            listing()
            export()
            client.get(f"/api/trials/{one}/").raise_for_status()
        system.start_worker(concurrency=1)
        trial = client.post("/api/trials/", json={**TRIAL, "team": "bench"}).json()
        deadline = time.time() + 600
        status = trial["status"]
        while status not in ("succeeded", "failed", "cancelled", "rejected") and time.time() < deadline:
            time.sleep(0.2)
            status = client.get(f"/api/trials/{trial['id']}/").json()["status"]
        if status != "succeeded":
            raise SystemExit(f"the memory figure's trial ended {status}")
        time.sleep(1)
        parts = {name: system.memory(name) for name in ("web", "worker", "redis")}
        rss = sum(r for r, _ in parts.values())
        pss = sum(p for _, p in parts.values())
        detail = ", ".join(f"{name} {r / MiB:.0f}" for name, (r, _) in parts.items())
        figures["memory: web + worker + Redis, after load"] = (
            f"{rss / MiB:8.0f} MiB RSS ({detail}); PSS {pss / MiB:.0f} MiB",
            rss <= 500 * MiB,
        )
        figures["(memory) the same with make run's 2 web processes"] = (
            f"{(rss - parts['web'][0] + two[0]) / MiB:8.0f} MiB RSS (web {two[0] / MiB:.0f}, PSS {two[1] / MiB:.0f})",
            None,
        )
    except BaseException:
        print(f"[{backend}] failed; the servers' last errors:\n{system.errors()}", flush=True)
        raise
    finally:
        system.stop()
    return figures


def _group_pids(process: psutil.Process) -> set[int]:
    return {process.pid, *(child.pid for child in process.children(recursive=True))}


def _running(pid: int) -> bool:
    """The process exists and is not a zombie (it may end between the two questions)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def measure_make_run() -> dict:
    """`make run` twice in a fresh var/ (the second start is what a developer waits for), and Ctrl-C."""
    var = Path(tempfile.mkdtemp(prefix="mltrainer-bench-run-"))
    port = free_port()
    env = {**os.environ, "MLTRAINER_VAR_DIR": str(var), "PORT": str(port)}
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_QUEUE", "DEBUG"):
        env.pop(name, None)
    make = ["make", "--no-print-directory", "run"]
    installed = subprocess.run(["make", "-q", "install"], cwd=ROOT, capture_output=True).returncode == 0
    command = make if installed else [PYTHON, "scripts/run_local.py"]
    figures = {}
    log = open(var / "make-run.log", "ab")  # noqa: SIM115
    try:
        for attempt in ("first", "second"):
            started = time.perf_counter()
            proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
            serving = wait_http(f"http://127.0.0.1:{port}/healthz", timeout=900, interval=0.05, since=started)
            time.sleep(5)  # let the worker and beat finish booting, as they would have by the time one presses Ctrl-C
            pids = _group_pids(psutil.Process(proc.pid))
            stopping = time.perf_counter()
            os.killpg(proc.pid, signal.SIGINT)  # what the terminal sends the foreground process group
            while any(_running(pid) for pid in pids):
                if time.perf_counter() - stopping > 120:
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
                time.sleep(0.05)
            proc.wait()
            stopped = time.perf_counter() - stopping
            second = attempt == "second"
            figures[f"{attempt} make run to serving"] = (f"{serving:8.1f} s", serving <= 5 if second else None)
            figures[f"Ctrl-C to everything stopped ({attempt} run)"] = (f"{stopped:8.1f} s ({len(pids)} processes)",
                                                                          stopped <= 3)  # fmt: skip
    finally:
        log.close()
        subprocess.run(["rm", "-rf", str(var)])
    how = "make run" if installed else "scripts/run_local.py (make run's install step was not up to date)"
    print(f"[make run] measured with {how}")
    return figures


TARGETS = {
    "start to serving (/healthz)": "<= 1 s",
    "trial submissions/s (POST /api/trials/)": ">= 200/s",
    "list 1,000 trials with metrics (one page)": "<= 100 ms",
    "get one trial": "<= 4 ms",
    "export 1,000 trials as CSV": "<= 100 ms",
    "export first byte (10,000 trials, streamed)": "< 100 ms",
    "memory: web + worker + Redis, after load": "<= 500 MB",
    "dashboard page, 10,000 trials": "<= 50 ms",
    "second make run to serving": "<= 5 s",
    "Ctrl-C to everything stopped (second run)": "<= 3 s",
}


def main() -> int:
    load = os.getloadavg()
    import run_local

    server = " ".join(Path(arg).name for arg in run_local.web_command(port=0))
    print(f"mlTrainer figures (issue 13): {os.cpu_count()} cores, load average {load[0]:.1f} at the start")
    print(f"web server (as make run): {server}, WEB_CONCURRENCY=2 (the memory figure: 1)")
    print("client: httpx.Client, HTTP/1.1 keep-alive (one connection reused); server: DEBUG=0, plain HTTP, "
          "RATE_SUBMISSIONS_PER_USER=0, logs to a file")  # fmt: skip
    backends = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    backends = [b for b in backends if b in os.environ.get("BENCH_BACKENDS", "sqlite,postgresql").split(",")]
    results = {}

    def show(where: str, figures: dict) -> None:
        print(f"--- {where}", flush=True)
        for name, (text, met) in figures.items():
            verdict = "" if met is None else ("met" if met else "NOT met")
            target = TARGETS.get(name, "")
            print(f"  {name:<46} {text:<58} {target:>10} {verdict}", flush=True)

    for backend in backends:  # each backend's figures as soon as they are measured, and all of them at the end
        results[backend] = measure(backend)
        show(backend, results[backend])
    if os.environ.get("BENCH_SKIP_MAKE_RUN") != "1":
        results["make run (SQLite)"] = measure_make_run()
    print("\nAll figures:")
    for where, figures in results.items():
        show(where, figures)
    print(f"load average at the end: {os.getloadavg()[0]:.1f} (other work on this machine slows every figure)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
