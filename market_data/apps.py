from django.apps import AppConfig


class MarketDataConfig(AppConfig):
    name = "market_data"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from mltrainer_site import process_cache

        from .models import Dataset
        from .providers.config import provider_configs_check

        provider_configs_check()  # a bad <SOURCE>_RATE_LIMIT_PER_MINUTE fails at start, naming the variable

        def changed(sender, **kwargs):
            process_cache.changed()  # the datasets and bar counts each process keeps (market_data.selectors)

        post_save.connect(changed, sender=Dataset, weak=False, dispatch_uid="market_data.dataset_saved")
        post_delete.connect(changed, sender=Dataset, weak=False, dispatch_uid="market_data.dataset_deleted")
