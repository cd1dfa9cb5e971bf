from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self):
        from django.db.models.signals import post_save

        from trials.lifecycle import trial_status_changed
        from trials.models import Trial

        from .receivers import trial_created, trial_finished

        trial_status_changed.connect(trial_finished, dispatch_uid="notifications.trial_finished")
        post_save.connect(trial_created, sender=Trial, dispatch_uid="notifications.trial_created")
