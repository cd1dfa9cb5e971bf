"""Names from the ML libraries (and numpy, pandas), imported when first used rather than when the catalog is imported.

The web process needs the catalog's metadata (keys, families, typed hyperparameters), not its estimators: family
modules name their classes with `deferred`, so importing the catalog imports no ML library, and the first call
(building or fitting a model, in the worker) imports the one it needs.
"""

from importlib import import_module
from typing import Any


class Deferred:
    """Stands for `module.name` (or the module itself): calling it or reading an attribute imports it."""

    def __init__(self, module: str, name: str | None = None):
        self._module, self._name = module, name
        self._resolved: Any = None

    def resolve(self) -> Any:
        if self._resolved is None:  # once: `np.asarray` in a loop must not look the module up every time
            module = import_module(self._module)
            self._resolved = module if self._name is None else getattr(module, self._name)
        return self._resolved

    def __call__(self, *args, **kwargs):
        return self.resolve()(*args, **kwargs)

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.resolve(), attribute)

    def __repr__(self) -> str:
        return f"deferred({self._module}{'.' + self._name if self._name else ''})"


def deferred(module: str, *names: str) -> Any:
    """deferred("sklearn.svm", "SVC", "SVR") -> stand-ins for both; deferred("statsmodels.api") -> the module
    (`np = deferred("numpy")`, under `if not TYPE_CHECKING`, so type checkers still see numpy).

    Typed Any: each stands for whatever the library defines under that name."""
    if not names:
        return Deferred(module)
    return Deferred(module, names[0]) if len(names) == 1 else tuple(Deferred(module, name) for name in names)
