"""New rows are announced after commit (market_data.signals.dataset_rows_changed): a fetch that adds bars (the
watch-list refresh runs the same jobs) and an upload do; a fetch that finds nothing missing does not. The
registry's live signals hang on this."""

from datetime import date

import pytest

from market_data.services import dataset_upload, fetch_job_create
from market_data.signals import dataset_rows_changed
from market_data.tasks import run_fetch_job

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    heard = []

    def listener(*, dataset_id, team_id, key, **_):
        heard.append((team_id, key))

    dataset_rows_changed.connect(listener, dispatch_uid="test.announced")
    yield heard
    dataset_rows_changed.disconnect(dispatch_uid="test.announced")


def _fetch(team, user, **dates):
    job = fetch_job_create(team=team, user=user, source="polygon", symbol="SPY", **dates)
    run_fetch_job(job.pk)


def test_fetches_that_add_bars_are_announced_after_commit(
    fake_polygon_server, polygon_key, team_a, bob, announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        _fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 6, 30))
    assert announced == []  # not before the commit
    for callback in pending:
        callback()
    assert announced == [(team_a.pk, "SPY")]
    with django_capture_on_commit_callbacks(execute=True):
        _fetch(team_a, bob, start=date(2018, 1, 1), end=date(2018, 9, 30))  # new bars: announced
        _fetch(team_a, bob, start=date(2018, 3, 1), end=date(2018, 9, 30))  # nothing missing: not
    assert announced == [(team_a.pk, "SPY")] * 2


def test_an_upload_is_announced(team_a, alice, announced, django_capture_on_commit_callbacks):
    content = b"date,open,high,low,close\n2024-01-02,1,2,0.5,1.5\n2024-01-03,1.5,2,1,1.8\n"
    with django_capture_on_commit_callbacks(execute=True):
        dataset_upload(team=team_a, user=alice, key="MINE", kind="bars", filename="mine.csv", content=content)
    assert announced == [(team_a.pk, "MINE")]
