from django.apps import AppConfig


class TrialsConfig(AppConfig):
    name = "trials"

    def ready(self):
        from compliance.ports import trial_facts_register
        from observability.metrics import state_collector_register

        from .events import publish_status
        from .facts import TrialFacts
        from .lifecycle import trial_status_changed
        from .monitoring import TrialStateCollector, count_finished_trial
        from .overfitting import question_refresh_after_trial
        from .queue import trial_slot_freed
        from .studies import study_step_after_trial

        trial_status_changed.connect(publish_status, dispatch_uid="trials.publish_status")
        trial_status_changed.connect(study_step_after_trial, dispatch_uid="trials.study_step_after_trial")
        trial_status_changed.connect(question_refresh_after_trial, dispatch_uid="trials.question_refresh_after_trial")
        trial_status_changed.connect(count_finished_trial, dispatch_uid="trials.count_finished_trial")
        state_collector_register(TrialStateCollector())  # the trial gauges of /metrics
        trial_facts_register(TrialFacts())  # what compliance asks about trials (compliance/ports.py)
        trial_status_changed.connect(trial_slot_freed, dispatch_uid="trials.trial_slot_freed")
