from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"

    def ready(self):
        from trials.lifecycle import trial_status_changed

        from .receivers import count_finished_trial

        trial_status_changed.connect(count_finished_trial, dispatch_uid="observability.count_finished_trial")
