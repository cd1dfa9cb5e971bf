"""Search spaces from catalog definitions: bounds, log scales and model selection naming."""

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from models_catalog.registry import CATALOG
from trials import search_space


def test_single_model_space_uses_the_spec_bounds_and_skips_n_jobs():
    dims = search_space.space([CATALOG["random_forest_classifier"]])
    assert dims["n_estimators"] == IntDistribution(10, 2000, log=True)
    assert dims["max_features"] == CategoricalDistribution(["sqrt", "log2", "all"])
    assert "n_jobs" not in dims


def test_model_selection_names_params_per_model_and_fixed_params_are_kept():
    definitions = [CATALOG["logistic_regression"], CATALOG["random_forest_classifier"]]
    fixed = {"random_forest_classifier": {"n_estimators": 50}}
    dims = search_space.space(definitions, fixed)
    assert dims["model"] == CategoricalDistribution(["logistic_regression", "random_forest_classifier"])
    assert dims["logistic_regression.C"] == FloatDistribution(1e-4, 1e4, log=True)
    assert "random_forest_classifier.n_estimators" not in dims
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=3))
    seen = set()
    for _ in range(20):
        model, params = search_space.suggest(study.ask(), definitions, fixed)
        seen.add(model)
        CATALOG[model].validate_params(params)  # every suggestion is a valid parameter set
        if model == "random_forest_classifier":
            assert params["n_estimators"] == 50
    assert seen == {"logistic_regression", "random_forest_classifier"}


def test_stored_trials_rebuild_into_the_same_optuna_names():
    definitions = [CATALOG["logistic_regression"], CATALOG["ridge"]]
    params, dists = search_space.optuna_params(definitions, "ridge", {"alpha": 2.0})
    assert params == {"model": "ridge", "ridge.alpha": 2.0}
    assert set(dists) == set(params)
