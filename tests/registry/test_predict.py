"""Predictions of a registered version: per date, P(up) and the position, with the trial's features and no
lookahead; for dates of the trial's last test fold they agree with a refit done here, independently."""

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from market_data.models import Dataset
from market_data.selectors import dataset_frame
from registry.services import version_promote
from trials.features import make_dataset


def _predict(api_as, user, url, body):
    response = api_as(user).post(url, body, format="json")
    return response.status_code, response.json()


def test_predictions_in_the_last_test_fold_agree_with_an_independent_refit(fitted_version, alice, api_as):
    version = fitted_version()
    trial = version.trial
    fold = trial.folds[-1]
    start, end = fold["test_start"][:10], fold["test_end"][:10]
    status, body = _predict(api_as, alice, "/api/registry/spx-logit/versions/1/predict/", {"start": start, "end": end})
    assert status == 200, body
    assert len(body["predictions"]) == fold["n_test"]

    # The refit, written out here: the trial's rows (2012-2016 of SPX), C=0.5 on standardised features.
    bars = dataset_frame(dataset=Dataset.objects.get(key="SPX", team__isnull=True))
    X, y, _ = make_dataset(bars, target="direction", horizon=1, start=pd.Timestamp("2012-01-01"),
                           end=pd.Timestamp("2016-12-31"))  # fmt: skip
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=1000, random_state=0)).fit(X, y)
    dates = pd.DatetimeIndex([row["date"] for row in body["predictions"]]).tz_localize(None)
    expected = model.predict_proba(X.loc[dates])[:, 1]
    got = np.array([row["proba"] for row in body["predictions"]])
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-10)
    assert [row["position"] for row in body["predictions"]] == list((expected >= 0.5).astype(float))
    assert [row["prediction"] for row in body["predictions"]] == list((expected >= 0.5).astype(float))


def test_latest_predicts_the_last_bar_whose_next_move_is_unknown(fitted_version, alice, api_as):
    fitted_version()
    status, body = _predict(api_as, alice, "/api/registry/spx-logit/versions/1/predict/", {"latest": True})
    assert status == 200, body
    last_bar = Dataset.objects.get(key="SPX", team__isnull=True).last_date
    assert [row["date"][:10] for row in body["predictions"]] == [last_bar.date().isoformat()]
    assert 0 <= body["predictions"][0]["proba"] <= 1


def test_production_route_and_its_404_before_promotion(fitted_version, alice, api_as):
    version = fitted_version()
    url = "/api/registry/spx-logit/production/predict/"
    assert api_as(alice).post(url, {"latest": True}, format="json").status_code == 404
    version_promote(version=version, user=alice)
    status, body = _predict(api_as, alice, url, {"latest": True})
    assert status == 200 and body["version"] == 1 and body["stage"] == "production"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "start"),
        ({"latest": True, "start": "2016-01-01"}, "latest"),
        ({"start": "2016-02-01", "end": "2016-01-01"}, "end"),
    ],
)
def test_bad_requests_name_the_field(fitted_version, alice, api_as, body, field):
    fitted_version()
    status, answer = _predict(api_as, alice, "/api/registry/spx-logit/versions/1/predict/", body)
    assert status == 400 and field in answer


def test_tampered_artifact_answers_409_with_the_reason(fitted_version, alice, api_as):
    from registry import artifacts

    version = fitted_version()
    with open(artifacts.artifact_storage().path(version.artifact_name), "ab") as handle:
        handle.write(b"\x00")
    status, body = _predict(api_as, alice, "/api/registry/spx-logit/versions/1/predict/", {"latest": True})
    assert status == 409 and "refusing to load it" in body["detail"]
