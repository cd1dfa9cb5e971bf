"""`make bench-scale`: the scale figures of issue 13 on PostgreSQL, in a bench database of its own.

1. Loads BENCH_SCALE_TRIALS (default 1,000,000) finished trials with `manage.py bench_load` into the database
   `mltrainer_bench_scale` (created when missing; a second run reuses the rows already loaded). Never the dev one.
2. Times the dashboard's first page, the lists filtered by status, by model and by a metric range and the sorts by
   a metric (median of 7, in process through Django's test client, as a logged-in member), each with the EXPLAIN
   (ANALYZE) of its queries: the nodes and indexes used, and any sequential scan.
3. Exports all trials as CSV in a fresh process: rows a second, and the process's peak RSS after 10k, 100k and 1M
   rows.
4. Predictions: writing 4,000 (one compressed row), streaming one trial's predictions.csv against
   pandas.DataFrame.to_csv of the same frame, and the compare view's overlaid equity of 10 trials.
5. A 100-worker simulation: the broker's run_trial round trips a second, and 100 simulated workers (threads
   sharing a bounded connection pool, as PgBouncer would) claiming and finishing trials as fast as the database
   lets them (no training): trial writes a second, claim latency, connections, and the CPU that PostgreSQL and
   the simulated workers each spend on a trial (the workers share this machine's cores with the database; on
   Kubernetes they run elsewhere, so the database's own CPU per trial says how far one PostgreSQL goes).

Environment: BENCH_SCALE_TRIALS, BENCH_POSTGRES_URL (the server's admin URL, default postgres://postgres@127.0.0.1:
5432/postgres), BENCH_SCALE_SIM_SECONDS (default 20), BENCH_SCALE_SIM_CONNECTIONS (default 20).
"""

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "mltrainer_bench_scale"
ADMIN_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TRIALS = int(os.environ.get("BENCH_SCALE_TRIALS", "1000000"))
SIM_SECONDS = float(os.environ.get("BENCH_SCALE_SIM_SECONDS", "20"))
SIM_CONNECTIONS = int(os.environ.get("BENCH_SCALE_SIM_CONNECTIONS", "20"))
EXPORT_MAX_SECONDS = float(os.environ.get("BENCH_SCALE_EXPORT_MAX_SECONDS", "0"))  # 0: the whole export
SIM_WORKERS = 100
QUEUE = "mltrainer-bench-scale"


def bench_url() -> str:
    parts = urlsplit(ADMIN_URL)
    return urlunsplit(parts._replace(path=f"/{DB_NAME}"))


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            admin.execute(f'CREATE DATABASE "{DB_NAME}"')


def setup_django(pool_size: int, *, debug: bool = True) -> None:
    """Django on the bench database. debug=False: production settings, as a worker runs (DEBUG on records every
    query, which the lists read in process through the test client don't mind and a simulated worker would)."""
    if not debug:
        os.environ.setdefault("SECRET_KEY", "bench-only-key-" + os.urandom(24).hex())
    os.environ.update(
        DATABASE_URL=bench_url(),
        DB_POOL_MAX_SIZE=str(pool_size),
        CELERY_QUEUE=QUEUE,
        DEBUG="1" if debug else "0",
        LOG_LEVEL="WARNING",
        RATE_SUBMISSIONS_PER_USER="0",
    )
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mltrainer_site.settings")
    import django

    django.setup()


CPU_MS: list[float] = []  # the last median_ms's median CPU time of this process (what a loaded machine inflates least)


def median_ms(call, runs: int = 7) -> tuple[float, list[float]]:
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    CPU_MS[:] = [statistics.median(cpu)]
    return statistics.median(times), times


# --- 1. Load -----------------------------------------------------------------------------------------------------


def load() -> "object":
    from django.core.management import call_command

    from accounts.models import Membership, Team, User
    from trials.models import Trial

    call_command("migrate", verbosity=0)
    user = User.objects.filter(username="bench").first() or User.objects.create_user("bench", password="bench-pw-1")
    team = Team.objects.filter(name="Bench load").first()
    have = Trial.objects.filter(team=team).count() if team else 0
    if have < TRIALS:
        print(f"loading {TRIALS - have:,} trials into {DB_NAME} (have {have:,}) ...", flush=True)
        started = time.perf_counter()
        call_command("bench_load", trials=TRIALS - have, user="bench", stdout=_Every(10))
        print(f"loaded in {time.perf_counter() - started:.0f} s", flush=True)
    else:
        print(f"{DB_NAME} already holds {have:,} bench trials: reusing them")
    team = Team.objects.get(name="Bench load")
    Membership.objects.get_or_create(user=user, team=team, defaults={"role": "owner"})
    return user


class _Every:
    """bench_load's progress lines, one in `every`."""

    def __init__(self, every: int):
        self.every, self.seen = every, 0

    def write(self, text: str) -> None:
        if text.startswith("loaded") or self.seen % self.every == 0:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()
        self.seen += 1

    def flush(self) -> None:
        sys.stdout.flush()


# --- 2. Lists with their EXPLAIN ---------------------------------------------------------------------------------


def _plan_summary(sql: str, params) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) {sql}", params)
        lines = [row[0] for row in cursor.fetchall()]
    keep = []
    for line in lines:
        text = line.strip().lstrip("-> ").strip()
        if any(word in text for word in ("Scan", "Limit", "Sort", "Join", "Nested Loop", "Execution Time")):
            keep.append(text[:150])
    return keep


def lists(user) -> list[tuple[str, float]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    cases = [
        ("dashboard, first page (newest)", "/"),
        ("dashboard sorted by sharpe", "/?sort=-sharpe"),
        ("dashboard sorted by max_drawdown (asc.)", "/?sort=max_drawdown"),
        ("dashboard by sharpe, page 200 (the cap)", "/?sort=-sharpe&page=200"),
        ("dashboard, status failed", "/?status=failed"),
        ("dashboard, model knn_classifier", "/?model=knn_classifier"),
        ("dashboard, model + sort -sharpe", "/?model=lightgbm_classifier&sort=-sharpe"),
        ("API list, first page", "/api/trials/"),
        ("API list, status=failed", "/api/trials/?status=failed"),
        ("API list, model=knn_classifier", "/api/trials/?model=knn_classifier"),
        ("API list, sharpe in [1.5, 1.6]", "/api/trials/?metric=sharpe&metric_min=1.5&metric_max=1.6"),
        ("API list, sort -sharpe", "/api/trials/?sort=-sharpe"),
        ("API list, sort max_drawdown", "/api/trials/?sort=max_drawdown"),
        ("API list, model + sort -sharpe", "/api/trials/?model=lightgbm_classifier&sort=-sharpe"),
    ]
    figures = []
    print("\nlists on", f"{TRIALS:,}", "trials (median of 7, in process, logged in; target < 200 ms):")
    for label, url in cases:
        response = client.get(url)
        if response.status_code != 200:
            print(f"  {label:<40} {url}: HTTP {response.status_code} {response.content[:200]!r}")
            continue
        ms, _ = median_ms(lambda url=url: client.get(url))
        figures.append((label, ms))
        print(f"  {label:<40} {ms:8.1f} ms ({CPU_MS[0]:6.1f} ms CPU)   {'met' if ms < 200 else 'NOT met'}   GET {url}")
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        for query in captured.captured_queries:
            sql = query["sql"]
            if "trials_trial" not in sql or not sql.lstrip().upper().startswith("SELECT"):
                continue
            plan = _plan_summary(sql, None)
            scans = [line for line in plan if "Seq Scan" in line and "trials_" in line]
            print(f"      {query['time']}s  {sql[:110]}...")
            for line in plan:
                print(f"        {line}")
            if scans:
                print("        ^ SEQUENTIAL SCAN on a trials table")
    return figures


# --- 3. Export in a fresh process --------------------------------------------------------------------------------


def export_child() -> None:
    """Run in a fresh process: stream the whole CSV export and report rate and peak RSS at 10k/100k/1M rows."""
    import resource

    setup_django(pool_size=0)
    from django.test import Client

    from accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username="bench"))
    marks = {10_000, 100_000, 1_000_000, TRIALS}
    started = time.perf_counter()
    response = client.get("/api/trials/export.csv")
    rows = -1  # the header
    size = 0
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        size += len(chunk)
        for mark in sorted(marks):
            if rows >= mark:
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                elapsed = time.perf_counter() - started
                print(f"  {mark:>9,} rows  {elapsed:7.1f} s  {mark / elapsed:9,.0f} rows/s  peak RSS {peak:6.1f} MiB")
                marks.discard(mark)
        if EXPORT_MAX_SECONDS and time.perf_counter() - started > EXPORT_MAX_SECONDS:
            print(f"  stopped after BENCH_SCALE_EXPORT_MAX_SECONDS={EXPORT_MAX_SECONDS:.0f}")
            break
    elapsed = time.perf_counter() - started
    print(f"  all {rows:,} rows, {size / 2**20:,.0f} MiB of CSV in {elapsed:.1f} s: {rows / elapsed:,.0f} rows/s")


# --- 4. Predictions ----------------------------------------------------------------------------------------------


def predictions(user) -> None:
    import numpy as np
    import pandas as pd
    from django.db import transaction
    from django.test import Client

    from trials import prediction_codec, selectors
    from trials.exports import prediction_csv_chunks
    from trials.models import Trial, TrialPredictions
    from trials.services import _predictions_insert
    from trials.tearsheet import compare_curves

    rng = np.random.default_rng(0)
    n = 4000
    dates = pd.bdate_range("2003-01-01", periods=n, tz="UTC")
    proba = rng.random(n)
    position = (proba > 0.5).astype(float)
    returns = rng.normal(0.0003, 0.01, n)
    frame = pd.DataFrame(
        {
            "y_true": (returns > 0).astype(float),
            "y_pred": position,
            "proba": proba,
            "position": position,
            "strategy_return": position * returns,
            "cost": np.where(np.diff(position, prepend=0) != 0, 0.0005, 0.0),
        },
        index=dates,
    )
    frame["net_return"] = frame["strategy_return"] - frame["cost"]
    frame["equity"] = (1 + frame["net_return"]).cumprod()
    frame = frame[list(prediction_codec.COLUMNS)]
    picked = Trial.objects.filter(team__name="Bench load", status="succeeded").order_by("id")[:31]
    ids = list(picked.values_list("pk", flat=True))
    trials = list(Trial.objects.filter(pk__in=ids).order_by("id"))
    TrialPredictions.objects.filter(trial_id__in=ids).delete()
    fresh = iter(trials[10:])

    def write():
        with transaction.atomic():
            _predictions_insert(next(fresh), frame)

    ms, _ = median_ms(write, runs=21)
    cpu = CPU_MS[0]
    size = TrialPredictions.objects.get(trial=trials[10]).blob
    print(f"\npredictions: write 4,000 (encode + one INSERT, committed), median of 21:  {ms:6.2f} ms wall, "
          f"{cpu:.2f} ms CPU of this process ({len(bytes(size)) / 1024:.0f} KiB; target < 10 ms: "
          f"{'met' if ms < 10 else 'NOT met'})")  # fmt: skip
    ids, trials = ids[:10], trials[:10]
    _predictions_insert(trials[0], frame)
    for trial in trials[1:]:
        _predictions_insert(trial, frame.assign(net_return=frame["net_return"] * rng.uniform(0.5, 1.5)))

    def stream():  # what the predictions.csv view streams: the selector, then the column-wise CSV
        return "".join(prediction_csv_chunks(selectors.prediction_frame(trial=trials[0])))

    ours, _ = median_ms(stream, runs=11)
    ours_cpu = CPU_MS[0]
    theirs, _ = median_ms(lambda: frame.to_csv(), runs=11)
    theirs_cpu = CPU_MS[0]
    client = Client()
    client.force_login(user)
    url = f"/api/trials/{trials[0].pk}/predictions.csv"
    http, _ = median_ms(lambda: b"".join(client.get(url).streaming_content), runs=11)
    verdict = "met" if ours <= theirs else "NOT met"
    print(f"predictions.csv of 4,000 rows: selector + CSV {ours:6.1f} ms, through the API {http:6.1f} ms; "
          f"pandas.DataFrame.to_csv {theirs:6.1f} ms ({verdict}: at least pandas' speed); CPU {ours_cpu:.1f} ms "
          f"against {theirs_cpu:.1f} ms")  # fmt: skip

    def curves():
        columns = selectors.prediction_columns(trial_ids=ids, columns=("strategy_return",))
        return compare_curves({str(pk): columns[pk]["strategy_return"] for pk in ids})

    ms, _ = median_ms(curves, runs=11)
    print(f"compare view's overlaid equity and drawdown, 10 trials × 4,000 bars: {ms:6.1f} ms ({CPU_MS[0]:.1f} ms CPU) "
          f"(target < 100 ms: {'met' if ms < 100 else 'NOT met'})")  # fmt: skip


# --- 5. 100 workers ------------------------------------------------------------------------------------------------


def broker_rate(seconds: float = 8.0) -> None:
    from kombu import Connection

    from mltrainer_site.celery import app  # the project's app: Celery is imported at the first send, not before
    from trials.queue import _send

    url = app.conf.broker_url
    with Connection(url) as connection:
        connection.default_channel.queue_purge(QUEUE)
    sent = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds / 2:
        _send("trials.tasks.run_trial", 0)
        sent += 1
    send_rate = sent / (time.perf_counter() - started)

    received = [0]
    stop = threading.Event()

    def consume():
        with Connection(url) as connection:
            queue = connection.SimpleQueue(QUEUE, no_ack=False)
            while not stop.is_set():
                try:
                    message = queue.get(timeout=0.5)
                except queue.Empty:
                    return
                message.ack()
                received[0] += 1

    threads = [threading.Thread(target=consume) for _ in range(8)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds)
    stop.set()
    take_rate = received[0] / (time.perf_counter() - started)
    print(f"\nbroker (one Redis): run_trial sends {send_rate:,.0f}/s from one process; "
          f"get + ack {take_rate:,.0f}/s with 8 consumer threads ({received[0]:,} of {sent:,})")  # fmt: skip


SIM_PROCESSES = 4  # 100 worker slots as 4 processes of 25 threads: one process would measure its GIL, not the database


def sim_child(threads: int, seconds: float, pool: int) -> None:
    """One process of the simulation (run by simulate_workers): `threads` worker slots sharing a psycopg pool of
    `pool` connections; prints its counts as JSON."""
    import json

    setup_django(pool_size=pool, debug=False)
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imported now, as a worker that has run a trial has: a finish reverses URLs
    import numpy as np
    import pandas as pd
    from django.db import connection, transaction
    from django.utils import timezone

    from trials import prediction_codec
    from trials.metric_index import metrics_index
    from trials.models import Trial
    from trials.services import _finish, _predictions_insert, trial_claim

    dates = pd.bdate_range("2003-01-01", periods=4000, tz="UTC")
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({name: rng.normal(0, 0.01, 4000) for name in prediction_codec.COLUMNS}, index=dates)
    metrics = {"accuracy": 0.52, "sharpe": 0.4, "max_drawdown": -0.2, "annual_return": 0.05}
    done, claims, errors = [0], [], []
    lock = threading.Lock()
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            try:
                started = time.perf_counter()
                trial = trial_claim(hint=0)
                claimed = time.perf_counter() - started
                connection.close()  # back to the pool between transactions, as PgBouncer's transaction mode does
                if trial is None:
                    return
                for fold in range(5):
                    Trial.objects.filter(pk=trial.pk, status="running").update(
                        folds=[{"fold": fold}], progress=(fold + 1) / 5, heartbeat_at=timezone.now()
                    )
                    connection.close()
                with transaction.atomic():
                    _predictions_insert(trial, frame)
                    trial.metrics = metrics
                    metrics_index(trials=[trial])
                    _finish(trial, status="succeeded", progress=1.0, metrics=metrics)
                connection.close()
                with lock:
                    done[0] += 1
                    claims.append(claimed)
            except Exception as exc:  # noqa: BLE001 - counted and printed: where it breaks is the figure
                with lock:
                    errors.append(f"{type(exc).__name__}: {str(exc)[:160]}")
                connection.close()
                time.sleep(0.05)

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    cpu = time.process_time()
    for thread in workers:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in workers:
        thread.join(timeout=30)
    cpu = time.process_time() - cpu
    print(json.dumps({"done": done[0], "claims": claims, "errors": errors[:3], "error_count": len(errors), "cpu": cpu}))


def _postgres_cpu(seen: dict[int, float]) -> None:
    """Each PostgreSQL server process's CPU seconds so far, into `seen` by pid: read often, since a backend's time
    is gone once it exits."""
    import psutil

    for proc in psutil.process_iter(["name", "cpu_times"]):
        times = proc.info["cpu_times"]
        if proc.info["name"] == "postgres" and times is not None:
            seen[proc.pid] = times.user + times.system


def simulate_workers() -> None:
    """SIM_WORKERS worker slots (SIM_PROCESSES processes of threads) running trials with no training: each claims
    (the fair pick under the advisory lock), writes five fold progresses with the heartbeat, then the result (the
    predictions blob, the metric rows and the final move, one transaction). They share SIM_CONNECTIONS connections
    in all, as 100 workers behind PgBouncer share its server pool."""
    import json

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import Team
    from trials import lifecycle
    from trials.models import Trial

    teams = [Team.objects.get_or_create(name=f"Sim {k}", slug=f"sim-{k}")[0] for k in range(4)]
    Trial.objects.filter(team__in=teams).delete()
    spec = dict(model_key="logistic_regression", family="linear", target="direction",
                data={"symbol": "SPX", "start": "2012-01-01", "end": "2016-12-31", "horizon": 1},
                validation={"scheme": "walk_forward", "folds": 5, "gap": 1})  # fmt: skip
    queued = 5000
    now = timezone.now()
    for k in range(queued):  # 70 % one team's backlog, the rest three others'
        lifecycle.trial_insert(status="queued", team=teams[0 if k < queued * 0.7 else k % 4], enqueued_at=now, **spec)
    per_process = SIM_WORKERS // SIM_PROCESSES
    pool = max(1, SIM_CONNECTIONS // SIM_PROCESSES)
    command = [sys.executable, __file__, "--sim-child", str(per_process), str(SIM_SECONDS), str(pool)]
    before: dict[int, float] = {}
    _postgres_cpu(before)
    seen = dict(before)
    started = time.perf_counter()
    children = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(SIM_PROCESSES)]
    peak_connections = 0
    while any(child.poll() is None for child in children):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [DB_NAME])
            peak_connections = max(peak_connections, cursor.fetchone()[0])
        _postgres_cpu(seen)
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    postgres_cpu = sum(total - before.get(pid, 0.0) for pid, total in seen.items())
    results = [json.loads(child.stdout.read().strip().splitlines()[-1]) for child in children]
    done = sum(r["done"] for r in results)
    claims = sorted(c for r in results for c in r["claims"])
    errors = [e for r in results for e in r["errors"]]
    error_count = sum(r["error_count"] for r in results)
    rate = done / SIM_SECONDS
    p50 = claims[len(claims) // 2] * 1000 if claims else float("nan")
    p99 = claims[int(len(claims) * 0.99)] * 1000 if claims else float("nan")
    writes = 2 + 5 + 3  # claim and the team's share row, 5 progress writes, blob + metric rows + final move
    by_team = dict(
        Trial.objects.filter(team__in=teams, status="succeeded").values_list("team__slug").annotate(n=Count("id"))
    )
    print(
        f"\n{SIM_WORKERS} simulated workers ({SIM_PROCESSES} processes × {per_process} threads), "
        f"{SIM_CONNECTIONS} pooled connections in all, {SIM_SECONDS:.0f} s, no training ({elapsed:.0f} s in all):"
    )
    print(
        f"  trials finished: {done:,} = {rate:,.1f} trials/s ≈ {rate * writes:,.0f} trial writes/s "
        f"(claim, 5 progress, blob + metric rows + final move); claim p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"  finished by team (fair share, 70 % of the backlog is sim-0's): {by_team}")
    print(f"  errors: {error_count}{' e.g. ' + errors[0] if errors else ''}; peak connections to the bench DB: "
          f"{peak_connections}")  # fmt: skip
    per_trial = postgres_cpu / max(done, 1)
    workers_cpu = sum(r["cpu"] for r in results) / max(done, 1)
    print(f"  CPU per finished trial: PostgreSQL {per_trial * 1000:.1f} ms (all its processes), the simulated "
          f"workers {workers_cpu * 1000:.1f} ms (their Python, on the same {os.cpu_count()} cores)")  # fmt: skip
    need = SIM_WORKERS * 2 / 5
    cores = need * per_trial
    print(f"  100 worker pods × 2 processes with 5 s trials need {need:.0f} trials/s: {cores:.2f} cores of "
          f"PostgreSQL at that cost ({'within' if cores <= 1 else 'BEYOND'} one core of the database); this run's "
          f"{rate:.1f}/s is what the simulated workers' own CPU left room for")  # fmt: skip
    Trial.objects.filter(team__in=teams).delete()


def main() -> None:
    if "--export-child" in sys.argv:
        export_child()
        return
    if "--sim-child" in sys.argv:
        at = sys.argv.index("--sim-child")
        sim_child(int(sys.argv[at + 1]), float(sys.argv[at + 2]), int(sys.argv[at + 3]))
        return
    ensure_database()
    setup_django(pool_size=4)
    parts = os.environ.get("BENCH_SCALE_PARTS", "load,lists,export,predictions,broker,workers").split(",")
    print(f"make bench-scale: PostgreSQL database {DB_NAME}, {TRIALS:,} trials; machine load "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; parts: {', '.join(parts)}")  # fmt: skip
    if "load" in parts:
        user = load()
    else:
        from django.core.management import call_command

        from accounts.models import User

        call_command("migrate", verbosity=0)  # apps added since the load
        user = User.objects.get(username="bench")
    if "lists" in parts:
        lists(user)
    if "export" in parts:
        print("\nexport of all bench trials as CSV (GET /api/trials/export.csv, fresh process):", flush=True)
        subprocess.run([sys.executable, __file__, "--export-child"], check=True, env=os.environ.copy())
    if "predictions" in parts:
        predictions(user)
    if "broker" in parts:
        broker_rate()
    if "workers" in parts:
        simulate_workers()


if __name__ == "__main__":
    main()
