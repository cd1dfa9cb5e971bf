"""Keeps TrialMetric equal to Trial.metrics: every code path that writes a trial's metrics calls metrics_index in
the same transaction, so lists can sort and filter by a metric in the database (trials.selectors.trial_page)."""

import math
from collections.abc import Iterable

from django.db import connection

from .models import Trial, TrialMetric

NAME_MAX = TrialMetric._meta.get_field("name").max_length


def metric_rows(trial: Trial) -> list[TrialMetric]:
    """The trial's finite numeric top-level figures as rows (a nested or textual value is not sortable)."""
    return [
        TrialMetric(trial_id=trial.pk, team_id=trial.team_id, model_key=trial.model_key, name=name, value=float(value))
        for name, value in (trial.metrics or {}).items()
        if isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and len(name) <= NAME_MAX
    ]


def metrics_index(*, trials: Iterable[Trial]) -> None:
    """Replace the TrialMetric rows of `trials` with their current `metrics`."""
    trials = list(trials)
    TrialMetric.objects.filter(trial_id__in=[trial.pk for trial in trials]).delete()
    TrialMetric.objects.bulk_create([row for trial in trials for row in metric_rows(trial)], batch_size=1000)


def metrics_index_range(*, first_id: int, last_id: int) -> None:
    """PostgreSQL: the TrialMetric rows of trials first_id..last_id, which have none yet, made by the database from
    their metrics in one INSERT ... SELECT (trials written in bulk, manage.py bench_load): the rows metric_rows gives,
    as jsonb holds only finite numbers and tells a number from a boolean."""
    metric, trial = TrialMetric._meta.db_table, Trial._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {metric} (trial_id, team_id, model_key, name, value) "  # noqa: S608 - our table names
            f"SELECT t.id, t.team_id, t.model_key, m.key, m.value::float8 FROM {trial} t, jsonb_each(t.metrics) m "
            "WHERE t.id BETWEEN %s AND %s AND jsonb_typeof(m.value) = 'number' AND length(m.key) <= %s",
            [first_id, last_id, NAME_MAX],
        )
