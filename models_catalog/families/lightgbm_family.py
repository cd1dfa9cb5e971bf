"""LightGBM classifiers and regressors: GBDT, DART, GOSS sampling, random-forest mode and linear-leaf trees."""

from lightgbm import LGBMClassifier, LGBMRegressor

from ..definition import Param
from .common import N_JOBS, REGRESSION_TARGETS, feature_definition

BASE_PARAMS = (
    Param("n_estimators", "int", 300, 10, 5000, log=True, help="boosting rounds"),
    Param("learning_rate", "float", 0.05, 0.001, 1.0, log=True),
    Param("num_leaves", "int", 15, 2, 1024, log=True),
    Param("min_child_samples", "int", 40, 1, 1000, log=True, help="minimum rows in a leaf"),
    Param("colsample_bytree", "float", 0.8, 0.1, 1.0, help="feature fraction per tree"),
    Param("reg_lambda", "float", 1.0, 0.0, 1000.0, help="L2 penalty on leaf weights"),
    N_JOBS,
)
SUBSAMPLE = Param("subsample", "float", 0.8, 0.1, 0.99, help="row fraction per tree (bagging)")


def _lgbm(cls, **fixed):
    def make(p, target, seed):
        options = dict(p)
        if "subsample" in options:
            options["subsample_freq"] = 1  # LightGBM only bags rows when a bagging frequency is set
        return cls(**options, **fixed, random_state=seed, verbose=-1)

    return make


def _pair(key, name, description, params, **fixed):
    """The classifier (direction) and regressor (return, volatility) entries of one LightGBM configuration."""
    return [
        feature_definition(
            f"{key}_classifier",
            f"{name} classifier",
            "boosting",
            ("direction",),
            description,
            _lgbm(LGBMClassifier, **fixed),
            params,
            library="lightgbm",
        ),
        feature_definition(
            f"{key}_regressor",
            f"{name} regressor",
            "boosting",
            REGRESSION_TARGETS,
            description,
            _lgbm(LGBMRegressor, **fixed),
            params,
            library="lightgbm",
        ),
    ]


DEFINITIONS = [
    *_pair(
        "lightgbm",
        "LightGBM",
        "Leaf-wise gradient-boosted trees on histograms with row bagging: fast, strong tabular baseline.",
        (*BASE_PARAMS, SUBSAMPLE),
    ),
    *_pair(
        "lightgbm_dart",
        "LightGBM DART",
        "LightGBM with dropout of earlier trees each round (DART), trading speed for less over-fitting.",
        (
            *BASE_PARAMS,
            SUBSAMPLE,
            Param("drop_rate", "float", 0.1, 0.0, 1.0, help="share of trees dropped each round"),
        ),
        boosting_type="dart",
    ),
    *_pair(
        "lightgbm_goss",
        "LightGBM GOSS",
        "LightGBM with gradient-based one-side sampling: keeps the rows with the largest gradients and a "
        "random share of the rest.",
        (
            *BASE_PARAMS,
            Param("top_rate", "float", 0.2, 0.01, 0.9, help="share of large-gradient rows kept"),
            Param("other_rate", "float", 0.1, 0.01, 0.9, help="share of the other rows sampled"),
        ),
        data_sample_strategy="goss",
    ),
    *_pair(
        "lightgbm_rf",
        "LightGBM random forest",
        "LightGBM in random-forest mode: independent trees on bagged rows and features, averaged.",
        (
            Param("n_estimators", "int", 200, 10, 3000, log=True, help="trees in the forest"),
            Param("num_leaves", "int", 31, 2, 1024, log=True),
            Param("min_child_samples", "int", 40, 1, 1000, log=True, help="minimum rows in a leaf"),
            Param("colsample_bytree", "float", 0.6, 0.1, 1.0, help="feature fraction per tree"),
            Param("subsample", "float", 0.7, 0.1, 0.99, help="row fraction per tree"),
            N_JOBS,
        ),
        boosting_type="rf",
    ),
    *_pair(
        "lightgbm_linear_tree",
        "LightGBM linear trees",
        "LightGBM whose leaves hold ridge-penalised linear models instead of constants: piecewise-linear fits.",
        (
            *BASE_PARAMS,
            SUBSAMPLE,
            Param("linear_lambda", "float", 1.0, 0.0, 1000.0, help="L2 penalty of the leaf models"),
        ),
        linear_tree=True,
    ),
]
