"""A bad trial spec gets 400 with a message on each field it concerns, and nothing is stored."""

import pytest

from trials.models import Trial

pytestmark = pytest.mark.django_db


def _post(client, payload):
    return client.post("/api/trials/", payload, format="json")


def test_valid_spec_is_queued_with_defaults_filled_in(bundled, alice, api_as, trial_payload):
    del trial_payload["validation"]["gap"]
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued"
    assert body["validation"] == {"scheme": "walk_forward", "folds": 3, "gap": 1}
    assert body["params"] == {"C": 0.5, "max_iter": 1000, "l1_ratio": 0.0}
    assert body["team"] == "team-a"
    # Existing trials keep their figures: no costs, long or flat, one seed.
    assert body["costs"] == {"commission_bps": 0.0, "slippage_bps": 0.0}
    assert body["positions"] == "long_flat" and body["repeats"] == 1 and body["validation_note"] == ""


def test_unknown_model_is_named(bundled, alice, api_as, trial_payload):
    trial_payload["model"] = "crystal_ball"
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert "crystal_ball" in response.json()["model"]
    assert Trial.objects.count() == 0


@pytest.mark.parametrize(
    ("params", "name", "fragment"),
    [
        ({"n_trees": 10}, "n_trees", "unknown parameter"),
        ({"n_estimators": "many"}, "n_estimators", "must be a number"),
        ({"n_estimators": 2.5}, "n_estimators", "whole number"),
        ({"n_estimators": 5}, "n_estimators", "at least 10"),
        ({"max_features": "most"}, "max_features", "must be one of"),
    ],
)
def test_bad_parameter_is_named_with_reason(bundled, alice, api_as, trial_payload, params, name, fragment):
    trial_payload.update(model="random_forest_classifier", params=params)
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert fragment in response.json()["params"][name]


def test_unknown_symbol_and_empty_date_range(bundled, alice, api_as, trial_payload):
    trial_payload["data"]["symbol"] = "NOPE"
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert "unknown symbol 'NOPE'" in response.json()["data"]["symbol"]

    trial_payload["data"].update(symbol="SPX", start="2030-01-01", end="2031-01-01")
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert "no SPX bars between 2030-01-01 and 2031-01-01" in response.json()["data"]["start"]
    assert "1999-01-04 to 2018-12-31" in response.json()["data"]["start"]


def test_end_before_start_and_malformed_date(bundled, alice, api_as, trial_payload):
    trial_payload["data"].update(start="2015-01-01", end="2014-01-01")
    assert "must be after start" in _post(api_as(alice), trial_payload).json()["data"]["end"]
    trial_payload["data"].update(start="01/02/2015", end=None)
    assert "YYYY-MM-DD" in _post(api_as(alice), trial_payload).json()["data"]["start"]


def test_random_split_is_refused(bundled, alice, api_as, trial_payload):
    trial_payload["validation"]["scheme"] = "random"
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert "trains on the future" in response.json()["validation"]["scheme"]


def test_target_the_model_does_not_support(bundled, alice, api_as, trial_payload):
    trial_payload["data"]["target"] = "return"  # logistic_regression is a classifier
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert "supports direction, not return" in response.json()["data"]["target"]


def test_folds_and_horizon_out_of_range(bundled, alice, api_as, trial_payload):
    trial_payload["validation"]["folds"] = 1
    trial_payload["data"]["horizon"] = 0
    body = _post(api_as(alice), trial_payload).json()
    assert "between 2 and" in body["validation"]["folds"]
    assert "between 1 and 60" in body["data"]["horizon"]


def test_every_problem_is_reported_at_once(bundled, alice, api_as):
    body = _post(api_as(alice), {"data": {"symbol": "NOPE"}, "validation": {"folds": "x"}}).json()
    assert set(body) == {"model", "data", "validation"}


def test_viewer_cannot_launch_trials(bundled, victor, api_as, trial_payload):
    response = _post(api_as(victor), trial_payload)
    assert response.status_code == 403
    assert "viewers can only read" in response.json()["detail"]


def test_team_not_a_member_of_is_refused(bundled, alice, charlie, api_as, trial_payload):
    trial_payload["team"] = "team-b"
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert "not a member of team 'team-b'" in response.json()["team"]
    assert Trial.objects.count() == 0


@pytest.mark.parametrize("team", [-3.3e16, 7, ["team-a"], {"slug": "team-a"}])
def test_a_team_that_is_no_slug_is_refused(bundled, alice, api_as, trial_payload, team):
    trial_payload["team"] = team
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400 and "not a member of team" in response.json()["team"]
    assert Trial.objects.count() == 0


def test_your_own_team_by_slug_and_by_default_is_the_same(bundled, alice, api_as, trial_payload):
    named = _post(api_as(alice), {**trial_payload, "team": "team-a"})
    default = _post(api_as(alice), {key: value for key, value in trial_payload.items() if key != "team"})
    assert named.status_code == default.status_code == 201
    assert named.json()["team"] == default.json()["team"] == "team-a"


def test_unauthenticated_request_is_refused(bundled, trial_payload):
    from rest_framework.test import APIClient

    assert APIClient().post("/api/trials/", trial_payload, format="json").status_code == 401


def test_date_range_too_short_for_the_folds_fails_at_submission_with_the_workers_message(
    bundled, alice, api_as, trial_payload
):
    trial_payload["data"].update(start="2018-10-01", end="2018-12-31")
    trial_payload["validation"]["folds"] = 10
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    assert response.json()["validation"]["folds"] == (
        "62 usable rows are too few for 10 folds with a gap of 1 (each fold needs at least 50 training rows): "
        "widen the date range or use fewer folds"
    )
    assert Trial.objects.count() == 0


@pytest.mark.parametrize(
    ("where", "field"),
    [(None, "costs_bps"), ("data", "benchmarks"), ("validation", "embargo"), ("costs", "commision_bps")],
)
def test_unknown_fields_are_refused_by_name(bundled, alice, api_as, trial_payload, where, field):
    (trial_payload if where is None else trial_payload.setdefault(where, {}))[field] = 1
    response = _post(api_as(alice), trial_payload)
    assert response.status_code == 400
    body = response.json() if where is None else response.json()[where]
    # walk_forward has no embargo: a field of another scheme is named as not applying.
    assert ("does not apply to walk_forward" if field == "embargo" else "unknown field") in body[field]
    assert Trial.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "where", "field", "fragment"),
    [
        ({"costs": {"commission_bps": 501}}, "costs", "commission_bps", "from 0 to 500"),
        ({"costs": {"slippage_bps": -1}}, "costs", "slippage_bps", "from 0 to 500"),
        ({"costs": {"slippage_bps": "5"}}, "costs", "slippage_bps", "must be a number"),
        ({"positions": "short_only"}, None, "positions", "long_flat, long_short"),
        ({"repeats": 21}, None, "repeats", "between 1 and 20"),
        ({"validation": {"scheme": "cpcv", "groups": 12, "test_groups": 6}}, "validation", "test_groups", "924"),
        ({"data": {"benchmark": "CPILFESL"}}, "data", "benchmark", "single-value series"),
    ],
)
def test_costs_positions_repeats_and_schemes_are_checked(
    bundled, alice, api_as, trial_payload, change, where, field, fragment
):
    for key, value in change.items():
        trial_payload[key] = (
            {**trial_payload[key], **value} if isinstance(value, dict) and key in trial_payload else value
        )
    body = _post(api_as(alice), trial_payload).json()
    assert fragment in (body if where is None else body[where])[field]


def test_new_settings_are_stored_and_shown(bundled, alice, api_as, trial_payload):
    trial_payload.update(costs={"commission_bps": 2, "slippage_bps": 1.5}, positions="long_short", repeats=3)
    trial_payload["data"]["benchmark"] = "IXIC"
    trial_payload["validation"] = {"scheme": "purged_kfold", "folds": 4, "embargo": 2}
    body = _post(api_as(alice), trial_payload).json()
    assert body["costs"] == {"commission_bps": 2.0, "slippage_bps": 1.5}
    assert body["positions"] == "long_short" and body["repeats"] == 3
    assert body["data"]["benchmark"] == "IXIC"
    assert body["validation"] == {"scheme": "purged_kfold", "folds": 4, "gap": 1, "embargo": 2}
    assert body["validation_note"] == (
        "trains on data after the test period, purged: for model selection, not a tradable backtest"
    )


def test_purged_schemes_refuse_models_that_read_the_price_history(bundled, alice, api_as, trial_payload):
    trial_payload.update(model="arima", params={})
    trial_payload["data"]["target"] = "return"
    trial_payload["validation"] = {"scheme": "cpcv"}
    body = _post(api_as(alice), trial_payload).json()
    assert "arima reads the price history itself" in body["validation"]["scheme"]
