"""LightGBM classifier and regressor: GBDT, DART, GOSS sampling or random-forest mode, optionally with linear-leaf
trees."""

from ..definition import Param
from ..lazy import deferred
from .common import N_JOBS, REGRESSION_TARGETS, feature_definition

LGBMClassifier, LGBMRegressor = deferred("lightgbm", "LGBMClassifier", "LGBMRegressor")

PARAMS = (
    Param(
        "boosting",
        "choice",
        "gbdt",
        choices=("gbdt", "dart", "goss", "rf"),
        help="gbdt; dart drops earlier trees each round; goss keeps the large-gradient rows; rf averages "
        "independent bagged trees",
    ),
    Param("n_estimators", "int", 300, 10, 5000, log=True, help="boosting rounds (trees in rf mode)"),
    Param("learning_rate", "float", 0.05, 0.001, 1.0, log=True, help="shrinkage (not used in rf mode)"),
    Param("num_leaves", "int", 15, 2, 1024, log=True),
    Param("min_child_samples", "int", 40, 1, 1000, log=True, help="minimum rows in a leaf"),
    Param("colsample_bytree", "float", 0.8, 0.1, 1.0, help="feature fraction per tree"),
    Param("subsample", "float", 0.8, 0.1, 0.99, help="row fraction per tree (bagging; not used by goss)"),
    Param("reg_lambda", "float", 1.0, 0.0, 1000.0, help="L2 penalty on leaf weights"),
    Param("drop_rate", "float", 0.1, 0.0, 1.0, help="dart: share of trees dropped each round"),
    Param("top_rate", "float", 0.2, 0.01, 0.9, help="goss: share of large-gradient rows kept"),
    Param("other_rate", "float", 0.1, 0.01, 0.9, help="goss: share of the other rows sampled"),
    Param("linear_tree", "bool", False, help="leaves hold ridge-penalised linear models instead of constants"),
    Param("linear_lambda", "float", 1.0, 0.0, 1000.0, help="linear trees: L2 penalty of the leaf models"),
    N_JOBS,
)
DART = ("drop_rate",)
GOSS = ("top_rate", "other_rate")


def _lgbm(cls):
    def make(p, target, seed):
        options = dict(p)
        boosting = options.pop("boosting")
        unused = {"dart": GOSS, "goss": (*DART, "subsample"), "gbdt": (*DART, *GOSS), "rf": (*DART, *GOSS)}[boosting]
        for name in unused:
            options.pop(name)
        if not options["linear_tree"]:
            options.pop("linear_lambda")
        if boosting == "goss":
            options["data_sample_strategy"] = "goss"
        else:
            options["boosting_type"] = boosting
            options["subsample_freq"] = 1  # LightGBM only bags rows when a bagging frequency is set
        return cls(**options, random_state=seed, verbose=-1)

    return make


DESCRIPTION = (
    "Leaf-wise gradient-boosted trees on histograms (LightGBM): a fast, strong tabular baseline. `boosting` picks "
    "plain GBDT with row bagging, DART (dropout of earlier trees, less over-fitting), GOSS (gradient-based "
    "one-side sampling) or random-forest mode; `linear_tree` puts ridge models in the leaves."
)

DEFINITIONS = [
    feature_definition(
        "lightgbm_classifier",
        "LightGBM classifier",
        "boosting",
        ("direction",),
        DESCRIPTION,
        _lgbm(LGBMClassifier),
        PARAMS,
        library="lightgbm",
        scale=True,
    ),
    feature_definition(
        "lightgbm_regressor",
        "LightGBM regressor",
        "boosting",
        REGRESSION_TARGETS,
        DESCRIPTION,
        _lgbm(LGBMRegressor),
        PARAMS,
        library="lightgbm",
        scale=True,
        scale_target=True,
    ),
]
