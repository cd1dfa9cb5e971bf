"""Reads of the catalog: code definitions filtered by the admins' enabled flags."""

from collections import Counter

from .models import CatalogEntry
from .registry import CATALOG
from .spec import ModelSpec


def disabled_keys() -> set[str]:
    return set(CatalogEntry.objects.filter(enabled=False).values_list("key", flat=True))


def spec_get_enabled(*, key: str) -> ModelSpec | None:
    """The entry `key` if it exists and no admin disabled it."""
    spec = CATALOG.get(key)
    if spec is None or CatalogEntry.objects.filter(key=key, enabled=False).exists():
        return None
    return spec


def spec_list(
    *, search: str = "", family: str = "", task: str = "", library: str = "", include_disabled: bool = False
) -> list[ModelSpec]:
    hidden = set() if include_disabled else disabled_keys()
    needle = search.strip().lower()
    return [
        spec
        for spec in CATALOG.values()
        if spec.key not in hidden
        and (not family or spec.family == family)
        and (not task or task in spec.tasks)
        and (not library or spec.library.lower() == library.lower())
        and (not needle or needle in f"{spec.key} {spec.name} {spec.description}".lower())
    ]


def family_counts(specs: list[ModelSpec]) -> dict[str, int]:
    return dict(sorted(Counter(spec.family for spec in specs).items()))
