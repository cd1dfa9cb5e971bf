"""What a catalog entry is: typed hyperparameters and a factory for an estimator (no Django here).

An estimator built from a definition has the interface the walk-forward runner calls:
    fit(X, y, bars) -> self;  predict(X, bars) -> ndarray;  predict_proba(X, bars) -> ndarray (P(up), direction only)
X is the feature frame for the rows to fit or predict, y the target for those rows, and `bars` the OHLCV history
up to and including the last row of X, never later (models that work from prices, such as rules and time-series
models, read it; feature models ignore it).
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

TARGETS = ("direction", "return", "volatility")
PARAM_TYPES = ("int", "float", "bool", "choice")


class ParamError(ValueError):
    """Invalid hyperparameters; `errors` maps each parameter name to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple = ()
    log: bool = False
    help: str = ""

    def __post_init__(self):
        if self.type not in PARAM_TYPES:
            raise ValueError(f"{self.name}: unknown parameter type {self.type!r}")
        if self.type == "choice" and self.default not in self.choices:
            raise ValueError(f"{self.name}: default {self.default!r} is not among the choices")

    def coerce(self, value: Any) -> Any:
        """The value as this parameter's type, or ValueError saying why it is not acceptable."""
        if self.type == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError(f"must be true or false, got {value!r}")
        if self.type == "choice":
            if value in self.choices:
                return value
            raise ValueError(f"must be one of {', '.join(map(str, self.choices))}, got {value!r}")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"must be a number, got {value!r}")
        if self.type == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"must be a whole number, got {value!r}")
            value = int(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"must be finite, got {value!r}")
        if self.low is not None and value < self.low:
            raise ValueError(f"must be at least {self.low:g}, got {value:g}")
        if self.high is not None and value > self.high:
            raise ValueError(f"must be at most {self.high:g}, got {value:g}")
        return value

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "min": self.low,
            "max": self.high,
            "choices": list(self.choices),
            "log": self.log,
            "help": self.help,
        }


@dataclass(frozen=True)
class ModelDefinition:
    key: str
    name: str
    family: str
    library: str
    targets: tuple[str, ...]
    description: str
    factory: Callable[..., Any] = field(repr=False)
    params: tuple[Param, ...] = ()
    # Rules between parameters: resolved params -> {name: what is wrong}, empty when they fit together.
    check: Callable[[dict], Mapping[str, str]] | None = field(default=None, repr=False)
    # Limits that depend on the data: (resolved params, number of feature columns) -> {name: what is wrong}.
    check_features: Callable[[dict, int], Mapping[str, str]] | None = field(default=None, repr=False)

    def __post_init__(self):
        unknown = set(self.targets) - set(TARGETS)
        if unknown or not self.targets:
            raise ValueError(f"{self.key}: targets must be a non-empty subset of {TARGETS}, got {self.targets}")
        if not isinstance(self.params, tuple) or not all(isinstance(param, Param) for param in self.params):
            raise ValueError(f"{self.key}: params must be a tuple of Param")

    def validate_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """All parameters with defaults filled in; ParamError names every bad or unknown one."""
        params = dict(params or {})
        by_name = {p.name: p for p in self.params}
        errors = {name: f"unknown parameter for {self.key}" for name in params if name not in by_name}
        resolved = {}
        for name, param in by_name.items():
            try:
                resolved[name] = param.coerce(params[name]) if name in params else param.default
            except ValueError as exc:
                errors[name] = str(exc)
        if not errors and self.check:
            errors = dict(self.check(resolved))
        if errors:
            raise ParamError(errors)
        return resolved

    def validate_for_features(self, params: Mapping[str, Any], *, n_features: int) -> None:
        """ParamError when resolved `params` cannot train on `n_features` feature columns."""
        errors = dict(self.check_features(dict(params), n_features)) if self.check_features else {}
        if errors:
            raise ParamError(errors)

    def build(self, params: Mapping[str, Any] | None, *, target: str, seed: int, horizon: int = 1):
        """An estimator for `target` labels `horizon` bars ahead: the trial's horizon, which models that forecast
        from prices use as their own (feature models learn it from the labels)."""
        if target not in self.targets:
            raise ValueError(
                f"{self.key} does not support the {target!r} target (it supports {', '.join(self.targets)})"
            )
        return self.factory(self.validate_params(params), target=target, seed=seed, horizon=horizon)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "name": self.name,
            "family": self.family,
            "library": self.library,
            "targets": list(self.targets),
            "description": self.description,
            "params": [p.as_dict() for p in self.params],
        }
