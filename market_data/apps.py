from django.apps import AppConfig


class MarketDataConfig(AppConfig):
    name = "market_data"
