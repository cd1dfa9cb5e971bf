"""What a checkout runs with when nothing is configured: shared by `make run` (scripts/run_local.py) and
`manage.py`, so a management command run from the checkout sees the same database, keys and DEBUG as the site.

Only when the environment sets neither SECRET_KEY nor DEBUG: the image sets DEBUG=0 and production sets
SECRET_KEY, so there a missing key still stops the process instead of a key being made up."""

import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def var_dir(environ) -> Path:
    return Path(environ.get("MLTRAINER_VAR_DIR") or ROOT / "var")


def _secret_file(path: Path, make) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def local_defaults(environ) -> None:
    """Fill in DEBUG=1 and the keys kept in var/ (made on first use), in place; a no-op unless local."""
    if "SECRET_KEY" in environ or "DEBUG" in environ:
        return
    var = var_dir(environ)
    environ["DEBUG"] = "1"
    environ["SECRET_KEY"] = _secret_file(var / "secret_key", lambda: secrets.token_urlsafe(50))
    if "MLTRAINER_ENCRYPTION_KEY" not in environ:
        from cryptography.fernet import Fernet

        environ["MLTRAINER_ENCRYPTION_KEY"] = _secret_file(
            var / "encryption_key", lambda: Fernet.generate_key().decode()
        )
