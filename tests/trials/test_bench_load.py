"""manage.py bench_load: finished benchmark trials, in bulk, that the lists and exports read like any others."""

import pytest
from django.core.management import call_command
from django.db import connection

from trials.metric_index import metric_rows, metrics_index, metrics_index_range
from trials.models import Trial, TrialMetric

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("rebuild_indexes", [False, True])
def test_bench_load_writes_finished_trials_with_indexed_metrics(alice, api_as, rebuild_indexes):
    call_command("bench_load", trials=60, team="Bench load", user="alice", batch=25, rebuild_indexes=rebuild_indexes)
    trials = Trial.objects.filter(team__slug="bench-load")
    assert trials.count() == 60 and set(trials.values_list("status", flat=True)) == {"succeeded", "failed", "cancelled"}
    succeeded = trials.filter(status="succeeded")
    assert TrialMetric.objects.filter(team__slug="bench-load", name="sharpe").count() == succeeded.count() == 51
    assert all(len(t.folds) == 5 for t in succeeded) and not trials.exclude(name__startswith="bench_load #").exists()
    body = api_as(alice).get("/api/trials/?team=bench-load&limit=100&sort=-sharpe").json()
    sharpes = [t["metrics"]["sharpe"] for t in body["results"]]
    assert len(sharpes) == 51 and sharpes == sorted(sharpes, reverse=True)
    newest = api_as(alice).get("/api/trials/?team=bench-load&limit=1").json()["results"][0]
    assert newest["name"] == "bench_load #60"
    # The metric rows the database made are the ones metrics_index would write for those trials.
    made = TrialMetric.objects.filter(team__slug="bench-load").values_list(
        "trial_id", "team_id", "model_key", "name", "value"
    )
    assert sorted(made) == sorted(
        (m.trial_id, m.team_id, m.model_key, m.name, m.value) for trial in trials for m in metric_rows(trial)
    )
    # Every index is there after the load, whether it was kept up to date or dropped and built again.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename IN ('trials_trial', 'trials_trialmetric')")
        present = {name for (name,) in cursor.fetchall()}
    assert {index.name for model in (Trial, TrialMetric) for index in model._meta.indexes} <= present
    assert len(present) == 11  # 7 on a trial (its primary key among them), 4 on a metric row
    # Ids continue after the load: the next trial created normally does not collide.
    loaded = max(trials.values_list("pk", flat=True))
    assert Trial.objects.create(team=trials[0].team, model_key="x", target="direction").pk == loaded + 1


def test_metric_rows_made_by_the_database_are_metrics_indexs(alice, team_a):
    """Numbers only (not a boolean, a text or a nested figure), names that fit, as metric_rows decides."""
    from tests.factories import StoredTrialFactory

    varied = [
        {"sharpe": 1.5, "accuracy": 1, "note": "text", "flag": True, "nested": {"a": 1}, "x" * 41: 2.0, "y" * 40: -3},
        {},
        {"sharpe": -0.25, "rmse": 1e-12, "big": 1e300},
    ]
    trials = [StoredTrialFactory(team=team_a, created_by=alice, metrics=metrics) for metrics in varied]
    metrics_index_range(first_id=trials[0].pk, last_id=trials[-1].pk)
    rows = ("trial_id", "team_id", "model_key", "name", "value")
    by_database = sorted(TrialMetric.objects.values_list(*rows))
    metrics_index(trials=Trial.objects.filter(pk__in=[t.pk for t in trials]))
    assert by_database == sorted(TrialMetric.objects.values_list(*rows))
    assert len(by_database) == 6
