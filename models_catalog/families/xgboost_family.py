"""XGBoost classifier and regressor: tree boosting, DART, the linear booster or random-forest mode."""

from ..definition import Param
from ..lazy import deferred
from .common import N_JOBS, REGRESSION_TARGETS, feature_definition

XGBClassifier, XGBRegressor, XGBRFClassifier, XGBRFRegressor = deferred(
    "xgboost", "XGBClassifier", "XGBRegressor", "XGBRFClassifier", "XGBRFRegressor"
)

PARAMS = (
    Param(
        "booster",
        "choice",
        "gbtree",
        choices=("gbtree", "dart", "gblinear", "random_forest"),
        help="gbtree; dart drops earlier trees each round; gblinear is an elastic-net linear model fitted by "
        "coordinate descent; random_forest is one round of many parallel trees",
    ),
    Param("n_estimators", "int", 300, 10, 5000, log=True, help="boosting rounds (trees in random_forest mode)"),
    Param("learning_rate", "float", 0.05, 0.001, 1.0, log=True, help="shrinkage (not used in random_forest)"),
    Param("max_depth", "int", 3, 1, 16, help="tree depth (trees only)"),
    Param("min_child_weight", "float", 5.0, 0.0, 1000.0, help="minimum hessian (about rows) in a leaf"),
    Param("subsample", "float", 0.8, 0.1, 1.0, help="row fraction per round (trees only)"),
    Param("colsample_bytree", "float", 0.8, 0.1, 1.0, help="feature fraction per tree (per split in random_forest)"),
    Param("reg_lambda", "float", 1.0, 0.0, 1000.0, help="L2 penalty on leaf (or linear) weights"),
    Param("reg_alpha", "float", 0.0, 0.0, 100.0, help="L1 penalty on leaf (or linear) weights"),
    Param("rate_drop", "float", 0.1, 0.0, 1.0, help="dart: share of trees dropped each round"),
    Param("skip_drop", "float", 0.5, 0.0, 1.0, help="dart: probability of a round without dropout"),
    N_JOBS,
)
TREES = ("max_depth", "min_child_weight", "subsample", "colsample_bytree")
DART = ("rate_drop", "skip_drop")


def _xgb(boosting_cls, forest_cls):
    def make(p, target, seed):
        options = dict(p)
        booster = options.pop("booster")
        if booster != "dart":
            for name in DART:
                options.pop(name)
        common = dict(tree_method="hist", verbosity=0, random_state=seed)
        if booster == "random_forest":
            options.pop("learning_rate")
            options["colsample_bynode"] = options.pop("colsample_bytree")
            return forest_cls(**options, **common)
        if booster == "gblinear":
            for name in TREES:
                options.pop(name)
            return boosting_cls(**options, booster="gblinear", updater="coord_descent", **common)
        return boosting_cls(**options, booster=booster, **common)

    return make


DESCRIPTION = (
    "Regularised gradient boosting (XGBoost, histogram method) with row and feature subsampling. `booster` picks "
    "trees, DART (dropout of earlier trees), the linear booster, or random-forest mode."
)

DEFINITIONS = [
    feature_definition(
        "xgboost_classifier",
        "XGBoost classifier",
        "boosting",
        ("direction",),
        DESCRIPTION,
        _xgb(XGBClassifier, XGBRFClassifier),
        PARAMS,
        library="xgboost",
        scale=True,
    ),
    feature_definition(
        "xgboost_regressor",
        "XGBoost regressor",
        "boosting",
        REGRESSION_TARGETS,
        DESCRIPTION,
        _xgb(XGBRegressor, XGBRFRegressor),
        PARAMS,
        library="xgboost",
        scale=True,
        scale_target=True,
    ),
]
