"""The web pages a person uses: login, dashboard, catalog, new-trial form with field errors, trial page."""

import pytest
from django.test import Client

from trials.models import Trial

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(alice):
    client = Client()
    assert client.post("/login/", {"username": "alice", "password": "alice-pw-123"}).status_code == 302
    return client


def test_pages_need_login():
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_dashboard_lists_team_trials(browser, alice, team_a, make_trial):
    make_trial(alice, team_a, name="momentum probe")
    page = browser.get("/").content.decode()
    assert "momentum probe" in page and "queued" in page


def test_catalog_and_model_page(browser, bundled):
    catalog = browser.get("/models/?search=forest").content.decode()
    assert "/models/random_forest_classifier/" in catalog and "/models/logistic_regression/" not in catalog
    detail = browser.get("/models/random_forest_classifier/").content.decode()
    assert "n_estimators" in detail and "2000" in detail


def test_new_trial_form_creates_a_trial(browser, bundled):
    form = {
        "team": "team-a",
        "model": "ridge",
        "target": "return",
        "symbol": "SPX",
        "start": "2010-01-01",
        "end": "2015-12-31",
        "horizon": 1,
        "folds": 4,
        "gap": 1,
        "seed": 3,
        "params": '{"alpha": 2.0}',
    }
    response = browser.post("/trials/new/", form)
    trial = Trial.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/trials/{trial.pk}/"
    assert (trial.model_key, trial.params, trial.validation["folds"], trial.seed) == (
        "ridge",
        {"alpha": 2.0},
        4,
        3,
    )
    page = browser.get(f"/trials/{trial.pk}/").content.decode()
    assert "ridge" in page and f"/trials/new/?from={trial.pk}" in page
    assert "predictions.csv" not in page  # queued: no predictions yet, so no empty file on offer


def test_new_trial_form_shows_errors_next_to_fields(browser, bundled):
    form = {
        "team": "team-a",
        "model": "ridge",
        "target": "direction",
        "symbol": "SPX",
        "start": "2030-01-01",
        "horizon": 1,
        "folds": 4,
        "gap": 1,
        "seed": 0,
        "params": '{"alpha": -1}',
    }
    page = browser.post("/trials/new/", form).content.decode()
    assert "alpha: must be at least" in page
    assert "ridge supports return, volatility, not direction" in page
    assert "no SPX bars between 2030-01-01" in page
    assert not Trial.objects.exists()


def test_study_form_starts_a_study_and_shows_errors(browser, bundled):
    from trials.models import Study

    form = {
        "team": "team-a",
        "models": ["logistic_regression", "random_forest_classifier"],
        "target": "direction",
        "symbol": "SPX",
        "start": "2010-01-01",
        "horizon": 1,
        "folds": 3,
        "gap": 1,
        "seed": 0,
        "metric": "rmse",
        "direction": "maximize",
        "budget": 5,
        "parallelism": 2,
    }
    page = browser.post("/studies/", form).content.decode()
    assert "must be one of" in page and "for a direction target" in page
    assert not Study.objects.exists()
    response = browser.post("/studies/", dict(form, metric="sharpe"))
    study = Study.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/studies/{study.pk}/"
    assert (study.model_keys, study.metric, study.budget) == (
        ["logistic_regression", "random_forest_classifier"],
        "sharpe",
        5,
    )
    assert "sharpe" in browser.get(f"/studies/{study.pk}/").content.decode()


def test_train_link_starts_on_a_target_the_model_supports(browser, bundled):
    page = browser.get("/trials/new/?model=garch_1_1").content.decode()
    assert '<option value="volatility" selected>' in page
