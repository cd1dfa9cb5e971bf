"""Reads of the catalog: code definitions filtered by the admins' enabled flags."""

from collections import Counter

from mltrainer_site.process_cache import ProcessCache

from .definition import ModelDefinition
from .models import CatalogEntry
from .registry import CATALOG

# The keys admins disabled, kept in each process until an entry changes (models_catalog.apps connects the signals).
_disabled: ProcessCache[frozenset[str]] = ProcessCache("catalog disabled keys")


def disabled_keys() -> frozenset[str]:
    return _disabled.get(
        "disabled", lambda: frozenset(CatalogEntry.objects.filter(enabled=False).values_list("key", flat=True))
    )


def definition_get_enabled(*, key: str) -> ModelDefinition | None:
    """The entry `key` if it exists and no admin disabled it."""
    definition = CATALOG.get(key)
    if definition is None or key in disabled_keys():
        return None
    return definition


def definition_list(
    *, search: str = "", family: str = "", target: str = "", library: str = "", include_disabled: bool = False
) -> list[ModelDefinition]:
    hidden = frozenset() if include_disabled else disabled_keys()
    needle = search.strip().lower()
    return [
        definition
        for definition in CATALOG.values()
        if definition.key not in hidden
        and (not family or definition.family == family)
        and (not target or target in definition.targets)
        and (not library or definition.library.lower() == library.lower())
        and (not needle or needle in f"{definition.key} {definition.name} {definition.description}".lower())
    ]


def family_counts(definitions: list[ModelDefinition]) -> dict[str, int]:
    return dict(sorted(Counter(definition.family for definition in definitions).items()))
