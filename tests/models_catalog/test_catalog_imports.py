"""The web process loads the catalog's metadata, not its estimators: importing the catalog, or the whole URL conf,
imports none of the ML libraries (each is imported where a model is built, in the worker). Checked in a fresh
interpreter, since this test session itself has imported them all."""

import json
import subprocess
import sys
from pathlib import Path

ML_LIBRARIES = {"sklearn", "scipy", "lightgbm", "xgboost", "statsmodels", "arch", "hmmlearn", "catboost", "optuna"}


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
    assert not loaded & ML_LIBRARIES


def test_the_url_conf_imports_no_catalog_or_study_library():
    loaded = imported_after("import mltrainer_site.urls")
    assert "trials" in loaded
    assert not loaded & ML_LIBRARIES


def test_the_web_application_imports_neither_ml_libraries_nor_the_anthropic_sdk():
    """What each web server process loads: the SDK alone took seconds and tens of MB, for a rare coach request."""
    loaded = imported_after("import mltrainer_site.asgi\nimport mltrainer_site.urls  # loaded at the first request")
    assert "channels" in loaded and "coach" in loaded
    assert not loaded & (ML_LIBRARIES | {"anthropic"})


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
    assert {"lightgbm", "arch", "statsmodels"} <= loaded
