"""Registering a succeeded trial: a versioned refit in the worker, with its data, packages and signed artifact."""

import hashlib

import pytest
from django.db import transaction

from registry import artifacts
from registry.models import ModelVersion, StageChange
from registry.services import RegistryError, version_estimator, version_fit, version_register


def test_register_records_versions_data_packages_and_artifact_hash(fitted_version, succeeded_trial, alice):
    trial = succeeded_trial()
    first = fitted_version(trial=trial)
    second = fitted_version(trial=trial)
    assert (first.number, second.number) == (1, 2)
    assert first.trial_id == trial.pk and first.stage == "candidate" and first.progress == 1.0
    assert first.data_used[0]["key"] == "SPX" and first.data_used[0]["sha256"] == trial.data_used[0]["sha256"]
    assert first.data_used[0]["dataset_id"] == trial.data_used[0]["dataset_id"]
    assert first.packages["scikit-learn"] and first.packages["python"]
    assert first.fit_started_at <= first.fit_finished_at
    with artifacts.artifact_storage().open(first.artifact_name, "rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == first.artifact_sha256
    # The refit covers every row of the trial's range, not only its training folds.
    assert first.fit_rows > sum(fold["n_train"] for fold in trial.folds[-1:])
    assert StageChange.objects.get(version=first).action == "registered"


def test_fit_is_idempotent(fitted_version):
    version = fitted_version()
    assert version_fit(version_id=version.pk) is None  # delivered twice: fitted once
    version.refresh_from_db()
    assert version.status == "ready"


def test_only_a_succeeded_trial_of_the_team_can_be_registered(make_trial, alice, charlie, team_a, team_b):
    queued = make_trial(alice, team_a)
    with pytest.raises(RegistryError, match="only a succeeded trial"):
        version_register(team=team_a, user=alice, trial=queued, name="x")
    with pytest.raises(Exception, match="cannot register models"):
        version_register(team=team_a, user=charlie, trial=queued, name="x")
    with pytest.raises(RegistryError, match="not one of Team B"):
        version_register(team=team_b, user=charlie, trial=queued, name="x")
    with pytest.raises(RegistryError, match="name"):
        version_register(team=team_a, user=alice, trial=queued, name="Bad Name!")


def test_viewer_cannot_register(succeeded_trial, victor, team_a):
    from accounts.services import PermissionDenied

    with pytest.raises(PermissionDenied):
        version_register(team=team_a, user=victor, trial=succeeded_trial(), name="x")


def test_tampered_artifact_is_refused_with_a_clear_error(fitted_version):
    version = fitted_version()
    storage = artifacts.artifact_storage()
    with storage.open(version.artifact_name, "rb") as handle:
        payload = bytearray(handle.read())
    payload[-3] ^= 0xFF
    with open(storage.path(version.artifact_name), "wb") as handle:
        handle.write(payload)
    with pytest.raises(artifacts.ArtifactTampered, match="changed after it was written"):
        version_estimator(version=ModelVersion.objects.get(pk=version.pk))


def test_artifact_signed_with_another_key_is_refused(fitted_version, settings):
    """A forged file whose hash was updated to match still lacks the server key's HMAC."""
    version = fitted_version()
    storage = artifacts.artifact_storage()
    with storage.open(version.artifact_name, "rb") as handle:
        payload = handle.read()
    settings.REGISTRY_SIGNING_KEY = "someone-elses-key"
    with pytest.raises(artifacts.ArtifactTampered, match="not signed with this server's key"):
        artifacts.artifact_verify(
            payload=payload, sha256=version.artifact_sha256, signature=version.artifact_hmac, label=version.label
        )


def test_register_is_durable(succeeded_trial, alice, team_a):
    trial = succeeded_trial()
    with pytest.raises(RuntimeError), transaction.atomic():
        version_register(team=team_a, user=alice, trial=trial, name="x")
