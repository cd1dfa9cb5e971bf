"""XGBoost classifiers and regressors: tree boosting, DART, random-forest mode and the linear booster."""

from xgboost import XGBClassifier, XGBRegressor, XGBRFClassifier, XGBRFRegressor

from ..definition import Param
from .common import N_JOBS, REGRESSION_TARGETS, feature_definition

COMMON = dict(tree_method="hist", verbosity=0)
TREE_PARAMS = (
    Param("n_estimators", "int", 300, 10, 5000, log=True, help="boosting rounds"),
    Param("learning_rate", "float", 0.05, 0.001, 1.0, log=True),
    Param("max_depth", "int", 3, 1, 16),
    Param("min_child_weight", "float", 5.0, 0.0, 1000.0, help="minimum hessian (about rows) in a leaf"),
    Param("subsample", "float", 0.8, 0.1, 1.0, help="row fraction per round"),
    Param("colsample_bytree", "float", 0.8, 0.1, 1.0, help="feature fraction per tree"),
    Param("reg_lambda", "float", 1.0, 0.0, 1000.0, help="L2 penalty on leaf weights"),
    N_JOBS,
)
DART_PARAMS = (
    *TREE_PARAMS,
    Param("rate_drop", "float", 0.1, 0.0, 1.0, help="share of trees dropped each round"),
    Param("skip_drop", "float", 0.5, 0.0, 1.0, help="probability of a round without dropout"),
)
RF_PARAMS = (
    Param("n_estimators", "int", 200, 10, 3000, log=True, help="trees in the forest"),
    Param("max_depth", "int", 6, 1, 16),
    Param("min_child_weight", "float", 20.0, 0.0, 1000.0, help="minimum hessian (about rows) in a leaf"),
    Param("subsample", "float", 0.7, 0.1, 1.0, help="row fraction per tree"),
    Param("colsample_bynode", "float", 0.6, 0.1, 1.0, help="feature fraction per split"),
    N_JOBS,
)
LINEAR_PARAMS = (
    Param("n_estimators", "int", 100, 10, 5000, log=True, help="coordinate-descent rounds"),
    Param("learning_rate", "float", 0.3, 0.001, 1.0, log=True),
    Param("reg_alpha", "float", 0.01, 0.0, 100.0, help="L1 penalty"),
    Param("reg_lambda", "float", 1.0, 0.0, 1000.0, help="L2 penalty"),
    N_JOBS,
)


def _xgb(cls, **fixed):
    def make(p, target, seed):
        return cls(**p, **fixed, **COMMON, random_state=seed)

    return make


def _pair(key, name, description, classifier, regressor, params, **options):
    """The classifier (direction) and regressor (return, volatility) entries of one XGBoost configuration."""
    return [
        feature_definition(
            f"{key}_classifier",
            f"{name} classifier",
            "boosting",
            ("direction",),
            description,
            classifier,
            params,
            library="xgboost",
            **options,
        ),
        feature_definition(
            f"{key}_regressor",
            f"{name} regressor",
            "boosting",
            REGRESSION_TARGETS,
            description,
            regressor,
            params,
            library="xgboost",
            **options,
        ),
    ]


DEFINITIONS = [
    *_pair(
        "xgboost",
        "XGBoost",
        "Regularised gradient-boosted trees (histogram method) with row and feature subsampling.",
        _xgb(XGBClassifier),
        _xgb(XGBRegressor),
        TREE_PARAMS,
    ),
    *_pair(
        "xgboost_dart",
        "XGBoost DART",
        "Boosted trees with dropout (DART): each round fits against a random subset of earlier trees, which "
        "curbs over-specialisation of late trees.",
        _xgb(XGBClassifier, booster="dart"),
        _xgb(XGBRegressor, booster="dart"),
        DART_PARAMS,
    ),
    *_pair(
        "xgboost_rf",
        "XGBoost random forest",
        "XGBoost in random-forest mode: one round of many parallel trees on row and feature subsamples.",
        _xgb(XGBRFClassifier),
        _xgb(XGBRFRegressor),
        RF_PARAMS,
    ),
    *_pair(
        "xgboost_linear",
        "XGBoost linear booster",
        "Boosting with the linear booster (gblinear): an elastic-net linear model fitted by coordinate descent.",
        _xgb(XGBClassifier, booster="gblinear", updater="coord_descent"),
        _xgb(XGBRegressor, booster="gblinear", updater="coord_descent"),
        LINEAR_PARAMS,
        scale=True,
        scale_target=True,
    ),
]
