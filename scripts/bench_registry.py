"""`make bench`, registry part: the latency of a latest-bar prediction of a loaded production model.

A throwaway SQLite database and var/ in a temporary directory (Redis: the local one on 6379, else an embedded
one, as the tests choose). One logistic-regression trial on SPX is run, registered, refitted and promoted; then
POST /api/registry/{name}/production/predict/ {"latest": true} is timed through Django's full request stack
(middleware, JWT authentication, the view, the service) in this warm process: the model stays loaded (verified
once) and the features are kept by the datasets' hashes, so each call costs the queries that check them and one
prediction. This is the "warm web/worker process" answer; no separate predictor process is needed for it.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="mltrainer-bench-registry-"))
os.environ["DATABASE_URL"] = f"sqlite:///{TMP / 'db.sqlite3'}"
os.environ["MLTRAINER_VAR_DIR"] = str(TMP)
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ.setdefault("REGISTRY_SIGNING_KEY", "bench-only-key")
CALLS = int(os.environ.get("BENCH_PREDICT_CALLS", "200"))


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from rest_framework_simplejwt.tokens import RefreshToken

    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    settings.REGISTRY_ARTIFACT_DIR = TMP / "registry"
    call_command("migrate", verbosity=0)
    from accounts.services import member_add
    from market_data.services import bundled_load
    from registry.services import version_fit, version_promote, version_register
    from trials.services import trial_create, trial_execute

    bundled_load()
    membership, _ = member_add(team_name="Bench", username="bench", role="owner", password="bench-pw-12345!")
    team, user = membership.team, membership.user
    trial = trial_create(team=team, user=user, payload={
        "model": "logistic_regression", "params": {"C": 0.5}, "seed": 0,
        "data": {"symbol": "SPX", "start": "2005-01-01", "end": "2018-12-31", "target": "direction", "horizon": 1},
        "validation": {"scheme": "walk_forward", "folds": 5, "gap": 1}})  # fmt: skip
    trial_execute(trial_id=trial.pk)
    trial.refresh_from_db()
    t0 = time.perf_counter()
    version = version_fit(version_id=version_register(team=team, user=user, trial=trial, name="bench").pk)
    fit_seconds = time.perf_counter() - t0
    version_promote(version=version, user=user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    url = "/api/registry/bench/production/predict/"
    t0 = time.perf_counter()
    first = client.post(url, {"latest": True}, content_type="application/json")
    cold = time.perf_counter() - t0
    assert first.status_code == 200, first.content
    samples = []
    for _ in range(CALLS):
        t0 = time.perf_counter()
        response = client.post(url, {"latest": True}, content_type="application/json")
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95)]
    median = statistics.median(samples) * 1000
    verdict = "met" if median < 50 else "missed"
    print(f"registry: refit of a 14-year logistic regression in the worker's code path: {fit_seconds:6.2f} s")
    print(f"registry: latest-bar prediction, first call (verify + load + features):   {cold * 1000:7.1f} ms")
    print(f"registry: latest-bar prediction, warm, median of {CALLS}: {median:7.1f} ms (p95 {p95 * 1000:.1f} ms; "
          f"target < 50 ms: {verdict})")  # fmt: skip


if __name__ == "__main__":
    main()
