"""A trial trained on fetched data records exactly which versions it used, and where they came from."""

from datetime import date

import pytest

from market_data.services import fetch_job_create
from market_data.tasks import run_fetch_job
from trials.services import trial_execute

pytestmark = pytest.mark.django_db


def fetched(team, user, source, symbol, start, end):
    job = fetch_job_create(team=team, user=user, source=source, symbol=symbol, start=start, end=end)
    run_fetch_job(job.pk)
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    return job.dataset


def test_trial_on_fetched_data_records_dataset_ids_hashes_and_requests(
    fake_polygon_server, fake_fred_server, polygon_key, fred_key, team_a, alice, bob, make_trial
):
    spy = fetched(team_a, bob, "polygon", "SPY", date(2014, 1, 1), date(2016, 12, 31))
    oil = fetched(team_a, bob, "fred", "DCOILWTICO", date(2014, 1, 1), date(2016, 12, 31))

    trial = make_trial(
        alice,
        team_a,
        data={"symbol": "SPY", "start": "2014-06-01", "end": "2016-12-31", "macro": ["DCOILWTICO"]},
        validation={"folds": 3, "gap": 1},
    )
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()

    assert trial.status == "succeeded", trial.error
    used = {entry["key"]: entry for entry in trial.data_used}
    assert used["SPY"]["dataset_id"] == spy.pk and used["SPY"]["sha256"] == spy.sha256
    assert used["SPY"]["source"] == "polygon" and used["SPY"]["rows"] == spy.rows
    assert used["SPY"]["provenance"]["endpoint"] == "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}"
    assert used["SPY"]["provenance"]["params"]["from"] == "2014-01-01"
    assert used["SPY"]["provenance"]["fetched_at"] == spy.provenance["fetched_at"]
    # The team's fetched oil series, not the bundled one of the same key.
    assert used["DCOILWTICO"]["dataset_id"] == oil.pk and used["DCOILWTICO"]["sha256"] == oil.sha256
    assert used["DCOILWTICO"]["provenance"]["endpoint"] == "/fred/series/observations"
    assert polygon_key not in str(trial.data_used) and fred_key not in str(trial.data_used)


def test_refreshed_series_gets_a_new_version_and_old_trials_keep_theirs(
    fake_polygon_server, polygon_key, team_a, alice, bob, make_trial
):
    spy = fetched(team_a, bob, "polygon", "SPY", date(2014, 1, 1), date(2016, 6, 30))
    trial = make_trial(alice, team_a, data={"symbol": "SPY", "start": "2014-06-01", "end": "2016-06-30"})
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    recorded = trial.data_used[0]["sha256"]

    refreshed = fetched(team_a, bob, "polygon", "SPY", date(2014, 1, 1), date(2016, 12, 31))

    assert refreshed.pk == spy.pk and refreshed.sha256 != recorded
    trial.refresh_from_db()
    assert trial.data_used[0]["sha256"] == recorded == spy.sha256
