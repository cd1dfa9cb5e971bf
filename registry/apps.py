from django.apps import AppConfig


class RegistryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "registry"
    verbose_name = "Model registry"

    def ready(self):
        from market_data.signals import dataset_rows_changed

        from .receivers import signals_after_new_bars

        dataset_rows_changed.connect(signals_after_new_bars, dispatch_uid="registry.signals_after_new_bars")
