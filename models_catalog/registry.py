"""The catalog in code: every family module's DEFINITIONS, by key."""

from importlib import import_module

from .definition import ModelDefinition

FAMILY_MODULES = [
    "sklearn_core",
    "sklearn_linear",
    "sklearn_nonlinear",
    "sklearn_trees",
    "sklearn_ensembles",
    "xgboost_family",
    "lightgbm_family",
    "statsmodels_ts",
    "arch_volatility",
    "rules",
    "regimes",
    "forecasting",
]


def _load() -> dict[str, ModelDefinition]:
    catalog: dict[str, ModelDefinition] = {}
    for module in FAMILY_MODULES:
        for definition in import_module(f"{__package__}.families.{module}").DEFINITIONS:
            if definition.key in catalog:
                raise ValueError(f"duplicate catalog key {definition.key!r} in families.{module}")
            catalog[definition.key] = definition
    return catalog


CATALOG: dict[str, ModelDefinition] = _load()
