"""Encryption at rest for stored secrets (teams' provider API keys) with key rotation, and masking for display.

Keys are Fernet keys (`Fernet.generate_key()`: 32 url-safe base64-encoded bytes), normally the comma-separated
MLTRAINER_ENCRYPTION_KEY. The first key encrypts; every key decrypts, so rotation is: put a new key first, keep
the old one after it, re-encrypt stored tokens with `reencrypt_secret`, then drop the old key.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEY_SETTING = "MLTRAINER_ENCRYPTION_KEY"
MASK = "••••"


class EncryptionKeyMissing(RuntimeError):
    """No encryption key is configured (or one is not a Fernet key); the message names the setting, never a key."""


class SecretDecryptError(ValueError):
    """A stored token could not be decrypted with any configured key."""


def _fernet(keys: list[str]) -> MultiFernet:
    usable = [key.strip() for key in keys if key and key.strip()]
    if not usable:
        raise EncryptionKeyMissing(f"{KEY_SETTING} is not set")
    fernets = []
    for position, key in enumerate(usable, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise EncryptionKeyMissing(
                f"{KEY_SETTING} key #{position} is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'"
            ) from None
    return MultiFernet(fernets)


def encrypt_secret(plaintext: str, *, keys: list[str]) -> str:
    """A token for `plaintext`, encrypted (and authenticated) with the first key."""
    return _fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt_secret(token: str, *, keys: list[str]) -> str:
    """The plaintext of a token made with any of `keys`."""
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretDecryptError(
            f"the stored secret cannot be decrypted with the configured {KEY_SETTING}; "
            "was a key removed before secrets were re-encrypted? Re-enter the secret or restore the old key."
        ) from None


def reencrypt_secret(token: str, *, keys: list[str]) -> str:
    """The same secret encrypted with the first key: the step that lets an old key be retired."""
    try:
        return _fernet(keys).rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretDecryptError(f"the stored secret cannot be decrypted with the configured {KEY_SETTING}") from None


def mask_secret(s: str) -> str:
    """`s` for display: "••••1234" (its last 4 characters); short secrets show no characters at all."""
    if not s:
        return ""
    # Showing the last 4 of an 8-character secret would give away half of it.
    return MASK + s[-4:] if len(s) >= 12 else MASK
