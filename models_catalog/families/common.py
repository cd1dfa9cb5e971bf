"""Shared building blocks for family modules: common parameters and a factory for feature-model definitions."""

from collections.abc import Callable

from ..adapters import FeatureModel
from ..definition import ModelDefinition, Param

N_JOBS = Param("n_jobs", "int", 1, 1, 16, help="CPU cores for one fit")
N_ESTIMATORS = Param("n_estimators", "int", 200, 10, 3000, log=True, help="number of trees or boosting rounds")
MAX_TRAIN_ROWS = Param(
    "max_train_rows", "int", 500, 50, 20000, log=True, help="train on only the most recent rows (cost grows fast)"
)

REGRESSION_TARGETS = ("return", "volatility")


def kwargs_of(cls, *, seeded: bool = False, **fixed) -> Callable:
    """A `make(p, target, seed)` that passes every parameter straight to `cls` as a keyword (plus `fixed`)."""

    def make(p, target, seed):
        return cls(**p, **fixed, **({"random_state": seed} if seeded else {}))

    return make


def feature_definition(
    key: str,
    name: str,
    family: str,
    targets: tuple[str, ...],
    description: str,
    make: Callable,
    params: tuple[Param, ...] = (),
    *,
    library: str = "scikit-learn",
    scale: bool = False,
    scale_target: bool = False,
    **hooks,
) -> ModelDefinition:
    """A ModelDefinition whose estimator is `make(params, target, seed)` wrapped in a FeatureModel.

    A `max_train_rows` parameter, if the definition has one, is handled here and not passed to `make`.
    """

    def factory(p, *, target, seed, horizon):
        p = dict(p)
        max_train_rows = p.pop("max_train_rows", None)
        return FeatureModel(
            make(p, target, seed), target=target, scale=scale, scale_target=scale_target, max_train_rows=max_train_rows
        )

    return ModelDefinition(
        key=key,
        name=name,
        family=family,
        library=library,
        targets=targets,
        description=description,
        factory=factory,
        params=params,
        **hooks,
    )
