"""scikit-learn linear models beyond the core baselines: penalised, robust, sparse and online variants.

Every model here sees standardised features; regressors also learn on a standardised target (see FeatureModel),
so penalties such as `alpha` are on the scale of a unit-variance target rather than of a 1% daily return.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..definition import Param
from ..lazy import deferred

if TYPE_CHECKING:
    import numpy as np
else:  # imported at their first use: the web process loads this module and needs neither
    np = deferred("numpy")
from .common import REGRESSION_TARGETS, feature_definition, kwargs_of

(
    ARDRegression,
    BayesianRidge,
    ElasticNet,
    HuberRegressor,
    Lars,
    LassoCV,
    LassoLarsIC,
    LinearRegression,
    LogisticRegressionCV,
    OrthogonalMatchingPursuit,
    QuantileRegressor,
    RANSACRegressor,
    RidgeClassifier,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
    TheilSenRegressor,
    TweedieRegressor,
) = deferred(
    "sklearn.linear_model",
    "ARDRegression",
    "BayesianRidge",
    "ElasticNet",
    "HuberRegressor",
    "Lars",
    "LassoCV",
    "LassoLarsIC",
    "LinearRegression",
    "LogisticRegressionCV",
    "OrthogonalMatchingPursuit",
    "QuantileRegressor",
    "RANSACRegressor",
    "RidgeClassifier",
    "RidgeCV",
    "SGDClassifier",
    "SGDRegressor",
    "TheilSenRegressor",
    "TweedieRegressor",
)

PLSRegression = deferred("sklearn.cross_decomposition", "PLSRegression")
PCA = deferred("sklearn.decomposition", "PCA")
LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis = deferred(
    "sklearn.discriminant_analysis", "LinearDiscriminantAnalysis", "QuadraticDiscriminantAnalysis"
)
TimeSeriesSplit = deferred("sklearn.model_selection", "TimeSeriesSplit")
make_pipeline = deferred("sklearn.pipeline", "make_pipeline")

C = Param("C", "float", 1.0, 1e-4, 1e4, log=True, help="inverse regularisation strength")
ALPHA = Param("alpha", "float", 0.05, 1e-6, 100.0, log=True, help="regularisation strength")
MAX_ITER = Param("max_iter", "int", 1000, 50, 100000, log=True)
CV_SPLITS = Param("cv_splits", "int", 3, 2, 10, help="time-ordered folds for the inner cross-validation")
SGD_PENALTY = Param("penalty", "choice", "l2", choices=("l2", "l1", "elasticnet", "none"))
ETA0 = Param("eta0", "float", 0.01, 1e-5, 10.0, log=True, help="initial step (the C of passive-aggressive rates)")


def _none(value):
    return None if value == "none" else value


def _sgd(name):
    def make(p, target, seed):
        cls = SGDClassifier if name == "SGDClassifier" else SGDRegressor
        return cls(**{**p, "penalty": _none(p["penalty"])}, random_state=seed)

    return make


def _classifier(key, name, description, make, params=()):
    return feature_definition(key, name, "linear", ("direction",), description, make, params, scale=True)


def _regressor(key, name, description, make, params=(), *, family="linear", targets=REGRESSION_TARGETS, **hooks):
    return feature_definition(
        key, name, family, targets, description, make, params, scale=True, scale_target=True, **hooks
    )


def _at_most_features(p, n_features):
    if p["n_components"] > n_features:
        return {"n_components": f"must be at most the number of features ({n_features}), got {p['n_components']}"}
    return {}


DEFINITIONS = [
    _classifier(
        "logistic_regression_cv",
        "Logistic regression (C chosen by time-series CV)",
        "L2 logistic regression whose strength is picked by log-loss over expanding-window folds of the training "
        "rows only.",
        lambda p, target, seed: LogisticRegressionCV(
            Cs=p["n_cs"],
            l1_ratios=(0.0,),
            cv=TimeSeriesSplit(n_splits=p["cv_splits"]),
            scoring="neg_log_loss",
            max_iter=1000,
            use_legacy_attributes=False,
            random_state=seed,
        ),
        (Param("n_cs", "int", 10, 2, 50, help="candidate strengths on a log grid"), CV_SPLITS),
    ),
    _classifier(
        "ridge_classifier",
        "Ridge classifier",
        "Least squares on labels coded -1/+1 with an L2 penalty; the sign of the fit is the class (scores, not "
        "probabilities).",
        kwargs_of(RidgeClassifier),
        (Param("alpha", "float", 1.0, 1e-6, 1e6, log=True, help="regularisation strength"),),
    ),
    _classifier(
        "sgd_classifier",
        "SGD linear classifier",
        "A linear classifier trained by stochastic gradient descent. The loss picks logistic, modified Huber, hinge "
        "(linear SVM) or the perceptron's; the learning rate `pa1`/`pa2` gives Crammer et al.'s passive-aggressive "
        "updates (with eta0 as their C), and loss perceptron, rate constant, eta0 1 and no penalty is Rosenblatt's "
        "perceptron.",
        _sgd("SGDClassifier"),
        (
            Param("loss", "choice", "log_loss", choices=("log_loss", "modified_huber", "hinge", "perceptron")),
            SGD_PENALTY,
            Param("alpha", "float", 1e-3, 1e-7, 10.0, log=True, help="regularisation strength"),
            Param("learning_rate", "choice", "optimal", choices=("optimal", "constant", "invscaling", "pa1", "pa2")),
            ETA0,
            MAX_ITER,
        ),
    ),
    _classifier(
        "linear_discriminant_analysis",
        "Linear discriminant analysis",
        "Gaussian classes with a shared, shrunk covariance: a closed-form linear classifier with real probabilities.",
        lambda p, target, seed: LinearDiscriminantAnalysis(solver="lsqr", shrinkage=_none(p["shrinkage"])),
        (Param("shrinkage", "choice", "auto", choices=("auto", "none"), help="Ledoit-Wolf shrinkage or none"),),
    ),
    feature_definition(
        "quadratic_discriminant_analysis",
        "Quadratic discriminant analysis",
        "discriminant",
        ("direction",),
        "Gaussian classes with their own covariances: a quadratic boundary, regularised towards the identity.",
        kwargs_of(QuadraticDiscriminantAnalysis),
        (Param("reg_param", "float", 0.1, 0.0, 1.0, help="shrinkage of each class covariance"),),
        scale=True,
    ),
    _regressor(
        "lasso_cv",
        "Lasso (alpha chosen by time-series CV)",
        "Lasso whose penalty is picked along the regularisation path by expanding-window folds of the training rows.",
        lambda p, target, seed: LassoCV(
            alphas=p["n_alphas"], max_iter=10000, cv=TimeSeriesSplit(n_splits=p["cv_splits"])
        ),
        (Param("n_alphas", "int", 50, 5, 500, log=True, help="penalties on the path"), CV_SPLITS),
    ),
    _regressor(
        "ridge_cv",
        "Ridge (alpha chosen by time-series CV)",
        "Ridge regression whose penalty is picked from a log grid by expanding-window folds of the training rows.",
        lambda p, target, seed: RidgeCV(
            alphas=np.logspace(-3, 4, p["n_alphas"]), cv=TimeSeriesSplit(n_splits=p["cv_splits"])
        ),
        (Param("n_alphas", "int", 20, 3, 200, log=True, help="penalties on the grid from 1e-3 to 1e4"), CV_SPLITS),
    ),
    _regressor(
        "elastic_net",
        "Elastic net",
        "Least squares with mixed L1/L2 penalties: sparse like the lasso (l1_ratio 1 is the lasso), stable with "
        "correlated features.",
        kwargs_of(ElasticNet),
        (ALPHA, Param("l1_ratio", "float", 0.5, 0.0, 1.0, help="share of L1 in the penalty: 1 is the lasso"), MAX_ITER),
    ),
    _regressor(
        "lars",
        "Least angle regression",
        "Forward stagewise selection along equiangular directions, stopped after a few features.",
        kwargs_of(Lars),
        (Param("n_nonzero_coefs", "int", 5, 1, 100, help="features to enter"),),
    ),
    _regressor(
        "lasso_lars_ic",
        "Lasso with information criterion",
        "Lasso whose penalty is chosen by AIC or BIC on the training rows, with no cross-validation.",
        kwargs_of(LassoLarsIC),
        (Param("criterion", "choice", "bic", choices=("aic", "bic")),),
    ),
    _regressor(
        "orthogonal_matching_pursuit",
        "Orthogonal matching pursuit",
        "Greedy forward selection refitting least squares on the chosen features each step.",
        kwargs_of(OrthogonalMatchingPursuit),
        (Param("n_nonzero_coefs", "int", 3, 1, 100, help="features to select"),),
    ),
    _regressor(
        "bayesian_ridge",
        "Bayesian ridge",
        "Ridge regression whose penalty and noise level are estimated by evidence maximisation.",
        kwargs_of(BayesianRidge),
        (Param("max_iter", "int", 300, 10, 10000, log=True),),
    ),
    _regressor(
        "ard_regression",
        "ARD regression",
        "Automatic relevance determination: a Bayesian linear model with one prior precision per feature, "
        "pruning irrelevant ones.",
        kwargs_of(ARDRegression),
        (
            Param("threshold_lambda", "float", 1e4, 10.0, 1e8, log=True, help="precision above which a feature goes"),
            Param("max_iter", "int", 300, 10, 10000, log=True),
        ),
    ),
    _regressor(
        "huber_regressor",
        "Huber regressor",
        "Linear regression with the Huber loss: squared for small residuals, absolute for large ones, so crash "
        "days pull less.",
        kwargs_of(HuberRegressor),
        (
            Param("epsilon", "float", 1.35, 1.0, 10.0, help="residual size (in scale units) where the loss turns"),
            Param("alpha", "float", 1e-4, 0.0, 100.0, help="L2 penalty"),
            Param("max_iter", "int", 500, 50, 10000, log=True),
        ),
    ),
    _regressor(
        "quantile_regressor",
        "Quantile regression",
        "Linear model of a conditional quantile (the median by default), fitted by linear programming.",
        lambda p, target, seed: QuantileRegressor(quantile=p["quantile"], alpha=p["alpha"], solver="highs"),
        (
            Param("quantile", "float", 0.5, 0.01, 0.99, help="the quantile modelled"),
            Param("alpha", "float", 0.0, 0.0, 100.0, help="L1 penalty"),
        ),
    ),
    _regressor(
        "theil_sen_regressor",
        "Theil-Sen regressor",
        "Spatial median of least-squares fits on random subsets: robust to up to ~29% outlying rows.",
        kwargs_of(TheilSenRegressor, seeded=True),
        (Param("max_subpopulation", "int", 1000, 100, 100000, log=True, help="subsets considered"),),
    ),
    _regressor(
        "ransac_regressor",
        "RANSAC regressor",
        "Random sample consensus: least squares refitted on the largest inlier set found by random subsets.",
        lambda p, target, seed: RANSACRegressor(
            LinearRegression(), min_samples=p["min_samples"], max_trials=p["max_trials"], random_state=seed
        ),
        (
            Param("min_samples", "float", 0.5, 0.05, 1.0, help="fraction of rows in each random subset"),
            Param("max_trials", "int", 100, 10, 10000, log=True),
        ),
    ),
    feature_definition(
        "tweedie_regressor",
        "Tweedie GLM (volatility)",
        "linear",
        ("volatility",),
        "Generalised linear model with a log link and a Tweedie (compound Poisson-gamma) distribution: positive, "
        "right-skewed targets such as realised volatility.",
        lambda p, target, seed: TweedieRegressor(power=p["power"], alpha=p["alpha"], link="log", max_iter=1000),
        (
            # Below 2: a compound Poisson-gamma law has mass at zero, and a day without a price change has zero
            # realised volatility (gamma and inverse Gaussian, powers 2 and up, refuse such a target).
            Param("power", "float", 1.5, 1.0, 1.99, help="variance power: 1 Poisson, towards 2 gamma"),
            Param("alpha", "float", 1e-3, 0.0, 100.0, help="L2 penalty"),
        ),
        scale=True,
    ),
    _regressor(
        "sgd_regressor",
        "SGD linear regressor",
        "A linear regressor trained by stochastic gradient descent with squared, Huber or epsilon-insensitive loss; "
        "the learning rate `pa1`/`pa2` with the epsilon-insensitive loss is passive-aggressive regression.",
        _sgd("SGDRegressor"),
        (
            Param("loss", "choice", "squared_error", choices=("squared_error", "huber", "epsilon_insensitive")),
            SGD_PENALTY,
            Param("alpha", "float", 1e-3, 1e-7, 10.0, log=True, help="regularisation strength"),
            Param("learning_rate", "choice", "invscaling", choices=("invscaling", "constant", "optimal", "pa1", "pa2")),
            ETA0,
            Param("epsilon", "float", 0.1, 0.0, 5.0, help="Huber / tube width in target standard deviations"),
            MAX_ITER,
        ),
    ),
    _regressor(
        "pls_regression",
        "Partial least squares",
        "Regression on a few latent components chosen to covary with the target.",
        kwargs_of(PLSRegression),
        (Param("n_components", "int", 2, 1, 20, help="latent components (at most the number of features)"),),
        check_features=_at_most_features,
    ),
    _regressor(
        "principal_component_regression",
        "Principal component regression",
        "Least squares on the leading principal components of the features: unsupervised compression, then OLS.",
        lambda p, target, seed: make_pipeline(PCA(n_components=p["n_components"]), LinearRegression()),
        (Param("n_components", "int", 4, 1, 20, help="components kept (at most the number of features)"),),
        check_features=_at_most_features,
    ),
]
