"""Study pages and their API: the direction follows the metric unless chosen, progress reads done/budget, and
Optuna's parameter importances are served for the team only."""

import pytest
from django.test import Client

from trials.models import Study

pytestmark = pytest.mark.django_db

FORM = {
    "team": "team-a", "models": ["ridge"], "target": "return", "symbol": "SPX", "start": "2012-01-01",
    "end": "2016-12-31", "horizon": 1, "folds": 3, "gap": 1, "seed": 0, "metric": "rmse", "direction": "",
    "budget": 4, "parallelism": 2,
}  # fmt: skip


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_direction_follows_the_metric_unless_chosen(alice, bundled):
    client = _client(alice)
    assert client.post("/studies/", FORM).status_code == 302
    assert Study.objects.get().direction == "minimize"  # rmse: lower is better
    client.post("/studies/", dict(FORM, metric="sharpe"))
    assert Study.objects.order_by("-id").first().direction == "maximize"
    client.post("/studies/", dict(FORM, direction="maximize"))
    assert Study.objects.order_by("-id").first().direction == "maximize"  # chosen by hand


def test_the_list_shows_done_over_budget(alice, team_a, bundled):
    from trials.studies import study_create

    payload = {"model": "ridge", "metric": "rmse", "budget": 4, "data": {"symbol": "SPX", "target": "return"}}
    study = study_create(team=team_a, user=alice, payload=payload)
    page = _client(alice).get("/studies/").content.decode()
    assert f'<a href="/studies/{study.pk}/">' in page and ">0/4<" in page


def test_importances_are_empty_before_two_evaluations_and_404_for_outsiders(alice, charlie, team_a, bundled, api_as):
    from trials.studies import study_create

    payload = {"model": "ridge", "metric": "rmse", "budget": 4, "data": {"symbol": "SPX", "target": "return"}}
    study = study_create(team=team_a, user=alice, payload=payload)
    assert api_as(alice).get(f"/api/studies/{study.pk}/importances/").json() == {"study": study.pk, "params": []}
    assert api_as(charlie).get(f"/api/studies/{study.pk}/importances/").status_code == 404
    assert _client(charlie).get(f"/studies/{study.pk}/").status_code == 404


def test_viewers_get_no_study_form(victor, bundled):
    page = _client(victor).get("/studies/").content.decode()
    assert 'id="study-form"' not in page


def test_importances_rank_the_parameters_once_two_evaluations_have_values(alice, team_a, bundled, api_as):
    from trials.models import Trial
    from trials.services import trial_execute
    from trials.studies import study_create, study_step

    payload = {"model": "ridge", "metric": "rmse", "budget": 2, "parallelism": 2}
    payload["data"] = {"symbol": "SPX", "target": "return", "start": "2014-01-01", "end": "2016-12-31"}
    payload["validation"] = {"folds": 2, "gap": 1}
    study = study_create(team=team_a, user=alice, payload=payload)
    study_step(study_id=study.pk)
    for trial in Trial.objects.filter(study=study):
        trial_execute(trial_id=trial.pk)
    body = api_as(alice).get(f"/api/studies/{study.pk}/importances/").json()
    assert body["params"] and {p["name"] for p in body["params"]} <= set(Trial.objects.filter(study=study)[0].params)
    assert sum(p["importance"] for p in body["params"]) == pytest.approx(1.0)


def test_the_study_page_shows_its_pbo_with_the_definition(alice, team_a, bundled):
    from datetime import UTC, datetime

    from django.utils.html import escape

    from trials.figures import STUDY_FIGURES
    from trials.overfitting import PBO_MIN_EVALUATIONS
    from trials.studies import study_create

    payload = {"model": "ridge", "metric": "rmse", "budget": 9, "data": {"symbol": "SPX", "target": "return"}}
    study = study_create(team=team_a, user=alice, payload=payload)
    page = _client(alice).get(f"/studies/{study.pk}/").content.decode()
    assert f"computed once {PBO_MIN_EVALUATIONS} evaluations have finished" in page
    assert f'title="{escape(STUDY_FIGURES["pbo"].definition)}">Probability of backtest overfitting</abbr>' in page
    assert escape(STUDY_FIGURES["pbo"].definition) in page.split('id="pbo-definition">')[1]
    Study.objects.filter(pk=study.pk).update(
        pbo=0.234, pbo_evaluations=9, pbo_computed_at=datetime(2026, 5, 6, 7, 8, tzinfo=UTC)
    )
    page = _client(alice).get(f"/studies/{study.pk}/").content.decode()
    assert '<strong id="pbo-value">23.4 %</strong>' in page
    assert "over 9 evaluations' bar returns, computed 2026-05-06 07:08 UTC" in page
