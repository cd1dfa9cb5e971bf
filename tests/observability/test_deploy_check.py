"""`manage.py check --deploy` under production settings taken from the environment."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def deploy_check(**overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "SECURE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="mltrainer_site.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="mltrainer.example.com",
        DATABASE_URL="postgres://mltrainer:pw@127.0.0.1:5432/mltrainer",
        REDIS_URL="redis://127.0.0.1:6379/0",
        METRICS_TOKEN=secrets.token_urlsafe(32),
    )
    env.update(overrides)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_production_settings():
    result = deploy_check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_notices_a_weakened_setting():
    result = deploy_check(SECURE_HSTS_SECONDS="0", SECURE_SSL_REDIRECT="0")
    assert result.returncode != 0
    assert "security.W004" in result.stderr and "security.W008" in result.stderr
