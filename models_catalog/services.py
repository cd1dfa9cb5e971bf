"""Writes for the catalog: copying the code definitions into the database."""

from django.db import transaction

from .models import CatalogEntry
from .registry import CATALOG


@transaction.atomic
def catalog_sync() -> tuple[int, int]:
    """Create or update a row per code entry, keeping each row's `enabled` flag. Returns (created, updated)."""
    created = updated = 0
    for spec in CATALOG.values():
        _, was_created = CatalogEntry.objects.update_or_create(
            key=spec.key,
            defaults={
                "name": spec.name,
                "family": spec.family,
                "library": spec.library,
                "tasks": list(spec.tasks),
                "description": spec.description,
                "params_schema": [p.as_dict() for p in spec.params],
            },
        )
        created += was_created
        updated += not was_created
    return created, updated
