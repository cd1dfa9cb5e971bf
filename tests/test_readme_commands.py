"""The README's management commands work as written from a checkout with nothing configured (no SECRET_KEY, no
DEBUG, no DATABASE_URL): manage.py fills in what `make run` uses (DEBUG=1, the keys and the database in var/)."""

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

from django.contrib.auth.hashers import PBKDF2PasswordHasher

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
UNSET = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "MLTRAINER_ENCRYPTION_KEY")


def readme_command(name: str) -> str:
    """The README's command line that runs `manage.py <name>`, as written (from inside its backticks)."""
    found = re.findall(rf"`([^`]*manage\.py {name}\b[^`]*)`", README)
    assert found, f"the README no longer shows manage.py {name}"
    return found[0]


def run(command: str, var: Path, stdin: str = "") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env["MLTRAINER_VAR_DIR"] = str(var)
    command = command.replace(".venv/bin/python", sys.executable)  # the interpreter running this suite
    # A new session has no terminal, so a password prompt reads its answer from stdin.
    return subprocess.run(
        command, shell=True, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=300,
        start_new_session=True,
    )  # fmt: skip


def test_the_readmes_management_commands_work_as_written(tmp_path):
    # What make run does first, in one process (each manage.py start costs seconds).
    setup = "from django.core.management import call_command as c; c('migrate', verbosity=0); c('create_demo_team')"
    done = run(f'.venv/bin/python manage.py shell -c "{setup}"', tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "secret_key").exists() and (tmp_path / "db.sqlite3").exists()

    done = run(readme_command("add_member"), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "erin created and added to Rates Desk as owner"

    done = run(readme_command("changepassword"), tmp_path, stdin="new-demo-password-9\nnew-demo-password-9\n")
    assert done.returncode == 0, done.stderr
    assert "Password changed successfully for user 'admin'" in done.stdout

    with sqlite3.connect(tmp_path / "db.sqlite3") as db:
        stored = dict(db.execute("SELECT username, password FROM accounts_user").fetchall())
    hasher = PBKDF2PasswordHasher()  # the site's default hasher (the suite itself uses a faster one)
    assert hasher.verify("new-demo-password-9", stored["admin"])
    assert hasher.verify("rates-desk-2026!", stored["erin"])
