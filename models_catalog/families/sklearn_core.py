"""Core scikit-learn models: linear, forests and gradient boosting."""

from ..adapters import FeatureModel
from ..definition import ModelDefinition, Param
from ..lazy import deferred

GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor = deferred(
    "sklearn.ensemble",
    "GradientBoostingClassifier",
    "GradientBoostingRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
)
LogisticRegression, Ridge = deferred("sklearn.linear_model", "LogisticRegression", "Ridge")

N_JOBS = Param("n_jobs", "int", 1, 1, 16, help="CPU cores for one fit")


def _forest_params(n_estimators: int = 200):
    return (
        Param("n_estimators", "int", n_estimators, 10, 2000, log=True, help="number of trees"),
        Param("max_depth", "int", 6, 1, 64, help="maximum depth of each tree"),
        Param("min_samples_leaf", "int", 20, 1, 1000, log=True, help="minimum rows in a leaf"),
        Param("max_features", "choice", "sqrt", choices=("sqrt", "log2", "all"), help="features tried per split"),
        N_JOBS,
    )


def _forest(cls):
    def factory(p, *, target, seed, horizon):
        max_features = None if p["max_features"] == "all" else p["max_features"]
        estimator = cls(
            n_estimators=p["n_estimators"],
            max_depth=p["max_depth"],
            min_samples_leaf=p["min_samples_leaf"],
            max_features=max_features,
            n_jobs=p["n_jobs"],
            random_state=seed,
        )
        return FeatureModel(estimator, target=target)

    return factory


_BOOSTING_PARAMS = (
    Param("n_estimators", "int", 200, 10, 3000, log=True, help="boosting stages"),
    Param("learning_rate", "float", 0.05, 0.001, 1.0, log=True),
    Param("max_depth", "int", 3, 1, 16),
    Param("subsample", "float", 0.8, 0.1, 1.0, help="row fraction per stage"),
)


def _logistic(p, seed):
    """L2 (lbfgs), lasso (liblinear) or elastic net (saga), by the share of L1 in the penalty."""
    solver = {0.0: "lbfgs", 1.0: "liblinear"}.get(p["l1_ratio"], "saga")
    return LogisticRegression(
        C=p["C"], l1_ratio=p["l1_ratio"], solver=solver, max_iter=p["max_iter"], random_state=seed
    )


def _boosting(cls):
    def factory(p, *, target, seed, horizon):
        return FeatureModel(cls(**p, random_state=seed), target=target)

    return factory


DEFINITIONS = [
    ModelDefinition(
        key="logistic_regression",
        name="Logistic regression",
        family="linear",
        library="scikit-learn",
        targets=("direction",),
        description="Penalised logistic regression on standardised features: the linear baseline for direction. "
        "The penalty is L2 by default, the lasso (sparse) at l1_ratio 1, an elastic net in between.",
        params=(
            Param("C", "float", 1.0, 1e-4, 1e4, log=True, help="inverse regularisation strength"),
            Param("max_iter", "int", 1000, 50, 10000, log=True),
            Param("l1_ratio", "float", 0.0, 0.0, 1.0, help="share of L1 in the penalty: 0 ridge, 1 lasso"),
        ),
        factory=lambda p, *, target, seed, horizon: FeatureModel(_logistic(p, seed), target=target, scale=True),
    ),
    ModelDefinition(
        key="ridge",
        name="Ridge regression",
        family="linear",
        library="scikit-learn",
        targets=("return", "volatility"),
        description="Least squares with an L2 penalty on standardised features: the linear baseline for returns "
        "(alpha near 0 is ordinary least squares).",
        params=(Param("alpha", "float", 1.0, 1e-6, 1e6, log=True, help="regularisation strength"),),
        factory=lambda p, *, target, seed, horizon: FeatureModel(Ridge(alpha=p["alpha"]), target=target, scale=True),
    ),
    ModelDefinition(
        key="random_forest_classifier",
        name="Random forest classifier",
        family="forest",
        library="scikit-learn",
        targets=("direction",),
        description="Bagged decision trees with random feature subsets; robust to noisy features.",
        params=_forest_params(),
        factory=_forest(RandomForestClassifier),
    ),
    ModelDefinition(
        key="random_forest_regressor",
        name="Random forest regressor",
        family="forest",
        library="scikit-learn",
        targets=("return",),
        description="Bagged regression trees with random feature subsets, averaging to a return forecast.",
        params=_forest_params(),
        factory=_forest(RandomForestRegressor),
    ),
    ModelDefinition(
        key="gradient_boosting_classifier",
        name="Gradient boosting classifier",
        family="boosting",
        library="scikit-learn",
        targets=("direction",),
        description="Stage-wise boosted shallow trees on log-loss (scikit-learn's exact implementation).",
        params=_BOOSTING_PARAMS,
        factory=_boosting(GradientBoostingClassifier),
    ),
    ModelDefinition(
        key="gradient_boosting_regressor",
        name="Gradient boosting regressor",
        family="boosting",
        library="scikit-learn",
        targets=("return",),
        description="Stage-wise boosted shallow trees on squared error.",
        params=_BOOSTING_PARAMS,
        factory=_boosting(GradientBoostingRegressor),
    ),
]
