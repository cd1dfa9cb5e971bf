"""manage.py bench_load: finished benchmark trials, in bulk, that the lists and exports read like any others."""

import pytest
from django.core.management import call_command

from trials.models import Trial, TrialMetric

pytestmark = pytest.mark.django_db


def test_bench_load_writes_finished_trials_with_indexed_metrics(alice, api_as):
    call_command("bench_load", trials=60, team="Bench load", user="alice", batch=25)
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
    # Ids continue after the load: the next trial created normally does not collide.
    loaded = max(trials.values_list("pk", flat=True))
    assert Trial.objects.create(team=trials[0].team, model_key="x", target="direction").pk == loaded + 1
