"""Fitted models at rest: written only by the worker through Django's storage API, signed, verified before loading.

Format: the fitted estimator pickled (protocol 5), with its SHA-256 and an HMAC-SHA256 of the same bytes under the
server's key (REGISTRY_SIGNING_KEY, else one derived from SECRET_KEY; never in code). Pickle because the catalog's
estimators come from seven libraries (scikit-learn, LightGBM, XGBoost, statsmodels, arch, hmmlearn, our own
adapters): skops covers scikit-learn alone. Pickle can run code while loading, so nothing is unpickled unless
both checks pass: a file that was changed, swapped or written by anyone without the key is refused with
ArtifactTampered before a byte of it is interpreted. Nothing a user uploads is ever a model: artifacts are written
by registry.services.version_fit in the worker, under names the registry chooses, and loaded only by those names.
"""

import hashlib
import hmac
import pickle
import secrets
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages

HMAC_SALT = b"mltrainer.registry.artifact.v1"


class ArtifactTampered(Exception):
    """The stored artifact is not the one the worker wrote (its SHA-256 or HMAC does not match): never loaded."""


def artifact_storage() -> Storage:
    """STORAGES["registry"] when configured (S3-compatible through django-storages in production), else the
    filesystem under REGISTRY_ARTIFACT_DIR (var/registry by default)."""
    if "registry" in settings.STORAGES:
        return storages["registry"]
    return FileSystemStorage(location=str(settings.REGISTRY_ARTIFACT_DIR))


def _key() -> bytes:
    configured = settings.REGISTRY_SIGNING_KEY
    if configured:
        return configured.encode()
    # A key of its own, derived from SECRET_KEY: an HMAC made for another purpose can never pass as this one.
    return hmac.new(str(settings.SECRET_KEY).encode(), HMAC_SALT, hashlib.sha256).digest()


def sign(payload: bytes) -> str:
    return hmac.new(_key(), HMAC_SALT + payload, hashlib.sha256).hexdigest()


def artifact_save(*, estimator: Any, prefix: str) -> tuple[str, str, str, int]:
    """Store a fitted estimator; returns (name in storage, SHA-256, HMAC, size in bytes)."""
    payload = pickle.dumps(estimator, protocol=5)
    name = f"{prefix}-{secrets.token_hex(8)}.pkl"
    stored = artifact_storage().save(name, ContentFile(payload))
    return stored, hashlib.sha256(payload).hexdigest(), sign(payload), len(payload)


def artifact_verify(*, payload: bytes, sha256: str, signature: str, label: str) -> None:
    actual = hashlib.sha256(payload).hexdigest()
    if not sha256 or not hmac.compare_digest(actual, sha256):
        raise ArtifactTampered(
            f"the artifact of {label} was changed after it was written (SHA-256 {actual[:12]}…, "
            f"registered {sha256[:12]}…): refusing to load it; register the trial again"
        )
    if not signature or not hmac.compare_digest(sign(payload), signature):
        raise ArtifactTampered(
            f"the artifact of {label} is not signed with this server's key: refusing to load it; "
            "register the trial again (or restore REGISTRY_SIGNING_KEY if it was changed)"
        )


def artifact_load(*, name: str, sha256: str, signature: str, label: str) -> Any:
    """The fitted estimator, after its SHA-256 and HMAC are checked; ArtifactTampered otherwise."""
    if not name:
        raise ArtifactTampered(f"{label} has no artifact")
    try:
        with artifact_storage().open(name, "rb") as handle:
            payload = handle.read()
    except FileNotFoundError:
        raise ArtifactTampered(f"the artifact of {label} is missing from storage") from None
    artifact_verify(payload=payload, sha256=sha256, signature=signature, label=label)
    return pickle.loads(payload)  # noqa: S301 - verified above: written by our worker, signed with our key
