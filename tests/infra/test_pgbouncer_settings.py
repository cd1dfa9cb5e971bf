"""DB_PGBOUNCER=1 makes the PostgreSQL settings safe behind PgBouncer in transaction mode."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SHOW = (
    "import json, django; from django.conf import settings; django.setup(); d = settings.DATABASES['default']; "
    "print(json.dumps({'cursors': d.get('DISABLE_SERVER_SIDE_CURSORS', False), 'options': d['OPTIONS']}))"
)


def _database_settings(**env) -> dict:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "mltrainer_site.settings", "DEBUG": "1",
                   "DATABASE_URL": "postgres://u:p@db.example:6432/mltrainer", **env}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", SHOW], cwd=ROOT, env=environment, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_behind_pgbouncer_no_server_side_cursors_and_no_prepared_statements():
    behind = _database_settings(DB_PGBOUNCER="1", DB_POOL_MAX_SIZE="0")
    assert behind["cursors"] is True
    assert "prepare_threshold" in behind["options"] and behind["options"]["prepare_threshold"] is None
    assert "pool" not in behind["options"]
    direct = _database_settings()
    assert direct["cursors"] is False and direct["options"]["prepare_threshold"] == 5
    assert direct["options"]["pool"]["max_size"] == 4
