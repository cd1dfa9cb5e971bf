from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self):
        from django.db.models.signals import post_save

        from trials.lifecycle import trial_status_changed
        from trials.models import Trial
        from trials.studies import study_finished

        from . import receivers

        trial_status_changed.connect(receivers.trial_finished, dispatch_uid="notifications.trial_finished")
        study_finished.connect(receivers.study_finished, dispatch_uid="notifications.study_finished")
        post_save.connect(receivers.trial_created, sender=Trial, dispatch_uid="notifications.trial_created")
