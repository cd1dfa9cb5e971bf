"""scikit-learn tree models beyond the core forests: single trees, extra trees, bagging, AdaBoost and
histogram gradient boosting."""

from ..definition import Param
from ..lazy import deferred
from .common import N_JOBS, REGRESSION_TARGETS, feature_definition, kwargs_of
from .sklearn_core import _forest

(
    AdaBoostClassifier,
    AdaBoostRegressor,
    BaggingClassifier,
    BaggingRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
) = deferred(
    "sklearn.ensemble",
    "AdaBoostClassifier",
    "AdaBoostRegressor",
    "BaggingClassifier",
    "BaggingRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
)

DecisionTreeClassifier, DecisionTreeRegressor = deferred(
    "sklearn.tree", "DecisionTreeClassifier", "DecisionTreeRegressor"
)

MAX_DEPTH = Param("max_depth", "int", 5, 1, 64, help="maximum depth of the tree")
MIN_SAMPLES_LEAF = Param("min_samples_leaf", "int", 50, 1, 1000, log=True, help="minimum rows in a leaf")
TREE_PARAMS = (
    MAX_DEPTH,
    MIN_SAMPLES_LEAF,
    Param("splitter", "choice", "best", choices=("best", "random"), help="random: extremely randomised thresholds"),
    Param("max_features", "choice", "all", choices=("all", "sqrt", "log2"), help="features tried per split"),
)
EXTRA_TREES_PARAMS = (
    Param("n_estimators", "int", 200, 10, 2000, log=True, help="number of trees"),
    Param("max_depth", "int", 6, 1, 64, help="maximum depth of each tree"),
    Param("min_samples_leaf", "int", 20, 1, 1000, log=True, help="minimum rows in a leaf"),
    Param("max_features", "choice", "sqrt", choices=("sqrt", "log2", "all"), help="features tried per split"),
    N_JOBS,
)
BAGGING_PARAMS = (
    Param("n_estimators", "int", 50, 5, 1000, log=True, help="trees, each on a bootstrap sample"),
    Param("max_samples", "float", 0.5, 0.05, 1.0, help="share of rows per tree"),
    Param("max_features", "float", 0.8, 0.1, 1.0, help="share of features per tree"),
    Param("max_depth", "int", 6, 1, 64, help="depth of each tree"),
    N_JOBS,
)
ADABOOST_PARAMS = (
    Param("n_estimators", "int", 100, 10, 2000, log=True, help="boosting rounds"),
    Param("learning_rate", "float", 0.5, 0.001, 2.0, log=True),
    Param("max_depth", "int", 2, 1, 8, help="depth of each weak learner"),
)
HIST_PARAMS = (
    Param("max_iter", "int", 200, 10, 3000, log=True, help="boosting rounds"),
    Param("learning_rate", "float", 0.05, 0.001, 1.0, log=True),
    Param("max_leaf_nodes", "int", 15, 2, 256, log=True),
    Param("min_samples_leaf", "int", 40, 1, 1000, log=True),
    Param("l2_regularization", "float", 1.0, 0.0, 100.0),
)


def _tree(cls):
    def make(p, target, seed):
        return cls(
            **{**p, "max_features": None if p["max_features"] == "all" else p["max_features"]}, random_state=seed
        )

    return make


def _bagging(cls, tree):
    def make(p, target, seed):
        return cls(
            tree(max_depth=p["max_depth"]),
            n_estimators=p["n_estimators"],
            max_samples=p["max_samples"],
            max_features=p["max_features"],
            n_jobs=p["n_jobs"],
            random_state=seed,
        )

    return make


def _adaboost(cls, tree, **fixed):
    def make(p, target, seed):
        return cls(
            tree(max_depth=p["max_depth"]),
            n_estimators=p["n_estimators"],
            learning_rate=p["learning_rate"],
            random_state=seed,
            **{name: p[name] for name in fixed},
        )

    return make


def _extra_trees(cls):
    forest = _forest(cls)  # the same parameters and wiring as the core random forests

    def make(p, target, seed):
        return forest(p, target=target, seed=seed, horizon=1).pipeline

    return make


DEFINITIONS = [
    feature_definition(
        "decision_tree_classifier",
        "Decision tree classifier",
        "tree",
        ("direction",),
        "One CART tree: readable rules, high variance; leaf shares of up moves are the probabilities. With random "
        "thresholds and sqrt features it is scikit-learn's extremely randomised tree.",
        _tree(DecisionTreeClassifier),
        TREE_PARAMS,
    ),
    feature_definition(
        "decision_tree_regressor",
        "Decision tree regressor",
        "tree",
        REGRESSION_TARGETS,
        "One CART regression tree: piecewise-constant forecasts from a few splits (optionally with random "
        "thresholds, an extremely randomised tree).",
        _tree(DecisionTreeRegressor),
        TREE_PARAMS,
    ),
    feature_definition(
        "extra_trees_classifier",
        "Extra trees classifier",
        "forest",
        ("direction",),
        "A forest of extremely randomised trees: random thresholds as well as features, lower variance than RF.",
        _extra_trees(ExtraTreesClassifier),
        EXTRA_TREES_PARAMS,
    ),
    feature_definition(
        "extra_trees_regressor",
        "Extra trees regressor",
        "forest",
        REGRESSION_TARGETS,
        "A forest of extremely randomised regression trees.",
        _extra_trees(ExtraTreesRegressor),
        EXTRA_TREES_PARAMS,
    ),
    feature_definition(
        "bagging_classifier",
        "Bagged trees classifier",
        "bagging",
        ("direction",),
        "Trees on bootstrap samples of rows and random subsets of features, averaged.",
        _bagging(BaggingClassifier, DecisionTreeClassifier),
        BAGGING_PARAMS,
    ),
    feature_definition(
        "bagging_regressor",
        "Bagged trees regressor",
        "bagging",
        REGRESSION_TARGETS,
        "Regression trees on bootstrap samples of rows and random subsets of features, averaged.",
        _bagging(BaggingRegressor, DecisionTreeRegressor),
        BAGGING_PARAMS,
    ),
    feature_definition(
        "adaboost_classifier",
        "AdaBoost classifier",
        "boosting",
        ("direction",),
        "SAMME boosting of shallow trees, re-weighting the days the ensemble gets wrong.",
        _adaboost(AdaBoostClassifier, DecisionTreeClassifier),
        ADABOOST_PARAMS,
    ),
    feature_definition(
        "adaboost_regressor",
        "AdaBoost regressor",
        "boosting",
        REGRESSION_TARGETS,
        "AdaBoost.R2: boosting of shallow regression trees with a linear, square or exponential loss.",
        _adaboost(AdaBoostRegressor, DecisionTreeRegressor, loss=None),
        (*ADABOOST_PARAMS, Param("loss", "choice", "linear", choices=("linear", "square", "exponential"))),
    ),
    feature_definition(
        "hist_gradient_boosting_classifier",
        "Histogram gradient boosting classifier",
        "boosting",
        ("direction",),
        "LightGBM-style boosting on binned features (scikit-learn): fast on long histories, handles NaN.",
        kwargs_of(HistGradientBoostingClassifier, seeded=True, early_stopping=False),
        HIST_PARAMS,
    ),
    feature_definition(
        "hist_gradient_boosting_regressor",
        "Histogram gradient boosting regressor",
        "boosting",
        REGRESSION_TARGETS,
        "Boosting on binned features with squared or absolute-error loss (the latter forecasts the median).",
        kwargs_of(HistGradientBoostingRegressor, seeded=True, early_stopping=False),
        (*HIST_PARAMS, Param("loss", "choice", "squared_error", choices=("squared_error", "absolute_error"))),
    ),
]
