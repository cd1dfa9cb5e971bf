"""The web process loads the catalog's metadata, not its estimators: importing the catalog, or the whole URL conf,
imports none of the ML libraries, nor numpy and pandas (each is imported where a model is built, in the worker, or
where a page draws a chart). Nor does the Celery worker's prefork parent, which only hands messages to its child.
Checked in a fresh interpreter, since this test session itself has imported them all."""

import json
import subprocess
import sys
from pathlib import Path

ML_LIBRARIES = {"sklearn", "scipy", "lightgbm", "xgboost", "statsmodels", "arch", "hmmlearn", "catboost", "optuna"}
# What the web and the worker's parent must not load either: numpy and pandas (50 MB a process), the HTTP client of
# the data providers (httpx, which loads rich and pygments for its command line), redis-py (OpenTelemetry with it),
# daphne (Twisted) and the anthropic SDK. Each is imported by the code that uses it, when it runs.
HEAVY = ML_LIBRARIES | {"numpy", "pandas", "httpx", "redis", "twisted", "daphne", "anthropic"}
# The web imports Celery at its first send (mltrainer_site.broker), not to start.
CELERY = {"celery", "kombu"}


def imported_after(statements: str, *, django: bool = True) -> set[str]:
    code = (
        "import json, sys\n" + ("import django\ndjango.setup()\n" if django else "") + f"{statements}\n"
        "print(json.dumps(sorted({name.partition('.')[0] for name in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_catalog_metadata_imports_no_ml_library():
    """Without Django: its app registry loads trials.metrics (through the trials app's signal listeners)."""
    loaded = imported_after(
        "from models_catalog.registry import CATALOG\n"
        "[definition.as_dict() for definition in CATALOG.values()]\n"
        "CATALOG['ridge'].validate_params({'alpha': 2.0})",
        django=False,
    )
    assert "models_catalog" in loaded
    assert not loaded & HEAVY


def test_the_url_conf_imports_no_catalog_or_study_library():
    loaded = imported_after("import mltrainer_site.urls")
    assert "trials" in loaded
    assert not loaded & (HEAVY | CELERY)


def test_the_web_application_imports_neither_ml_libraries_nor_the_anthropic_sdk():
    """What each web server process loads: the SDK alone took seconds and tens of MB, for a rare coach request."""
    loaded = imported_after("import mltrainer_site.asgi\nimport mltrainer_site.urls  # loaded at the first request")
    assert "channels" in loaded and "coach" in loaded
    assert not loaded & (HEAVY | CELERY)


def test_the_worker_parent_imports_what_dispatching_needs_not_what_training_needs():
    """The prefork parent registers every task (so it imports each app's tasks and services) but runs none: the
    libraries a trial needs are imported by the child that trains it, and are not counted twice in memory."""
    loaded = imported_after(
        "from mltrainer_site.celery import app\n"
        "app.loader.import_default_modules()  # what `celery worker` does before it forks its pool\n"
        "assert 'trials.tasks.run_trial' in app.tasks and 'market_data.tasks.run_fetch_job' in app.tasks"
    )
    assert not loaded & HEAVY


def test_building_and_fitting_a_model_imports_its_library():
    loaded = imported_after(
        "from models_catalog.registry import CATALOG\n"
        "from tests.models_catalog.catalog_data import dataset\n"
        "for key in ('lightgbm_classifier', 'garch_1_1', 'arima'):\n"
        "    definition = CATALOG[key]\n"
        "    bars, X, y, _ = dataset(definition.targets[0], 400)\n"
        "    estimator = definition.build({}, target=definition.targets[0], seed=0)\n"
        "    estimator.fit(X.iloc[:250], y.iloc[:250], bars.loc[: X.index[249]])",
        django=False,
    )
    assert {"lightgbm", "arch", "statsmodels", "pandas"} <= loaded
