"""Predictions stored as one compressed columnar blob per trial: exact round trip, the CSV the old table gave, the
data migration from the old rows, and team isolation of the export."""

import csv
import io
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from security.csv_export import csv_response
from trials import prediction_codec
from trials.exports import PREDICTION_HEADER, prediction_csv_chunks, prediction_row
from trials.models import TrialPredictions
from trials.selectors import prediction_columns, prediction_frame, prediction_rows

COLUMNS = prediction_codec.COLUMNS


def _old_table_rows(n=300, intraday=False, awkward=True) -> list[tuple]:
    """Rows as `Prediction.objects.values_list("date", *COLUMNS)` gave them: aware UTC datetimes, floats, None."""
    rng = np.random.default_rng(7)
    start = datetime(2011, 1, 3, 14, 30, tzinfo=UTC) if intraday else datetime(2011, 1, 3, tzinfo=UTC)
    step = timedelta(minutes=5) if intraday else timedelta(days=1)
    rows, equity = [], 1.0
    for k in range(n):
        ret = float(rng.normal(0, 0.01))
        position = float(k % 3 != 0)
        cost = 0.0007 if k % 5 == 0 else 0.0
        equity *= 1 + position * ret - cost
        proba = None if k % 11 == 0 else float(rng.random())
        rows.append((start + k * step, float(k % 2), position, proba, position, position * ret, cost,
                     position * ret - cost, equity))  # fmt: skip
    if awkward:  # floats a text round trip would lose
        rows[3] = (rows[3][0], -0.0, 1e-310, 0.1 + 0.2, 1.0, -1.5e300, None, None, None)  # awkward floats survive
    return rows


@pytest.mark.parametrize("intraday", [False, True])
def test_round_trip_gives_back_every_value_and_the_same_csv(intraday):
    rows = _old_table_rows(intraday=intraday)
    decoded = list(prediction_codec.decode_rows(prediction_codec.encode_rows(rows)))
    assert [tuple(map(repr, row)) for row in decoded] == [tuple(map(repr, row)) for row in rows]
    assert [prediction_row(row) for row in decoded] == [prediction_row(row) for row in rows]
    assert math.copysign(1, decoded[3][1]) == -1  # -0.0 stays negative


@pytest.mark.parametrize("intraday", [False, True])
def test_the_column_wise_csv_is_byte_for_byte_the_row_wise_one(intraday):
    rows = _old_table_rows(n=4500, intraday=intraday)  # more than one chunk
    row_wise = b"".join(csv_response("p.csv", PREDICTION_HEADER, map(prediction_row, rows)).streaming_content)
    frame = prediction_codec.decode_frame(prediction_codec.encode_rows(rows))
    column_wise = "".join(prediction_csv_chunks(frame))
    assert column_wise.encode() == row_wise
    assert "".join(prediction_csv_chunks(frame.iloc[:0])) == ",".join(PREDICTION_HEADER) + "\r\n"


def test_one_column_is_read_alone():
    blob = prediction_codec.encode_rows(_old_table_rows())
    frame = prediction_codec.decode_frame(blob, ("net_return",))
    assert list(frame.columns) == ["net_return"] and len(frame) == 300 and str(frame.index.tz) == "UTC"
    with pytest.raises(ValueError, match="no such prediction column"):
        prediction_codec.decode(blob, ("secret",))


def test_a_column_of_the_wrong_length_is_refused():
    dates = pd.date_range("2020-01-01", periods=3)
    with pytest.raises(ValueError, match="y_true has 2 values for 3 dates"):
        prediction_codec.encode(dates, {name: [1.0, 2.0] for name in COLUMNS})


@pytest.mark.django_db
def test_an_executed_trial_stores_one_row_and_exports_what_the_runner_made(alice, team_a, make_trial, api_as):
    from trials.services import trial_execute

    trial = make_trial(alice, team_a)
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    assert trial.status == "succeeded", trial.error
    stored = TrialPredictions.objects.get(trial=trial)
    frame = prediction_frame(trial=trial)
    assert stored.rows == len(frame) == sum(fold["n_test"] for fold in trial.folds)
    assert len(bytes(stored.blob)) < stored.rows * len(COLUMNS) * 8  # compressed

    response = api_as(alice).get(f"/api/trials/{trial.pk}/predictions.csv")
    exported = b"".join(response.streaming_content).decode()
    lines = list(csv.reader(io.StringIO(exported)))
    assert lines[0] == PREDICTION_HEADER
    expected = [prediction_row(row) for row in prediction_rows(trial=trial)]
    assert lines[1:] == [["" if value is None else str(value) for value in row] for row in expected]
    net = np.array([float(line[PREDICTION_HEADER.index("net_return")]) for line in lines[1:]])
    assert net.mean() / net.std(ddof=1) * math.sqrt(252) == pytest.approx(trial.metrics["sharpe"], rel=1e-12)

    assert prediction_columns(trial_ids=[trial.pk, 10**9], columns=("strategy_return",)).keys() == {trial.pk}


@pytest.mark.django_db
def test_outsider_gets_404_for_the_predictions(alice, charlie, team_a, make_trial, api_as):
    trial = make_trial(alice, team_a)
    TrialPredictions.objects.create(trial=trial, rows=300, blob=prediction_codec.encode_rows(_old_table_rows()))
    assert api_as(charlie).get(f"/api/trials/{trial.pk}/predictions.csv").status_code == 404
    assert api_as(alice).get(f"/api/trials/{trial.pk}/predictions.csv").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_old_rows_into_blobs(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    rows = _old_table_rows(awkward=False)
    executor = MigrationExecutor(connection)
    # Back to every app's latest migration after (going back to trials 0007 also unapplied what depends on it).
    before, latest = [("trials", "0007_trial_metrics_keyset_indexes")], executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        old = MigrationExecutor(connection).loader.project_state(before[0]).apps
        Prediction = old.get_model("trials", "Prediction")
        Prediction.objects.bulk_create(
            [Prediction(trial_id=trial.pk, **dict(zip(("date", *COLUMNS), row, strict=True))) for row in rows[::-1]]
        )
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert not MigrationExecutor(connection).migration_plan(latest), "the test left migrations unapplied"
    moved = list(prediction_rows(trial=trial))
    assert [prediction_row(row) for row in moved] == [prediction_row(row) for row in rows]
    assert TrialPredictions.objects.get(trial=trial).rows == len(rows)
