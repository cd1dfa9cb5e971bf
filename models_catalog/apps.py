from django.apps import AppConfig


class ModelsCatalogConfig(AppConfig):
    name = "models_catalog"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from mltrainer_site import process_cache

        from .models import CatalogEntry

        def changed(sender, **kwargs):
            process_cache.changed()  # the enabled flags each process keeps (models_catalog.selectors)

        post_save.connect(changed, sender=CatalogEntry, weak=False, dispatch_uid="models_catalog.entry_saved")
        post_delete.connect(changed, sender=CatalogEntry, weak=False, dispatch_uid="models_catalog.entry_deleted")
