"""`manage.py bench_load --trials N`: bulk-load finished trials for the benchmarks (make bench, make bench-scale).

The rows are benchmark fixtures, not results: every one is named "bench_load #<n>", belongs to the team given
(default "Bench load") and carries metrics, per-fold results and a data version shaped like a real trial's, with
values drawn from a seeded generator so that sorts and ranges have something to sort. Nothing trains. They are
written in batches straight to the tables (COPY on PostgreSQL, one executemany per batch on SQLite), with their
TrialMetric rows, inside one transaction per batch.
"""

import json
import random
import time
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Membership, Team, User
from trials.lifecycle import trials_born_final
from trials.metric_index import metric_rows
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

    def handle(self, *args, trials: int, team: str, user: str, batch: int, seed: int, first_id: int = 0, **options):
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
        rng = random.Random(seed)
        # Per-fold results of 64 shapes, serialised once: JSON of ~3 KB a trial is most of the load's work.
        fold_texts = [json.dumps(_folds(rng, _metrics(rng))) for _ in range(64)]
        started = time.perf_counter()
        now = timezone.now()
        next_id = first_id or (Trial.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
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
                        team_id=team_row.pk,
                        created_by=owner,
                        name=f"bench_load #{n + 1}",
                        model_key=model_key,
                        family=family,
                        target="direction",
                        params={"C": round(rng.uniform(0.01, 10), 4)} if family == "linear" else {},
                        data={"symbol": "SPX", "start": "2000-01-01", "end": "2018-12-31", "target": "direction",
                              "horizon": 1, "macro": []},
                        validation={"scheme": "walk_forward", "folds": 5, "gap": 1},
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
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                sequence = "pg_get_serial_sequence('trials_trial', 'id')"
                cursor.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM trials_trial))")
                cursor.execute("ANALYZE trials_trial")
                cursor.execute("ANALYZE trials_trialmetric")
        self.stdout.write(
            f"loaded {trials:,} trials into {team_row.name} ({team_row.slug}) in {time.perf_counter() - started:.1f} s"
        )


def _insert(model, objects: list) -> None:
    """Every concrete column as given (created_at too, which the ORM would set to now); COPY on PostgreSQL. A JSON
    value given as a str is taken as already serialised."""
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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)  # noqa: S608 - ours
