"""Admin: rules are edited here (every change kept by django-simple-history), decisions are read-only, and
blocks on repeated violators are listed and cleared."""

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    ApprovalRule,
    DataFreshnessRule,
    DataIntegrityRule,
    DataSourceRule,
    Decision,
    ForbiddenTermsRule,
    InstrumentRule,
    ModelRule,
    ParamBoundRule,
    PromotionApprovalRule,
    QuotaRule,
    RepeatedViolationRule,
    SubmissionBlock,
    ValidationRule,
)

COMMON = ("team", "enabled", "reason")
RULE_FIELDS = {
    DataSourceRule: ("sources",),
    InstrumentRule: ("mode", "patterns", "include_macro"),
    ModelRule: ("mode", "families", "catalog_keys"),
    ParamBoundRule: ("param", "model_key", "family", "min_value", "max_value"),
    ValidationRule: ("walk_forward_only", "min_folds", "min_gap", "min_out_of_sample_bars"),
    DataFreshnessRule: ("max_age_days",),
    DataIntegrityRule: (),
    QuotaRule: ("max_active_per_user", "max_active_per_team"),
    ApprovalRule: ("when_live_source", "when_folds_at_least", "when_models", "when_symbols"),
    PromotionApprovalRule: ("when_models",),
    ForbiddenTermsRule: ("terms",),
    RepeatedViolationRule: ("rejections", "window_minutes"),
}


class RuleAdmin(SimpleHistoryAdmin):
    list_filter = ("enabled", "team")
    search_fields = ("reason",)
    readonly_fields = ("created_at", "updated_at")


for _model, _fields in RULE_FIELDS.items():
    admin.site.register(
        _model,
        type(
            f"{_model.__name__}Admin",
            (RuleAdmin,),
            {
                "list_display": ("__str__", *COMMON[:2], *_fields, "updated_at"),
                "fields": (*COMMON, *_fields, "created_at", "updated_at"),
                "history_list_display": list(_fields) + ["enabled"],
            },
        ),
    )


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """The audit trail: viewable, never added, changed or deleted here."""

    list_display = ("id", "created_at", "stage", "outcome", "trial_id", "username", "team_slug")
    list_filter = ("stage", "outcome")
    search_fields = ("username", "team_slug", "=trial__id")
    readonly_fields = [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SubmissionBlock)
class SubmissionBlockAdmin(admin.ModelAdmin):
    """Who tripped the repeated-violation rule and why; clearing lets them submit again."""

    list_display = ("user", "team", "created_at", "reason", "active", "cleared_at", "cleared_by")
    list_filter = (("cleared_at", admin.EmptyFieldListFilter),)
    readonly_fields = ("user", "team", "reason", "decisions", "created_at", "cleared_at", "cleared_by")
    actions = ["clear_blocks"]

    @admin.display(boolean=True)
    def active(self, block):
        return block.active

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Clear the selected blocks (let these users submit again)", permissions=["change"])
    def clear_blocks(self, request, queryset):
        cleared = 0
        for block in queryset.filter(cleared_at__isnull=True):
            services.submission_block_clear(block=block, user=request.user)
            cleared += 1
        self.message_user(request, f"Cleared {cleared} block(s).", messages.SUCCESS)
