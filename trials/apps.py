from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trials"

    def ready(self):
        from .events import publish_status
        from .lifecycle import trial_status_changed
        from .overfitting import question_refresh_after_trial
        from .studies import study_step_after_trial

        trial_status_changed.connect(publish_status, dispatch_uid="trials.publish_status")
        trial_status_changed.connect(study_step_after_trial, dispatch_uid="trials.study_step_after_trial")
        trial_status_changed.connect(question_refresh_after_trial, dispatch_uid="trials.question_refresh_after_trial")
