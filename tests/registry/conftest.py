"""Registry fixtures: a succeeded trial of team A (the cast's), registered and fitted as the worker would."""

import pytest


@pytest.fixture(autouse=True)
def _artifacts_in_tmp(settings, tmp_path):
    settings.REGISTRY_ARTIFACT_DIR = tmp_path / "registry"
    settings.REGISTRY_SIGNING_KEY = "test-only-registry-signing-key"


@pytest.fixture
def succeeded_trial(make_trial, alice, team_a):
    """A logistic regression on SPX 2012-2016, three walk-forward folds, trained by trial_execute."""
    from trials.services import trial_execute

    def make(user=None, **overrides):
        trial = make_trial(user or alice, team_a, **overrides)
        trial_execute(trial_id=trial.pk)
        trial.refresh_from_db()
        assert trial.status == "succeeded", trial.error
        return trial

    return make


@pytest.fixture
def fitted_version(succeeded_trial, alice, team_a):
    """fitted_version(name="spx-logit", user=alice, trial=None): registered and fitted (the task run inline)."""
    from registry.services import version_fit, version_register

    def make(name="spx-logit", user=None, trial=None):
        version = version_register(team=team_a, user=user or alice, trial=trial or succeeded_trial(), name=name)
        fitted = version_fit(version_id=version.pk)
        assert fitted is not None and fitted.status == "ready", fitted and fitted.error
        return fitted

    return make
