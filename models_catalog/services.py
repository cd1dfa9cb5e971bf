"""Writes for the catalog: copying the code definitions into the database."""

from django.db import transaction

from .models import CatalogEntry
from .registry import CATALOG


@transaction.atomic
def catalog_sync() -> tuple[int, int, int]:
    """Create or update a row per code entry, keeping each row's `enabled` flag, and delete the rows of entries the
    code no longer has (trials keep their model key as text). Returns (created, updated, removed)."""
    removed, _ = CatalogEntry.objects.exclude(key__in=list(CATALOG)).delete()
    created = updated = 0
    for definition in CATALOG.values():
        _, was_created = CatalogEntry.objects.update_or_create(
            key=definition.key,
            defaults={
                "name": definition.name,
                "family": definition.family,
                "library": definition.library,
                "targets": list(definition.targets),
                "description": definition.description,
                "params_schema": [p.as_dict() for p in definition.params],
            },
        )
        created += was_created
        updated += not was_created
    return created, updated, removed
