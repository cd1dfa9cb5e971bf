"""Admin: conversations with their messages and proposals, read-only (they are written by the coach service)."""

from django.contrib import admin

from .models import Ask, Conversation, Message, Proposal, TeamCoachSettings, Usage


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Conversation)
class ConversationAdmin(ReadOnlyAdmin):
    list_display = ("id", "title", "team", "user", "updated_at")
    list_filter = ("team",)
    search_fields = ("title", "goal")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation", "role", "user", "model", "created_at")
    list_filter = ("role",)


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation", "status", "trial", "created_at")
    list_filter = ("status",)


@admin.register(TeamCoachSettings)
class TeamCoachSettingsAdmin(admin.ModelAdmin):
    list_display = ("team", "monthly_token_budget", "max_tool_rounds")


@admin.register(Usage)
class UsageAdmin(ReadOnlyAdmin):
    list_display = ("id", "team", "user", "model", "input_tokens", "output_tokens", "cache_read_tokens", "created_at")
    list_filter = ("team", "model")


@admin.register(Ask)
class AskAdmin(ReadOnlyAdmin):
    list_display = ("id", "conversation", "user", "status", "attempts", "created_at")
    list_filter = ("status",)
