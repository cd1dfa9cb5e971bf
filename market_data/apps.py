from django.apps import AppConfig


class MarketDataConfig(AppConfig):
    name = "market_data"

    def ready(self):
        from .providers.config import provider_configs_check

        provider_configs_check()  # a bad <SOURCE>_RATE_LIMIT_PER_MINUTE fails at start, naming the variable
