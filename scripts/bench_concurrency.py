"""`make bench-load`: many users at once against a throwaway system like `make run`'s, on loopback only.

A fresh system (scripts/benchkit.py: SQLite, or PostgreSQL with BENCH_BACKEND=postgresql; an embedded Redis; the
web server make run starts, WEB_CONCURRENCY processes; a Celery worker of make run's concurrency) gets 1,000 stored
trials in one team, and 20 real trials are submitted so that they run during the load. Then locust
(scripts/locustfile.py) runs, headless and bounded in time:
  1. 50 users browsing and exporting (trial details, the list, a list sorted by a metric, the CSV export of the
     team's 1,000 trials, /healthz) for BENCH_LOAD_SECONDS (60), each user on one keep-alive connection;
  2. the same 50 users reading trial details only, for BENCH_LOAD_DETAIL_SECONDS (20): trial pages per second.
Printed: per request type and in total, requests, failures, p50/p95/p99 and requests per second. Locust runs on
the same 2 cores as the server, so the server gets less than the whole machine. Targets: p95 <= 300 ms, p99 <= 1 s,
0 errors under the mixed load; >= 300 trial details a second.
"""

import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import PYTHON, ROOT, System  # noqa: E402

USERS = int(os.environ.get("BENCH_LOAD_USERS", "50"))
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))
DETAIL_SECONDS = int(os.environ.get("BENCH_LOAD_DETAIL_SECONDS", "20"))
TRIAL = {
    "model": "logistic_regression",
    "params": {"C": 0.5},
    "data": {"symbol": "SPX", "start": "2012-01-01", "end": "2016-12-31", "target": "direction", "horizon": 1},
    "validation": {"scheme": "walk_forward", "folds": 3, "gap": 1},
    "seed": 0,
    "team": "bench",
}


def _locust(system: System, *, token: str, seconds: int, mix: str, trials: list[int], out: Path) -> list[dict]:
    host = system.base
    assert host.startswith("http://127.0.0.1:"), "the load test only ever targets this machine's loopback"
    env = {
        **os.environ,
        "MLTRAINER_BENCH_TOKEN": token,
        "MLTRAINER_BENCH_TRIALS": ",".join(map(str, trials)),
        "MLTRAINER_BENCH_MIX": mix,
    }
    prefix = out / mix
    log = Path(f"{prefix}.log")
    with log.open("w") as errors:
        subprocess.run(
            [PYTHON, "-m", "locust", "-f", str(ROOT / "scripts" / "locustfile.py"), "--headless", "--host", host,
             "--users", str(USERS), "--spawn-rate", str(USERS), "--run-time", f"{seconds}s", "--stop-timeout", "5",
             "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--exit-code-on-error", "0"],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=errors, timeout=seconds + 120,
        )  # fmt: skip
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = list(csv.DictReader(stats))
    if not any(int(row["Request Count"]) for row in rows):  # a user that fails at start sends nothing: say why
        raise SystemExit("locust made no request:\n" + log.read_text()[-3000:])
    return rows


def _print(rows: list[dict]) -> dict:
    print(f"  {'request':<34} {'count':>7} {'fail':>5} {'p50':>7} {'p95':>7} {'p99':>7} {'req/s':>7}")
    total = {}
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all requests"
        print(f"  {name:<34} {row['Request Count']:>7} {row['Failure Count']:>5} {row['50%']:>5}ms {row['95%']:>5}ms "
              f"{row['99%']:>5}ms {float(row['Requests/s']):>7.1f}")  # fmt: skip
        if row["Name"] == "Aggregated":
            total = row
    return total


def main() -> int:
    backend = os.environ.get("BENCH_BACKEND", "sqlite")
    load = os.getloadavg()[0]
    print(f"make bench-load: {USERS} users, {SECONDS} s mixed then {DETAIL_SECONDS} s trial details, on {backend}; "
          f"{os.cpu_count()} cores, load average {load:.1f} at the start (locust shares the cores)")  # fmt: skip
    system = System(backend)
    out = Path(tempfile.mkdtemp(prefix="mltrainer-bench-load-"))
    try:
        print("setting up (migrate, bundled data, catalog, 1,000 stored trials) ...", flush=True)
        system.setup("bench")
        system.manage("bench_load", "--trials", "1000", "--team", "Bench", "--user", "bench")
        system.start_web()
        system.start_worker(concurrency=2)
        client = system.client("bench")
        token = client.headers["Authorization"].removeprefix("Bearer ")
        page = client.get("/api/trials/?team=bench&limit=1000&status=succeeded").json()["results"]
        trials = [trial["id"] for trial in page]
        print(f"web server: {' '.join(Path(a).name for a in system.procs['web'].args)} "
              f"(WEB_CONCURRENCY={system.env.get('WEB_CONCURRENCY', 'default')}, "
              f"WEB_THREADS={system.env.get('WEB_THREADS', 'default: 4')}); worker concurrency 2")  # fmt: skip
        for _ in range(20):  # these run on the worker while the users browse
            client.post("/api/trials/", json=TRIAL).raise_for_status()
        started = time.perf_counter()
        print(f"\n1. {USERS} users browsing and exporting while 20 trials run ({SECONDS} s):", flush=True)
        mixed = _print(_locust(system, token=token, seconds=SECONDS, mix="mixed", trials=trials, out=out))
        print(f"\n2. {USERS} users reading trial details ({DETAIL_SECONDS} s):", flush=True)
        detail = _print(_locust(system, token=token, seconds=DETAIL_SECONDS, mix="detail", trials=trials, out=out))
        done = client.get("/api/trials/?team=bench&status=succeeded&limit=1000").json()["results"]
        print(f"\ntrials that ran meanwhile: {len(done) - len(trials)} of 20 succeeded in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        print(f"mixed load: p95 {mixed['95%']} ms (target <= 300), p99 {mixed['99%']} ms (target <= 1000), "
              f"{mixed['Failure Count']} errors (target 0), {float(mixed['Requests/s']):.0f} requests/s")  # fmt: skip
        print(f"trial details: {float(detail['Requests/s']):.0f} requests/s (target >= 300), p95 {detail['95%']} ms")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        system.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
