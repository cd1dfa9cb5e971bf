"""The trial page: what it offers whom, a failed trial's error, and "Run again with changes" pre-filling the form."""

import re

import pytest
from django.test import Client

from trials.models import Trial

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_run_again_prefills_everything_the_trial_was_run_with(alice, team_a, make_trial):
    trial = make_trial(alice, team_a, name="momentum probe", seed=7, data={"macro": ["DCOILWTICO"], "horizon": 2},
                       validation={"folds": 4, "gap": 3})  # fmt: skip
    page = _client(alice).get(f"/trials/new/?from={trial.pk}").content.decode()
    assert '<option value="logistic_regression" selected>' in page
    assert 'value="momentum probe"' in page and 'name="seed" value="7"' in page
    assert 'name="start" value="2012-01-01"' in page and 'name="end" value="2016-12-31"' in page
    assert 'name="folds" value="4"' in page and 'name="gap" value="3"' in page and 'name="horizon" value="2"' in page
    assert '<option value="DCOILWTICO" selected>' in page
    assert re.search(r'<textarea name="params"[^>]*>\s*\{\s*&quot;C&quot;: 0.5', page)  # HTML-escaped JSON


def test_run_again_from_another_teams_trial_is_404(alice, charlie, team_a, make_trial):
    trial = make_trial(alice, team_a)
    assert _client(charlie).get(f"/trials/new/?from={trial.pk}").status_code == 404
    assert _client(alice).get("/trials/new/?from=abc").status_code == 404


def test_a_failed_trial_shows_its_error_and_no_predictions_file(alice, team_a, make_trial):
    trial = make_trial(alice, team_a)
    Trial.objects.filter(pk=trial.pk).update(status="failed", error="ValueError: 39 usable rows are too few")
    page = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    assert 'id="error-box" role="alert"' in page and "39 usable rows are too few" in page
    assert "predictions.csv" not in page


def test_viewers_see_no_cancel_and_no_run_again(alice, victor, team_a, make_trial):
    trial = make_trial(alice, team_a)
    owner = _client(alice).get(f"/trials/{trial.pk}/").content.decode()
    assert 'id="cancel"' in owner and 'id="run-again"' in owner
    viewer = _client(victor).get(f"/trials/{trial.pk}/").content.decode()
    assert 'id="cancel"' not in viewer and 'id="run-again"' not in viewer
