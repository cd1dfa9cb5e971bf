"""Stacking and voting ensembles whose members are other catalog entries (built with their default
hyperparameters, except the tree count), so a member behaves exactly as it does on its own."""

from ..definition import Param
from ..lazy import deferred
from . import sklearn_core, sklearn_nonlinear, sklearn_trees
from .common import N_JOBS, REGRESSION_TARGETS, feature_definition

StackingClassifier, StackingRegressor, VotingClassifier, VotingRegressor = deferred(
    "sklearn.ensemble", "StackingClassifier", "StackingRegressor", "VotingClassifier", "VotingRegressor"
)
LogisticRegression, Ridge = deferred("sklearn.linear_model", "LogisticRegression", "Ridge")
KFold = deferred("sklearn.model_selection", "KFold")

_SPECS = {
    definition.key: definition
    for module in (sklearn_core, sklearn_nonlinear, sklearn_trees)
    for definition in module.DEFINITIONS
}
CLASSIFIERS = ("logistic_regression", "random_forest_classifier", "hist_gradient_boosting_classifier", "gaussian_nb")
REGRESSORS = ("ridge", "random_forest_regressor", "hist_gradient_boosting_regressor", "k_neighbors_regressor")
# The parameter holding the number of trees, for the members that have trees.
TREE_COUNT = {
    "random_forest_classifier": "n_estimators",
    "random_forest_regressor": "n_estimators",
    "hist_gradient_boosting_classifier": "max_iter",
    "hist_gradient_boosting_regressor": "max_iter",
}

PARAMS = (
    Param("n_estimators", "int", 50, 10, 2000, log=True, help="trees (or boosting rounds) in each tree member"),
    N_JOBS,
)
STACKING_PARAMS = (
    *PARAMS,
    Param("cv", "int", 3, 2, 10, help="contiguous folds of the training rows that produce out-of-fold predictions"),
)


def members(keys: tuple[str, ...], p: dict, target: str, seed: int) -> list[tuple[str, object]]:
    """(key, estimator) for each member entry: its own pipeline (scaler included) with the tree count set."""
    # Members are built for "return" when regressing: a regressor is the same estimator for either regression
    # target, and some core members declare only "return".
    member_target = "direction" if target == "direction" else "return"
    result = []
    for key in keys:
        definition = _SPECS[key]
        overrides = {TREE_COUNT[key]: p["n_estimators"]} if key in TREE_COUNT else {}
        result.append((key, definition.build(overrides, target=member_target, seed=seed).pipeline))
    return result


def _member_list(keys):
    return ", ".join(keys)


DEFINITIONS = [
    feature_definition(
        "stacking_classifier",
        "Stacking ensemble classifier",
        "ensemble",
        ("direction",),
        f"Logistic regression on the out-of-fold probabilities of {_member_list(CLASSIFIERS)}. Folds are "
        "contiguous blocks of the training rows (the stacker needs a prediction for every row).",
        lambda p, target, seed: StackingClassifier(
            members(CLASSIFIERS, p, target, seed),
            final_estimator=LogisticRegression(),
            cv=KFold(n_splits=p["cv"]),
            n_jobs=p["n_jobs"],
        ),
        STACKING_PARAMS,
    ),
    feature_definition(
        "stacking_regressor",
        "Stacking ensemble regressor",
        "ensemble",
        REGRESSION_TARGETS,
        f"Ridge regression on the out-of-fold forecasts of {_member_list(REGRESSORS)} (contiguous folds), all on a "
        "standardised target so the stacker's penalty does not flatten 1%-sized forecasts to their mean.",
        lambda p, target, seed: StackingRegressor(
            members(REGRESSORS, p, target, seed),
            final_estimator=Ridge(),
            cv=KFold(n_splits=p["cv"]),
            n_jobs=p["n_jobs"],
        ),
        STACKING_PARAMS,
        scale_target=True,
    ),
    feature_definition(
        "voting_classifier",
        "Soft-voting ensemble classifier",
        "ensemble",
        ("direction",),
        f"The average predicted P(up) of {_member_list(CLASSIFIERS)}.",
        lambda p, target, seed: VotingClassifier(
            members(CLASSIFIERS, p, target, seed), voting="soft", n_jobs=p["n_jobs"]
        ),
        PARAMS,
    ),
    feature_definition(
        "voting_regressor",
        "Averaging ensemble regressor",
        "ensemble",
        REGRESSION_TARGETS,
        f"The average forecast of {_member_list(REGRESSORS)}.",
        lambda p, target, seed: VotingRegressor(members(REGRESSORS, p, target, seed), n_jobs=p["n_jobs"]),
        PARAMS,
        scale_target=True,
    ),
]
