"""The catalog in code: every family module's SPECS, by key."""

from importlib import import_module

from .spec import ModelSpec

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
]


def _load() -> dict[str, ModelSpec]:
    catalog: dict[str, ModelSpec] = {}
    for module in FAMILY_MODULES:
        for spec in import_module(f"{__package__}.families.{module}").SPECS:
            if spec.key in catalog:
                raise ValueError(f"duplicate catalog key {spec.key!r} in families.{module}")
            catalog[spec.key] = spec
    return catalog


CATALOG: dict[str, ModelSpec] = _load()
