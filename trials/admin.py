"""Admin for how teams share the workers: each team's cap on concurrent trials."""

from django.conf import settings
from django.contrib import admin

from .models import TeamShare


@admin.register(TeamShare)
class TeamShareAdmin(admin.ModelAdmin):
    list_display = ("team", "max_running_trials", "cap_in_force", "last_started_at")
    readonly_fields = ("last_started_at",)

    @admin.display(description="cap in force")
    def cap_in_force(self, share: TeamShare) -> str:
        cap = share.max_running_trials if share.max_running_trials is not None else settings.TRIAL_TEAM_MAX_RUNNING
        return str(cap) if cap else "no cap"
