"""manage.py sync_catalog: copy the catalog defined in code into the database (idempotent)."""

from django.core.management.base import BaseCommand

from models_catalog.services import catalog_sync


class Command(BaseCommand):
    help = "Create or update a CatalogEntry per model in code (keeping enabled flags); drop rows of models gone."

    def handle(self, *args, **options):
        created, updated, removed = catalog_sync()
        self.stdout.write(f"catalog synced: {created} created, {updated} updated, {removed} removed")
