"""scikit-learn non-linear models on standardised features: SVMs, kernels, neighbours, naive Bayes, Gaussian
processes, splines, neural networks, and the dummy baselines every model should beat."""

from ..definition import Param
from ..lazy import deferred
from .common import MAX_TRAIN_ROWS, REGRESSION_TARGETS, feature_definition, kwargs_of

CalibratedClassifierCV = deferred("sklearn.calibration", "CalibratedClassifierCV")
DummyClassifier, DummyRegressor = deferred("sklearn.dummy", "DummyClassifier", "DummyRegressor")
GaussianProcessClassifier, GaussianProcessRegressor = deferred(
    "sklearn.gaussian_process", "GaussianProcessClassifier", "GaussianProcessRegressor"
)
RBF, ConstantKernel, Matern, RationalQuadratic, WhiteKernel = deferred(
    "sklearn.gaussian_process.kernels", "RBF", "ConstantKernel", "Matern", "RationalQuadratic", "WhiteKernel"
)
Nystroem = deferred("sklearn.kernel_approximation", "Nystroem")
KernelRidge = deferred("sklearn.kernel_ridge", "KernelRidge")
LogisticRegression, Ridge = deferred("sklearn.linear_model", "LogisticRegression", "Ridge")
TimeSeriesSplit = deferred("sklearn.model_selection", "TimeSeriesSplit")
BernoulliNB, CategoricalNB, GaussianNB = deferred("sklearn.naive_bayes", "BernoulliNB", "CategoricalNB", "GaussianNB")
KNeighborsClassifier, KNeighborsRegressor, NearestCentroid, RadiusNeighborsClassifier = deferred(
    "sklearn.neighbors", "KNeighborsClassifier", "KNeighborsRegressor", "NearestCentroid", "RadiusNeighborsClassifier"
)
MLPClassifier, MLPRegressor = deferred("sklearn.neural_network", "MLPClassifier", "MLPRegressor")
make_pipeline = deferred("sklearn.pipeline", "make_pipeline")
KBinsDiscretizer, SplineTransformer = deferred("sklearn.preprocessing", "KBinsDiscretizer", "SplineTransformer")
SVC, SVR, LinearSVC, LinearSVR, NuSVC, NuSVR = deferred(
    "sklearn.svm", "SVC", "SVR", "LinearSVC", "LinearSVR", "NuSVC", "NuSVR"
)

PolynomialFeatures = deferred("sklearn.preprocessing", "PolynomialFeatures")
RandomTreesEmbedding = deferred("sklearn.ensemble", "RandomTreesEmbedding")
RandomForestClassifier, HistGradientBoostingClassifier = deferred(
    "sklearn.ensemble", "RandomForestClassifier", "HistGradientBoostingClassifier"
)
StandardScaler = deferred("sklearn.preprocessing", "StandardScaler")

C = Param("C", "float", 1.0, 1e-4, 1e4, log=True, help="inverse regularisation strength")
# A number, not scikit-learn's "scale"/"auto" rules: on standardised features both are 1 / n_features, so a
# choice between them changed nothing.
GAMMA = Param("gamma", "float", 0.05, 1e-4, 10.0, log=True, help="kernel width (per standardised feature)")
KERNEL = Param("kernel", "choice", "rbf", choices=("rbf", "poly", "sigmoid"))
COEF0 = Param("coef0", "float", 1.0, 0.0, 10.0, help="weight of lower-order terms (poly and sigmoid kernels)")
EPSILON = Param("epsilon", "float", 0.1, 0.0, 5.0, help="tube width, in target standard deviations")
PROBABILITY = Param(
    "probability", "bool", True, help="Platt-calibrated probabilities (3-fold, slower) or squashed margin scores"
)
DEGREE = Param("degree", "int", 3, 2, 6, help="polynomial kernel degree")
N_NEIGHBORS = Param("n_neighbors", "int", 50, 1, 1000, log=True)
WEIGHTS = Param("weights", "choice", "uniform", choices=("uniform", "distance"))
N_KNOTS = Param("n_knots", "int", 5, 3, 30, help="knots per feature")
HIDDEN = (
    Param("hidden_units", "int", 32, 2, 1024, log=True, help="units per hidden layer"),
    Param("hidden_layers", "int", 1, 1, 4),
    Param("alpha", "float", 1e-3, 1e-7, 10.0, log=True, help="L2 penalty"),
    Param("learning_rate_init", "float", 1e-3, 1e-5, 0.1, log=True),
    Param("max_iter", "int", 200, 10, 5000, log=True, help="epochs"),
)


def _svm(key, name, family, targets, description, make, params):
    return feature_definition(key, name, family, targets, description, make, params, scale=True, scale_target=True)


def _svc(cls, **fixed):
    """An SVM classifier, Platt-calibrated on 3 folds of the training rows when `probability` is on (the
    replacement scikit-learn 1.9 recommends for SVC(probability=True))."""

    def make(p, target, seed):
        p = dict(p)
        svc = cls(**{name: value for name, value in p.items() if name != "probability"}, **fixed)
        return CalibratedClassifierCV(svc, cv=3, ensemble=False) if p["probability"] else svc

    return make


def _linear_svc(p, target, seed):
    svc = LinearSVC(C=p["C"], random_state=seed)
    if p["calibration"] == "none":
        return svc
    return CalibratedClassifierCV(svc, method=p["calibration"], cv=TimeSeriesSplit(n_splits=3))


CALIBRATED_BASES = {
    "gaussian_nb": lambda seed: GaussianNB(),
    "random_forest": lambda seed: RandomForestClassifier(
        n_estimators=100, min_samples_leaf=20, max_depth=6, n_jobs=1, random_state=seed
    ),
    "hist_gradient_boosting": lambda seed: HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.05, max_leaf_nodes=15, early_stopping=False, random_state=seed
    ),
}


def _calibrated(p, target, seed):
    base = CALIBRATED_BASES[p["base"]](seed)
    return CalibratedClassifierCV(base, method=p["method"], cv=TimeSeriesSplit(n_splits=p["cv_splits"]))


def _mlp(cls):
    def make(p, target, seed):
        return cls(
            hidden_layer_sizes=(p["hidden_units"],) * p["hidden_layers"],
            alpha=p["alpha"],
            learning_rate_init=p["learning_rate_init"],
            max_iter=p["max_iter"],
            random_state=seed,
        )

    return make


def _gp_kernel(name):
    """A scaled stationary kernel whose widths are fitted by marginal likelihood, starting at 3 (about the
    distance between two days' standardised features)."""
    shape = {
        "rbf": RBF(length_scale=3.0),
        "matern_1.5": Matern(length_scale=3.0, nu=1.5),
        "matern_2.5": Matern(length_scale=3.0, nu=2.5),
        "rational_quadratic": RationalQuadratic(length_scale=3.0),
    }[name]
    return ConstantKernel(1.0) * shape


GP_KERNEL = Param(
    "kernel",
    "choice",
    "rbf",
    choices=("rbf", "matern_1.5", "matern_2.5", "rational_quadratic"),
    help="smooth (rbf), rougher (Matern), or a mixture of widths (rational quadratic)",
)


DEFINITIONS = [
    _svm(
        "linear_svc",
        "Linear SVM classifier",
        "svm",
        ("direction",),
        "Maximum-margin linear classifier (liblinear). Without calibration predict_proba is a squashed margin "
        "score; with it, SVMs on expanding-window folds of the training rows are each calibrated (Platt or "
        "isotonic) on the rows after them: real probabilities from a margin classifier.",
        _linear_svc,
        (
            Param("C", "float", 0.1, 1e-4, 1e4, log=True, help="inverse regularisation strength"),
            Param("calibration", "choice", "none", choices=("none", "sigmoid", "isotonic")),
        ),
    ),
    _svm(
        "svc",
        "SVM classifier (kernel)",
        "svm",
        ("direction",),
        "Support vector classifier with a Gaussian (smooth non-linear boundaries), polynomial (feature interactions "
        "up to `degree`) or tanh kernel.",
        _svc(SVC),
        (C, KERNEL, GAMMA, DEGREE, COEF0, PROBABILITY),
    ),
    _svm(
        "nu_svc",
        "Nu-SVM classifier",
        "svm",
        ("direction",),
        "RBF support vector classifier parameterised by nu, a bound on the share of margin errors and support vectors.",
        _svc(NuSVC, kernel="rbf"),
        (Param("nu", "float", 0.5, 0.01, 0.9, help="upper bound on margin errors"), GAMMA, PROBABILITY),
    ),
    _svm(
        "linear_svr",
        "Linear SVM regressor",
        "svm",
        REGRESSION_TARGETS,
        "Linear regression with an epsilon-insensitive loss: residuals inside the tube cost nothing.",
        lambda p, target, seed: LinearSVR(C=p["C"], epsilon=p["epsilon"], max_iter=10000, random_state=seed),
        (Param("C", "float", 0.1, 1e-4, 1e4, log=True, help="inverse regularisation strength"), EPSILON),
    ),
    _svm(
        "svr",
        "SVM regressor (kernel)",
        "svm",
        REGRESSION_TARGETS,
        "Support vector regression with a Gaussian, polynomial or tanh kernel.",
        kwargs_of(SVR),
        (C, EPSILON, KERNEL, GAMMA, Param("degree", "int", 2, 2, 6, help="polynomial kernel degree"), COEF0),
    ),
    _svm(
        "nu_svr",
        "Nu-SVM regressor",
        "svm",
        REGRESSION_TARGETS,
        "RBF support vector regression where nu sets the share of support vectors instead of a tube width.",
        kwargs_of(NuSVR, kernel="rbf"),
        (Param("nu", "float", 0.5, 0.01, 1.0, help="share of support vectors"), C, GAMMA),
    ),
    feature_definition(
        "kernel_ridge",
        "Kernel ridge regression",
        "kernel",
        REGRESSION_TARGETS,
        "Ridge regression in a kernel feature space (closed form; the most recent rows when the window is long).",
        lambda p, target, seed: KernelRidge(alpha=p["alpha"], kernel=p["kernel"], gamma=p["gamma"]),
        (
            Param("alpha", "float", 1.0, 1e-4, 1e4, log=True, help="regularisation strength"),
            Param("kernel", "choice", "rbf", choices=("rbf", "laplacian", "polynomial")),
            Param("gamma", "float", 0.05, 1e-4, 10.0, log=True, help="kernel width (per standardised feature)"),
            Param("max_train_rows", "int", 3000, 50, 20000, log=True, help="train on only the most recent rows"),
        ),
        scale=True,
        scale_target=True,
    ),
    feature_definition(
        "kernel_logistic_nystroem",
        "Kernel logistic regression (Nystroem)",
        "kernel",
        ("direction",),
        "Logistic regression on a Nystroem approximation of an RBF kernel: kernel flexibility at linear cost.",
        lambda p, target, seed: make_pipeline(
            Nystroem(gamma=p["gamma"], n_components=p["n_components"], random_state=seed),
            LogisticRegression(C=p["C"], max_iter=1000),
        ),
        (
            Param("gamma", "float", 0.05, 1e-4, 10.0, log=True, help="RBF kernel width"),
            Param("n_components", "int", 100, 10, 2000, log=True, help="kernel basis size"),
            Param("C", "float", 0.1, 1e-4, 1e4, log=True, help="inverse regularisation strength"),
        ),
        scale=True,
    ),
    feature_definition(
        "k_neighbors_classifier",
        "k-nearest neighbours classifier",
        "neighbors",
        ("direction",),
        "Votes of the k most similar past days in standardised feature space.",
        kwargs_of(KNeighborsClassifier),
        (N_NEIGHBORS, WEIGHTS),
        scale=True,
    ),
    feature_definition(
        "k_neighbors_regressor",
        "k-nearest neighbours regressor",
        "neighbors",
        REGRESSION_TARGETS,
        "Average outcome of the k most similar past days in standardised feature space.",
        kwargs_of(KNeighborsRegressor),
        (N_NEIGHBORS, WEIGHTS),
        scale=True,
    ),
    feature_definition(
        "radius_neighbors_classifier",
        "Radius neighbours classifier",
        "neighbors",
        ("direction",),
        "Votes of all past days within a fixed distance; days with no neighbour get the majority class.",
        lambda p, target, seed: RadiusNeighborsClassifier(
            radius=p["radius"], weights=p["weights"], outlier_label="most_frequent"
        ),
        (Param("radius", "float", 3.0, 0.1, 50.0, log=True, help="in standardised feature units"), WEIGHTS),
        scale=True,
    ),
    feature_definition(
        "nearest_centroid",
        "Nearest centroid",
        "neighbors",
        ("direction",),
        "Assigns the class whose mean feature vector is closest, optionally with shrunken centroids.",
        lambda p, target, seed: NearestCentroid(shrink_threshold=p["shrink_threshold"] or None),
        (Param("shrink_threshold", "float", 0.0, 0.0, 10.0, help="0 for none"),),
        scale=True,
    ),
    feature_definition(
        "gaussian_nb",
        "Gaussian naive Bayes",
        "naive_bayes",
        ("direction",),
        "Features treated as independent Gaussians within each class.",
        kwargs_of(GaussianNB),
        (Param("var_smoothing", "float", 1e-9, 1e-12, 1.0, log=True, help="variance added for stability"),),
    ),
    feature_definition(
        "bernoulli_nb",
        "Bernoulli naive Bayes",
        "naive_bayes",
        ("direction",),
        "Naive Bayes on the signs of the standardised features (above or below their training mean).",
        kwargs_of(BernoulliNB, binarize=0.0),
        (Param("alpha", "float", 1.0, 1e-3, 100.0, log=True, help="additive smoothing"),),
        scale=True,
    ),
    feature_definition(
        "binned_categorical_nb",
        "Binned categorical naive Bayes",
        "naive_bayes",
        ("direction",),
        "Each feature cut into quantile bins, then categorical naive Bayes: any per-feature shape, not just a "
        "Gaussian.",
        lambda p, target, seed: make_pipeline(
            KBinsDiscretizer(
                n_bins=p["n_bins"], encode="ordinal", strategy="quantile", quantile_method="averaged_inverted_cdf"
            ),
            CategoricalNB(alpha=p["alpha"], min_categories=p["n_bins"]),
        ),
        (
            Param("n_bins", "int", 5, 2, 50, help="quantile bins per feature"),
            Param("alpha", "float", 1.0, 1e-3, 100.0, log=True, help="additive smoothing"),
        ),
    ),
    feature_definition(
        "gaussian_process_classifier",
        "Gaussian process classifier",
        "gaussian_process",
        ("direction",),
        "Laplace-approximated GP classification with a fitted RBF or Matern kernel, trained on the most recent rows.",
        lambda p, target, seed: GaussianProcessClassifier(_gp_kernel(p["kernel"]), random_state=seed),
        (GP_KERNEL, MAX_TRAIN_ROWS),
        scale=True,
    ),
    feature_definition(
        "gaussian_process_regressor",
        "Gaussian process regressor",
        "gaussian_process",
        REGRESSION_TARGETS,
        "GP regression with a fitted RBF, Matern or rational-quadratic kernel plus white noise, trained on the most "
        "recent rows.",
        lambda p, target, seed: GaussianProcessRegressor(_gp_kernel(p["kernel"]) + WhiteKernel(1.0), random_state=seed),
        (GP_KERNEL, MAX_TRAIN_ROWS),
        scale=True,
        scale_target=True,
    ),
    feature_definition(
        "spline_logistic",
        "Spline logistic regression (additive)",
        "spline",
        ("direction",),
        "Each feature expanded into cubic B-splines, then L2 logistic regression: a smooth additive model (GAM).",
        lambda p, target, seed: make_pipeline(
            SplineTransformer(n_knots=p["n_knots"], extrapolation="constant"), LogisticRegression(C=p["C"])
        ),
        (N_KNOTS, Param("C", "float", 0.1, 1e-4, 1e4, log=True, help="inverse regularisation strength")),
        scale=True,
    ),
    feature_definition(
        "spline_ridge",
        "Spline ridge regression (additive)",
        "spline",
        REGRESSION_TARGETS,
        "Each feature expanded into cubic B-splines, then ridge regression: a smooth additive model (GAM).",
        lambda p, target, seed: make_pipeline(
            SplineTransformer(n_knots=p["n_knots"], extrapolation="constant"), Ridge(alpha=p["alpha"])
        ),
        (N_KNOTS, Param("alpha", "float", 10.0, 1e-4, 1e4, log=True, help="regularisation strength")),
        scale=True,
        scale_target=True,
    ),
    feature_definition(
        "mlp_classifier",
        "Neural network classifier (MLP)",
        "neural_network",
        ("direction",),
        "A feed-forward network with ReLU layers trained by Adam on log-loss.",
        _mlp(MLPClassifier),
        HIDDEN,
        scale=True,
    ),
    feature_definition(
        "mlp_regressor",
        "Neural network regressor (MLP)",
        "neural_network",
        REGRESSION_TARGETS,
        "A feed-forward network with ReLU layers trained by Adam on squared error.",
        _mlp(MLPRegressor),
        HIDDEN,
        scale=True,
        scale_target=True,
    ),
    feature_definition(
        "dummy_classifier",
        "Baseline: class prior",
        "baseline",
        ("direction",),
        "Ignores the features: always the training majority class, with the training share of up moves as P(up).",
        kwargs_of(DummyClassifier),
        (Param("strategy", "choice", "prior", choices=("prior", "most_frequent")),),
    ),
    feature_definition(
        "dummy_regressor",
        "Baseline: training mean",
        "baseline",
        REGRESSION_TARGETS,
        "Ignores the features: always the training mean (or median) of the target.",
        kwargs_of(DummyRegressor),
        (Param("strategy", "choice", "mean", choices=("mean", "median")),),
    ),
    feature_definition(
        "calibrated_classifier",
        "Isotonic-calibrated classifier",
        "calibration",
        ("direction",),
        "A classifier whose probabilities are recalibrated (isotonic regression by default, or Platt's sigmoid) on "
        "expanding-window folds of the training rows: naive Bayes, a random forest or boosted trees, whose raw "
        "scores are known to be mis-calibrated (Niculescu-Mizil and Caruana, 2005).",
        _calibrated,
        (
            Param("base", "choice", "hist_gradient_boosting", choices=tuple(CALIBRATED_BASES)),
            Param("method", "choice", "isotonic", choices=("isotonic", "sigmoid")),
            Param("cv_splits", "int", 3, 2, 10, help="expanding-window calibration folds"),
        ),
        scale=True,
    ),
    feature_definition(
        "polynomial_logistic",
        "Polynomial logistic regression (interactions)",
        "linear",
        ("direction",),
        "Logistic regression on the features and all their pairwise products and squares (degree 2): explicit "
        "interactions, such as momentum that matters only when volatility is low.",
        lambda p, target, seed: make_pipeline(
            PolynomialFeatures(degree=2, interaction_only=p["interaction_only"], include_bias=False),
            StandardScaler(),
            LogisticRegression(C=p["C"], max_iter=2000),
        ),
        (
            Param("C", "float", 0.05, 1e-4, 1e4, log=True, help="inverse regularisation strength"),
            Param("interaction_only", "bool", False, help="products only, no squares"),
        ),
        scale=True,
    ),
    feature_definition(
        "polynomial_ridge",
        "Polynomial ridge regression (interactions)",
        "linear",
        REGRESSION_TARGETS,
        "Ridge regression on the features and all their pairwise products and squares (degree 2).",
        lambda p, target, seed: make_pipeline(
            PolynomialFeatures(degree=2, interaction_only=p["interaction_only"], include_bias=False),
            StandardScaler(),
            Ridge(alpha=p["alpha"]),
        ),
        (
            Param("alpha", "float", 100.0, 1e-3, 1e6, log=True, help="regularisation strength"),
            Param("interaction_only", "bool", False, help="products only, no squares"),
        ),
        scale=True,
        scale_target=True,
    ),
    feature_definition(
        "kernel_ridge_nystroem",
        "Kernel ridge regression (Nystroem)",
        "kernel",
        REGRESSION_TARGETS,
        "Ridge regression on a Nystroem approximation of an RBF kernel: kernel flexibility on the whole history at "
        "linear cost (exact kernel ridge keeps only the latest rows).",
        lambda p, target, seed: make_pipeline(
            Nystroem(gamma=p["gamma"], n_components=p["n_components"], random_state=seed), Ridge(alpha=p["alpha"])
        ),
        (
            Param("gamma", "float", 0.05, 1e-4, 10.0, log=True, help="RBF kernel width"),
            Param("n_components", "int", 100, 10, 2000, log=True, help="kernel basis size"),
            Param("alpha", "float", 10.0, 1e-4, 1e4, log=True, help="regularisation strength"),
        ),
        scale=True,
        scale_target=True,
    ),
    feature_definition(
        "random_trees_embedding_logistic",
        "Random-trees embedding + logistic regression",
        "tree",
        ("direction",),
        "Totally random trees encode each day by the leaves it falls in (a sparse, data-adaptive partition), then "
        "an L2 logistic regression on that encoding.",
        lambda p, target, seed: make_pipeline(
            RandomTreesEmbedding(
                n_estimators=p["n_estimators"], max_depth=p["max_depth"], min_samples_leaf=20, random_state=seed
            ),
            LogisticRegression(C=p["C"], max_iter=2000),
        ),
        (
            Param("n_estimators", "int", 50, 10, 1000, log=True, help="random trees"),
            Param("max_depth", "int", 3, 1, 10),
            Param("C", "float", 0.1, 1e-4, 1e4, log=True, help="inverse regularisation strength"),
        ),
    ),
    feature_definition(
        "random_trees_embedding_ridge",
        "Random-trees embedding + ridge regression",
        "tree",
        REGRESSION_TARGETS,
        "Totally random trees encode each day by its leaves, then ridge regression on that sparse encoding.",
        lambda p, target, seed: make_pipeline(
            RandomTreesEmbedding(
                n_estimators=p["n_estimators"], max_depth=p["max_depth"], min_samples_leaf=20, random_state=seed
            ),
            Ridge(alpha=p["alpha"]),
        ),
        (
            Param("n_estimators", "int", 50, 10, 1000, log=True, help="random trees"),
            Param("max_depth", "int", 3, 1, 10),
            Param("alpha", "float", 10.0, 1e-4, 1e4, log=True, help="regularisation strength"),
        ),
        scale_target=True,
    ),
]
