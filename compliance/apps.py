from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compliance"
    verbose_name = "Compliance"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .models import SubmissionBlock
        from .services import RULE_MODELS, rules_changed

        def changed(sender, **kwargs):
            rules_changed()

        for model in (*RULE_MODELS, SubmissionBlock):
            uid = f"compliance.rules_changed.{model.__name__}"  # and blocks: the gateway keeps both
            post_save.connect(changed, sender=model, weak=False, dispatch_uid=uid + ".save")
            post_delete.connect(changed, sender=model, weak=False, dispatch_uid=uid + ".delete")
