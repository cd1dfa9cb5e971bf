from django.apps import AppConfig


class CoachConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "coach"
    verbose_name = "AI coach"

    def ready(self):
        from trials.lifecycle import trial_status_changed

        from .feedback import trial_result_to_conversation

        trial_status_changed.connect(trial_result_to_conversation, dispatch_uid="coach.trial_result_to_conversation")
