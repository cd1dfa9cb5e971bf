"""`manage.py bench_load --trials N`: bulk-load finished trials for the benchmarks (make bench, make bench-scale).

The rows are benchmark fixtures, not results: every one is named "bench_load #<n>", belongs to the team given
(default "Bench load") and carries metrics, per-fold results and a data version shaped like a real trial's, with
values drawn from a seeded generator so that sorts and ranges have something to sort. Nothing trains.

On PostgreSQL the database makes the rows itself: one INSERT ... SELECT FROM generate_series per batch, its values
drawn by random() after setseed(--seed), and the TrialMetric rows from those trials' metrics (trials.metric_index.
metrics_index_range), all in one transaction; a large load (--rebuild-indexes, by default from 100,000 trials) drops
the tables' secondary indexes first and builds them once at the end, which is most of the time saved (1,000,000
trials and 12 million metric rows: see README, Performance). On SQLite the rows are made here (random.Random(seed))
and written with one executemany per batch, with their TrialMetric rows, in one transaction per batch.
"""

import argparse
import json
import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, Team, User
from trials.lifecycle import trials_born_final
from trials.metric_index import metric_rows, metrics_index_range
from trials.models import Trial, TrialMetric

# A mix of catalog models, so that a filter by model selects a fraction of the rows.
MODELS = [
    ("logistic_regression", "linear"),
    ("random_forest_classifier", "forest"),
    ("gradient_boosting_classifier", "boosting"),
    ("lightgbm_classifier", "boosting"),
    ("xgboost_classifier", "boosting"),
    ("ridge_classifier", "linear"),
    ("extra_trees_classifier", "forest"),
    ("knn_classifier", "neighbors"),
]
# Of every 20 trials: 17 succeeded, 2 failed, 1 cancelled (finished lists are what gets big).
STATUSES = ["succeeded"] * 17 + ["failed"] * 2 + ["cancelled"]
REBUILD_INDEXES_FROM = 100_000  # trials in one load: below it, keeping the indexes up to date row by row is cheaper


def _metrics(rng: random.Random) -> dict:
    accuracy = rng.gauss(0.52, 0.02)
    sharpe = rng.gauss(0.3, 0.6)
    volatility = abs(rng.gauss(0.12, 0.03)) + 0.01
    return {
        "accuracy": accuracy,
        "precision": accuracy + rng.gauss(0.01, 0.01),
        "recall": rng.uniform(0.4, 0.9),
        "f1": rng.uniform(0.45, 0.7),
        "roc_auc": rng.gauss(0.52, 0.02),
        "directional_accuracy": accuracy,
        "annual_return": sharpe * volatility,
        "annual_volatility": volatility,
        "sharpe": sharpe,
        "sortino": sharpe * rng.uniform(1.1, 1.6),
        "max_drawdown": -abs(rng.gauss(0.2, 0.08)),
        "hit_rate": rng.uniform(0.45, 0.6),
        "turnover": rng.uniform(0.05, 0.5),
        "buy_hold_sharpe": 0.45,
    }


def _folds(rng: random.Random, metrics: dict) -> list[dict]:
    """Five folds shaped like the runner's reports (per-fold metrics near the trial's)."""
    return [
        {
            "fold": k + 1,
            "train_start": f"{2000 + k}-01-03",
            "train_end": f"{2010 + k}-12-31",
            "test_start": f"{2011 + k}-01-03",
            "test_end": f"{2011 + k}-12-30",
            "train_rows": 2500 + 250 * k,
            "test_rows": 250,
            "seconds": rng.uniform(0.2, 2.0),
            "metrics": {name: value + rng.gauss(0, 0.01) for name, value in metrics.items()},
        }
        for k in range(5)
    ]


DATA = {"symbol": "SPX", "start": "2000-01-01", "end": "2018-12-31", "target": "direction", "horizon": 1,
        "macro": []}  # fmt: skip
VALIDATION = {"scheme": "walk_forward", "folds": 5, "gap": 1}
DATA_USED = [{"key": "SPX", "id": 1, "source": "bundled", "rows": 4800, "sha256": "0" * 64, "kind": "bars"}]


class Command(BaseCommand):
    help = "Bulk-load N finished benchmark trials (named 'bench_load #n') into a team, for make bench(-scale)."

    def add_arguments(self, parser):
        parser.add_argument("--trials", type=int, required=True)
        parser.add_argument("--team", default="Bench load", help="team name (created when missing)")
        parser.add_argument("--user", default="", help="an existing user to add to the team as owner")
        parser.add_argument("--batch", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--first-id",
            type=int,
            default=0,
            help="id of the first trial (default: after the highest); a second loader on another id range runs beside",
        )
        parser.add_argument(
            "--rebuild-indexes",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"PostgreSQL: drop the secondary indexes for the load and build them after (default: from "
            f"{REBUILD_INDEXES_FROM:,} trials)",
        )

    def handle(
        self,
        *args,
        trials: int,
        team: str,
        user: str,
        batch: int,
        seed: int,
        first_id: int = 0,
        rebuild_indexes: bool | None = None,
        **options,
    ):
        if trials < 1:
            raise CommandError("--trials must be at least 1")
        team_row = Team.objects.filter(name=team).first()
        if team_row is None:
            from django.utils.text import slugify

            team_row = Team.objects.create(name=team, slug=slugify(team) or "bench-load")
        owner = None
        if user:
            owner = User.objects.filter(username=user).first()
            if owner is None:
                raise CommandError(f"no user {user!r}: create it first (manage.py add_member)")
            Membership.objects.get_or_create(user=owner, team=team_row, defaults={"role": "owner"})
        total = trials
        rng = random.Random(seed)
        # Per-fold results of 64 shapes, serialised once: JSON of ~3 KB a trial is most of the load's work.
        fold_texts = [json.dumps(_folds(rng, _metrics(rng))) for _ in range(64)]
        started = time.perf_counter()
        now = timezone.now()
        next_id = first_id or (Trial.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        trials_born_final([Trial() for _ in set(STATUSES)], set(STATUSES))  # the statuses are all final ones
        if connection.vendor == "postgresql":
            if rebuild_indexes is None:
                rebuild_indexes = trials >= REBUILD_INDEXES_FROM
            self._load_in_database(
                trials=trials, batch=batch, seed=seed, next_id=next_id, team_id=team_row.pk,
                owner_id=owner.pk if owner else None, now=now, fold_texts=fold_texts,
                rebuild_indexes=rebuild_indexes, started=started,
            )  # fmt: skip
        else:
            self._load_here(
                trials=trials, batch=batch, rng=rng, next_id=next_id, team_id=team_row.pk, owner=owner, now=now,
                fold_texts=fold_texts, started=started,
            )  # fmt: skip
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                sequence = "pg_get_serial_sequence('trials_trial', 'id')"
                cursor.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM trials_trial))")
                # What autovacuum does a while after a bulk insert, done now so the figures right after a load are
                # the steady state's: the statistics, and the visibility map, without which an index-only scan
                # (the dashboard's count, a page's ids off the metric index) reads every row's heap page too (the
                # count of a 10,000-trial team: 26 ms against 1.7 ms). VACUUM cannot run inside a transaction.
                verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                cursor.execute(f"{verb} trials_trial")
                cursor.execute(f"{verb} trials_trialmetric")
        self.stdout.write(
            f"loaded {total:,} trials into {team_row.name} ({team_row.slug}) in {time.perf_counter() - started:.1f} s"
        )

    def _load_in_database(
        self, *, trials, batch, seed, next_id, team_id, owner_id, now, fold_texts, rebuild_indexes, started
    ) -> None:
        """PostgreSQL: the rows made by the database (TRIALS_SQL, metrics_index_range), in one transaction, so a
        failed load leaves nothing and the dropped indexes come back."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # The foreign keys checked statement by statement, not queued to the commit (Django declares them
            # deferred): a queue of millions of checks, and CREATE INDEX refuses to run while one is pending.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SELECT setseed(%s)", [(seed % 2000) / 1000 - 1])
            dropped = _drop_secondary_indexes(cursor) if rebuild_indexes else []
            for done in range(0, trials, batch):
                size = min(batch, trials - done)
                cursor.execute(TRIALS_SQL, _trials_sql_params(
                    first=done, size=size, trials=trials, next_id=next_id, team_id=team_id, owner_id=owner_id,
                    now=now, fold_texts=fold_texts,
                ))  # fmt: skip
                metrics_index_range(first_id=next_id + done, last_id=next_id + done + size - 1)
                self.stdout.write(f"  {done + size:>9,} trials ({time.perf_counter() - started:6.1f} s)")
            for name, definition in dropped:
                cursor.execute(definition)
                self.stdout.write(f"  index {name} built ({time.perf_counter() - started:6.1f} s)")

    def _load_here(self, *, trials, batch, rng, next_id, team_id, owner, now, fold_texts, started) -> None:
        """SQLite: the rows made in Python, one executemany a batch, with their metric rows, a transaction each."""
        done = 0
        while done < trials:
            size = min(batch, trials - done)
            rows, statuses = [], []
            for n in range(done, done + size):
                model_key, family = MODELS[n % len(MODELS)]
                status = STATUSES[n % len(STATUSES)]
                statuses.append(status)
                metrics = _metrics(rng) if status == "succeeded" else {}
                created = now - timedelta(seconds=trials - n)  # one a second, the last one now
                rows.append(
                    Trial(
                        id=next_id + n,
                        team_id=team_id,
                        created_by=owner,
                        name=f"bench_load #{n + 1}",
                        model_key=model_key,
                        family=family,
                        target="direction",
                        params={"C": round(rng.uniform(0.01, 10), 4)} if family == "linear" else {},
                        data=DATA,
                        validation=VALIDATION,
                        seed=n % 7,
                        progress=1.0 if status == "succeeded" else 0.4,
                        error="" if status != "failed" else "ValueError: benchmark row",
                        metrics=metrics,
                        folds=fold_texts[n % 64] if metrics else "[]",
                        data_used=DATA_USED,
                        attempts=1,
                        created_at=created,
                        started_at=created + timedelta(milliseconds=200),
                        finished_at=created + timedelta(seconds=5),
                        enqueued_at=created,
                    )
                )  # fmt: skip
            trials_born_final(rows, statuses)
            with transaction.atomic():
                _insert(Trial, rows)
                _insert(TrialMetric, [metric for trial in rows for metric in metric_rows(trial)])
            done += size
            self.stdout.write(f"  {done:>9,} trials ({time.perf_counter() - started:6.1f} s)")


def _insert(model, objects: list) -> None:
    """Every concrete column as given (created_at too, which the ORM would set to now), one executemany (SQLite).
    A JSON value given as a str is taken as already serialised."""
    if not objects:
        return
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and getattr(objects[0], f.attname) is None)]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)

    def prepared(field, value):
        if field.get_internal_type() == "JSONField":
            return value if isinstance(value, str) else json.dumps(value)
        return field.get_db_prep_save(value, connection)

    values = [[prepared(f, getattr(obj, f.attname)) for f in fields] for obj in objects]
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608 - ours


# What the Python generator above draws, drawn by PostgreSQL: Box-Muller normals from pairs of uniforms (both of each
# pair's normals are used), the same distributions, the same statuses and models by position. `draws` is
# MATERIALIZED so that each random() is evaluated once a row and every use of a draw sees the same value.
_GAUSS = "sqrt(-2 * ln(1 - u{a})) * {f}(2 * pi() * u{b})"
TRIALS_SQL = f"""
WITH draws AS MATERIALIZED (
    SELECT g, {", ".join(f"random() AS u{k}" for k in range(1, 13))},
           (%(statuses)s::text[])[g %% {len(STATUSES)} + 1] AS status,
           (%(models)s::text[])[g %% {len(MODELS)} + 1] AS model_key,
           (%(families)s::text[])[g %% {len(MODELS)} + 1] AS family
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
), shaped AS (
    SELECT *,
           0.52 + 0.02 * {_GAUSS.format(a=1, b=2, f="cos")} AS accuracy,
           0.01 + 0.01 * {_GAUSS.format(a=1, b=2, f="sin")} AS precision_over,
           0.52 + 0.02 * {_GAUSS.format(a=3, b=4, f="cos")} AS roc_auc,
           0.3 + 0.6 * {_GAUSS.format(a=3, b=4, f="sin")} AS sharpe,
           abs(0.12 + 0.03 * {_GAUSS.format(a=5, b=6, f="cos")}) + 0.01 AS volatility,
           -abs(0.2 + 0.08 * {_GAUSS.format(a=5, b=6, f="sin")}) AS max_drawdown
    FROM draws
)
INSERT INTO trials_trial ({{columns}})
SELECT {{values}} FROM shaped
"""
TRIAL_SQL_VALUES = {
    "id": "%(next_id)s::bigint + g",
    "team_id": "%(team_id)s::bigint",
    "created_by_id": "%(owner_id)s::bigint",
    "name": "'bench_load #' || (g + 1)",
    "model_key": "model_key",
    "family": "family",
    "target": "'direction'",
    "params": "CASE WHEN family = 'linear' THEN jsonb_build_object('C', round((0.01 + 9.99 * u12)::numeric, 4)) "
    "ELSE '{}'::jsonb END",
    "data": "%(data)s",
    "validation": "%(validation)s",
    "seed": "g %% 7",
    "progress": "CASE WHEN status = 'succeeded' THEN 1.0 ELSE 0.4 END",
    "status": "status",
    "error": "CASE WHEN status = 'failed' THEN 'ValueError: benchmark row' ELSE '' END",
    "metrics": """CASE WHEN status = 'succeeded' THEN jsonb_build_object(
        'accuracy', accuracy, 'precision', accuracy + precision_over, 'recall', 0.4 + 0.5 * u7,
        'f1', 0.45 + 0.25 * u8, 'roc_auc', roc_auc, 'directional_accuracy', accuracy,
        'annual_return', sharpe * volatility, 'annual_volatility', volatility, 'sharpe', sharpe,
        'sortino', sharpe * (1.1 + 0.5 * u9), 'max_drawdown', max_drawdown, 'hit_rate', 0.45 + 0.15 * u10,
        'turnover', 0.05 + 0.45 * u11, 'buy_hold_sharpe', 0.45) ELSE '{}'::jsonb END""",
    "folds": "CASE WHEN status = 'succeeded' THEN (%(folds)s::jsonb[])[g %% 64 + 1] ELSE '[]'::jsonb END",
    "data_used": "%(data_used)s",
    "attempts": "1",
    "created_at": "%(now)s - make_interval(secs => %(trials)s - g)",
    "started_at": "%(now)s - make_interval(secs => %(trials)s - g - 0.2)",
    "finished_at": "%(now)s - make_interval(secs => %(trials)s - g - 5)",
    "enqueued_at": "%(now)s - make_interval(secs => %(trials)s - g)",
}
_trial_fields = Trial._meta.concrete_fields
TRIALS_SQL = TRIALS_SQL.format(
    columns=", ".join(connection.ops.quote_name(f.column) for f in _trial_fields),
    # The columns the loader does not set take the model's default, as Trial(...) would.
    values=", ".join(
        TRIAL_SQL_VALUES.get(f.column, f"%(default_{f.column})s::{f.db_type(connection)}") for f in _trial_fields
    ),
)


def _trials_sql_params(*, first, size, trials, next_id, team_id, owner_id, now, fold_texts) -> dict:
    defaults = {
        f"default_{f.column}": f.get_db_prep_save(f.get_default(), connection)
        for f in _trial_fields
        if f.column not in TRIAL_SQL_VALUES
    }
    json_field = Trial._meta.get_field("data")
    return defaults | {
        "first": first,
        "last": first + size - 1,
        "statuses": STATUSES,
        "models": [key for key, _ in MODELS],
        "families": [family for _, family in MODELS],
        "next_id": next_id,
        "team_id": team_id,
        "owner_id": owner_id,
        "trials": trials,
        "now": now,
        "folds": fold_texts,
        "data": json_field.get_db_prep_save(DATA, connection),
        "validation": json_field.get_db_prep_save(VALIDATION, connection),
        "data_used": json_field.get_db_prep_save(DATA_USED, connection),
    }


def _drop_secondary_indexes(cursor) -> list[tuple[str, str]]:
    """Drop the indexes of the trial and metric tables that back no constraint; returns (name, CREATE INDEX) of
    each, to build them again once the rows are in."""
    tables = [Trial._meta.db_table, TrialMetric._meta.db_table]
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ANY(%s) "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname",
        [tables],
    )
    dropped = cursor.fetchall()
    for name, _ in dropped:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return dropped
