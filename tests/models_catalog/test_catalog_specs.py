"""The catalog's declarations: size, keys, tasks, and parameters whose defaults validate and build."""

import re

import pytest

from models_catalog.registry import CATALOG, FAMILY_MODULES
from models_catalog.spec import TASKS, ParamError

CORE = {
    "logistic_regression": ("direction",),
    "ridge": ("return",),
    "random_forest_classifier": ("direction",),
    "random_forest_regressor": ("return",),
    "gradient_boosting_classifier": ("direction",),
    "gradient_boosting_regressor": ("return",),
}


def test_catalog_holds_at_least_140_entries():
    assert len(CATALOG) >= 140


def test_keys_are_unique_snake_case_and_match_the_dict():
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", key) for key in CATALOG)
    assert all(spec.key == key for key, spec in CATALOG.items())
    # The registry raises on a duplicate; prove it is counting all modules' entries, not silently overwriting.
    from importlib import import_module

    total = sum(len(import_module(f"models_catalog.families.{module}").SPECS) for module in FAMILY_MODULES)
    assert total == len(CATALOG)


def test_core_entries_keep_their_keys_tasks_and_params():
    for key, tasks in CORE.items():
        assert CATALOG[key].tasks == tasks
    assert [p.name for p in CATALOG["logistic_regression"].params] == ["C", "max_iter"]
    assert [p.name for p in CATALOG["ridge"].params] == ["alpha"]


def test_every_task_is_served_by_many_entries_and_families_span_the_libraries():
    for task in TASKS:
        assert sum(task in spec.tasks for spec in CATALOG.values()) >= 30
    libraries = {spec.library for spec in CATALOG.values()}
    assert {"scikit-learn", "xgboost", "lightgbm", "statsmodels", "arch", "hmmlearn", "mlTrainer"} <= libraries
    families = {spec.family for spec in CATALOG.values()}
    assert {"linear", "svm", "boosting", "time_series", "volatility", "rule", "regime", "ensemble"} <= families


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_defaults_validate_and_build(key):
    spec = CATALOG[key]
    assert spec.name and spec.description and spec.family and spec.library
    defaults = spec.validate_params({})
    assert defaults == {p.name: p.default for p in spec.params}
    for param in spec.params:
        assert param.coerce(param.default) == param.default  # each default is within its own bounds
        if param.type == "choice":
            assert param.default in param.choices
    for task in spec.tasks:
        estimator = spec.build({}, task=task, seed=0)
        assert callable(estimator.fit) and callable(estimator.predict)
        if task == "direction":
            assert callable(estimator.predict_proba)


def test_unknown_and_out_of_range_params_are_rejected():
    with pytest.raises(ParamError) as error:
        CATALOG["garch_1_1"].validate_params({"p": 0, "bogus": 1})
    assert set(error.value.errors) == {"p", "bogus"}
