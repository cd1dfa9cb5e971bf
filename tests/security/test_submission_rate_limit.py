"""A per-user limit on trial and study submissions, so a script cannot fill the queue (429 with Retry-After)."""

import pytest
from django.test import Client

from mltrainer_site.env import Rate
from trials.models import Study, Trial

pytestmark = pytest.mark.django_db


def test_trials_past_the_limit_get_429_and_nothing_is_stored(api_as, alice, bob, bundled, trial_payload, settings):
    settings.RATE_SUBMISSIONS_PER_USER = Rate(3, 60)
    client = api_as(alice)
    assert [client.post("/api/trials/", trial_payload, format="json").status_code for _ in range(3)] == [201] * 3
    response = client.post("/api/trials/", trial_payload, format="json")
    assert response.status_code == 429
    assert response.json()["detail"].startswith("your limit of 3 submissions per minute is reached; try again in")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert Trial.objects.count() == 3
    assert api_as(bob).post("/api/trials/", trial_payload, format="json").status_code == 201  # per user


def test_studies_and_the_web_form_count_toward_the_same_limit(api_as, alice, bundled, trial_payload, settings):
    settings.RATE_SUBMISSIONS_PER_USER = Rate(2, 60)
    study = {"model": "logistic_regression", "data": trial_payload["data"], "validation": trial_payload["validation"]}
    study["budget"] = 2
    assert api_as(alice).post("/api/studies/", study, format="json").status_code == 201
    assert api_as(alice).post("/api/trials/", trial_payload, format="json").status_code == 201
    assert api_as(alice).post("/api/studies/", study, format="json").status_code == 429
    browser = Client()
    browser.force_login(alice)
    form = {"team": "team-a", "model": "ridge", "target": "return", "symbol": "SPX", "start": "2010-01-01"}
    form.update({"end": "2015-12-31", "horizon": 1, "folds": 4, "gap": 1, "seed": 3, "params": '{"alpha": 2.0}'})
    response = browser.post("/trials/new/", form)
    assert response.status_code == 429 and "limit of 2 submissions per minute" in response.content.decode()
    assert Study.objects.count() == 1


def test_no_limit_when_the_setting_is_zero(api_as, alice, bundled, trial_payload, settings):
    settings.RATE_SUBMISSIONS_PER_USER = None
    client = api_as(alice)
    assert {client.post("/api/trials/", trial_payload, format="json").status_code for _ in range(5)} == {201}


def test_a_bad_rate_setting_fails_at_start_naming_it(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from mltrainer_site.env import env_rate

    monkeypatch.setenv("RATE_COACH_PER_USER", "ten a minute")
    with pytest.raises(ImproperlyConfigured, match="RATE_COACH_PER_USER must look like 10/minute"):
        env_rate("RATE_COACH_PER_USER", "6/minute")
    monkeypatch.setenv("RATE_COACH_PER_USER", "0")
    assert env_rate("RATE_COACH_PER_USER", "6/minute") is None
