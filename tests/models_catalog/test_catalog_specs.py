"""The catalog's declarations: size, keys, targets, and parameters whose defaults validate and build."""

import re

import pytest

from models_catalog.definition import TARGETS, ParamError
from models_catalog.registry import CATALOG, FAMILY_MODULES

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
    assert all(definition.key == key for key, definition in CATALOG.items())
    # The registry raises on a duplicate; prove it is counting all modules' entries, not silently overwriting.
    from importlib import import_module

    total = sum(len(import_module(f"models_catalog.families.{module}").DEFINITIONS) for module in FAMILY_MODULES)
    assert total == len(CATALOG)


def test_core_entries_keep_their_keys_targets_and_params():
    for key, targets in CORE.items():
        assert set(targets) <= set(CATALOG[key].targets)
    # The penalty's L1 share joined when the L1 and elastic-net variants became settings of this entry.
    assert [p.name for p in CATALOG["logistic_regression"].params] == ["C", "max_iter", "l1_ratio"]
    assert [p.name for p in CATALOG["ridge"].params] == ["alpha"]


def test_every_task_is_served_by_many_entries_and_families_span_the_libraries():
    for target in TARGETS:
        assert sum(target in definition.targets for definition in CATALOG.values()) >= 30
    libraries = {definition.library for definition in CATALOG.values()}
    assert {"scikit-learn", "xgboost", "lightgbm", "statsmodels", "arch", "hmmlearn", "mlTrainer"} <= libraries
    families = {definition.family for definition in CATALOG.values()}
    assert {"linear", "svm", "boosting", "time_series", "volatility", "rule", "regime", "ensemble"} <= families


@pytest.mark.parametrize("key", sorted(CATALOG))
def test_defaults_validate_and_build(key):
    definition = CATALOG[key]
    assert definition.name and definition.description and definition.family and definition.library
    defaults = definition.validate_params({})
    assert defaults == {p.name: p.default for p in definition.params}
    for param in definition.params:
        assert param.coerce(param.default) == param.default  # each default is within its own bounds
        if param.type == "choice":
            assert param.default in param.choices
    for target in definition.targets:
        estimator = definition.build({}, target=target, seed=0)
        assert callable(estimator.fit) and callable(estimator.predict)
        if target == "direction":
            assert callable(estimator.predict_proba)


def test_unknown_and_out_of_range_params_are_rejected():
    with pytest.raises(ParamError) as error:
        CATALOG["garch_1_1"].validate_params({"p": 0, "bogus": 1})
    assert set(error.value.errors) == {"p", "bogus"}
