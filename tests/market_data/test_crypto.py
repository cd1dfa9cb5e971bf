"""Secrets at rest: MultiFernet encryption with rotation, clear errors without keys, masking for display."""

import pytest
from cryptography.fernet import Fernet

from market_data.crypto import (
    EncryptionKeyMissing,
    SecretDecryptError,
    decrypt_secret,
    encrypt_secret,
    mask_secret,
    reencrypt_secret,
)

SECRET = "pk_live_0123456789abcdefWXYZ"


@pytest.fixture
def old_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def new_key() -> str:
    return Fernet.generate_key().decode()


def test_a_secret_round_trips_and_is_not_stored_in_clear(old_key):
    token = encrypt_secret(SECRET, keys=[old_key])

    assert SECRET not in token
    assert decrypt_secret(token, keys=[old_key]) == SECRET


def test_encrypting_twice_gives_different_tokens(old_key):
    assert encrypt_secret(SECRET, keys=[old_key]) != encrypt_secret(SECRET, keys=[old_key])


def test_after_rotation_old_tokens_still_decrypt_and_new_ones_use_the_new_key(old_key, new_key):
    old_token = encrypt_secret(SECRET, keys=[old_key])
    new_token = encrypt_secret(SECRET, keys=[new_key, old_key])

    assert decrypt_secret(old_token, keys=[new_key, old_key]) == SECRET
    assert decrypt_secret(new_token, keys=[new_key]) == SECRET
    with pytest.raises(SecretDecryptError):
        decrypt_secret(new_token, keys=[old_key])


def test_reencrypting_lets_the_old_key_be_retired(old_key, new_key):
    old_token = encrypt_secret(SECRET, keys=[old_key])

    rotated = reencrypt_secret(old_token, keys=[new_key, old_key])

    assert decrypt_secret(rotated, keys=[new_key]) == SECRET


@pytest.mark.parametrize("keys", [[], [""], ["  "]])
def test_no_key_configured_is_a_clear_error(keys):
    with pytest.raises(EncryptionKeyMissing, match="^MLTRAINER_ENCRYPTION_KEY is not set$"):
        encrypt_secret(SECRET, keys=keys)
    with pytest.raises(EncryptionKeyMissing, match="^MLTRAINER_ENCRYPTION_KEY is not set$"):
        decrypt_secret("token", keys=keys)


def test_a_malformed_key_is_named_by_position_without_echoing_it(old_key):
    with pytest.raises(EncryptionKeyMissing) as caught:
        encrypt_secret(SECRET, keys=[old_key, "not-a-fernet-key-but-secret"])

    assert "MLTRAINER_ENCRYPTION_KEY key #2 is not a Fernet key" in str(caught.value)
    assert "not-a-fernet-key-but-secret" not in str(caught.value)


def test_a_token_from_an_unknown_key_is_a_clear_error(old_key, new_key):
    token = encrypt_secret(SECRET, keys=[old_key])

    with pytest.raises(SecretDecryptError, match="cannot be decrypted with the configured MLTRAINER_ENCRYPTION_KEY"):
        decrypt_secret(token, keys=[new_key])
    with pytest.raises(SecretDecryptError):
        decrypt_secret("garbage", keys=[new_key])


def test_mask_shows_only_the_last_four_characters():
    assert mask_secret(SECRET) == "••••WXYZ"


@pytest.mark.parametrize("short", ["abcd", "abcdefgh", "abcdefghijk"])
def test_mask_hides_short_secrets_completely(short):
    assert mask_secret(short) == "••••"


def test_mask_of_nothing_is_empty():
    assert mask_secret("") == ""
