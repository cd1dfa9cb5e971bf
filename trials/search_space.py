"""Hyperparameter search spaces from catalog definitions, for Optuna's ask-and-tell interface (no Django here).

A study over one entry searches that entry's parameters; over several entries (automatic model selection) it
first picks `model`, then that model's parameters, named `<model>.<param>`. Parameters named in `fixed` keep the
given value; parameters without bounds, and `n_jobs`, keep their default.
"""

from collections.abc import Mapping

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from models_catalog.definition import ModelDefinition, Param

NOT_SEARCHED = {"n_jobs"}


def distribution(param: Param) -> BaseDistribution | None:
    if param.name in NOT_SEARCHED:
        return None
    if param.type == "bool":
        return CategoricalDistribution([True, False])
    if param.type == "choice":
        return CategoricalDistribution(list(param.choices))
    if param.low is None or param.high is None or param.low == param.high:
        return None
    log = param.log and param.low > 0
    if param.type == "int":
        return IntDistribution(int(param.low), int(param.high), log=log)
    return FloatDistribution(float(param.low), float(param.high), log=log)


def space(
    definitions: list[ModelDefinition], fixed: Mapping[str, Mapping] | None = None
) -> dict[str, BaseDistribution]:
    """Every searched dimension by its Optuna name (flat, for rebuilding past trials)."""
    fixed = fixed or {}
    dims: dict[str, BaseDistribution] = {}
    if len(definitions) > 1:
        dims["model"] = CategoricalDistribution([definition.key for definition in definitions])
    for definition in definitions:
        for param in definition.params:
            dist = distribution(param)
            if dist is not None and param.name not in fixed.get(definition.key, {}):
                dims[_name(definitions, definition, param)] = dist
    return dims


def _name(definitions: list[ModelDefinition], definition: ModelDefinition, param: Param) -> str:
    return param.name if len(definitions) == 1 else f"{definition.key}.{param.name}"


def suggest(
    trial: optuna.Trial, definitions: list[ModelDefinition], fixed: Mapping[str, Mapping] | None = None
) -> tuple[str, dict]:
    """Ask the trial for a model and its parameters; returns (model key, params for the catalog entry)."""
    fixed = fixed or {}
    by_key = {definition.key: definition for definition in definitions}
    key = trial.suggest_categorical("model", list(by_key)) if len(definitions) > 1 else definitions[0].key
    definition = by_key[key]
    params = dict(fixed.get(key, {}))
    for param in definition.params:
        dist = distribution(param)
        if dist is None or param.name in params:
            continue
        params[param.name] = _suggest(trial, _name(definitions, definition, param), dist)
    return key, params


def _suggest(trial: optuna.Trial, name: str, dist: BaseDistribution):
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log)
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, log=dist.log)
    return trial.suggest_categorical(name, dist.choices)


def optuna_params(
    definitions: list[ModelDefinition], model: str, params: Mapping, fixed: Mapping[str, Mapping] | None = None
):
    """The (params, distributions) Optuna recorded for an evaluation, to rebuild a study from stored trials."""
    fixed = fixed or {}
    dims = space(definitions, fixed)
    by_key = {definition.key: definition for definition in definitions}
    values: dict = {"model": model} if "model" in dims else {}
    for param in by_key[model].params:
        name = _name(definitions, by_key[model], param)
        if name in dims and param.name in params:
            values[name] = params[param.name]
    return values, {name: dims[name] for name in values}
