"""Reads for the coach: conversations and proposals scoped to the user's teams, and what the coach is told."""

from django.db.models import Prefetch, QuerySet

from accounts.models import Team, User
from accounts.selectors import team_list_for_user
from market_data.models import Dataset
from market_data.selectors import dataset_list_for_team
from trials.models import Trial
from trials.selectors import trial_list

from .models import Ask, Conversation, Message, Proposal

RECENT_TRIALS = 15


def conversation_list(*, user: User, team: Team | None = None, team_slug: str = "") -> QuerySet[Conversation]:
    """The conversations of the user's teams (a conversation belongs to its team: every member reads it),
    optionally of one team, given or named by its slug (the API's ?team=)."""
    conversations = Conversation.objects.filter(team__in=team_list_for_user(user=user)).select_related("team", "user")
    if team is not None:
        conversations = conversations.filter(team=team)
    if team_slug:
        conversations = conversations.filter(team__slug=team_slug)
    return conversations.order_by("-updated_at", "-id")


def conversation_get(*, user: User, conversation_id: int) -> Conversation | None:
    """The conversation if it belongs to one of the user's teams, else None (callers answer 404)."""
    return conversation_list(user=user).filter(pk=conversation_id).first()


def message_list(*, conversation: Conversation) -> QuerySet[Message]:
    """The transcript in order, each message with its proposals (and their trials) prefetched."""
    proposals = Proposal.objects.select_related("trial").order_by("created_at", "id")
    return (
        Message.objects.filter(conversation=conversation)
        .select_related("user")
        .prefetch_related(Prefetch("proposals", queryset=proposals))
        .order_by("created_at", "id")
    )


def proposal_get(*, user: User, proposal_id: int) -> Proposal | None:
    """The proposal if its conversation belongs to one of the user's teams, else None (callers answer 404)."""
    return (
        Proposal.objects.filter(pk=proposal_id, conversation__team__in=team_list_for_user(user=user))
        .select_related("conversation__team", "trial")
        .first()
    )


def datasets_for_team(*, team: Team) -> list[Dataset]:
    """The datasets a trial of `team` can name (market_data.selectors resolves them)."""
    return dataset_list_for_team(team=team)


def recent_trials_for_team(*, user: User, team: Team, limit: int = RECENT_TRIALS) -> list[Trial]:
    return list(trial_list(user=user, filters={"team": team.slug})[:limit])


def ask_open_list(*, conversation: Conversation) -> QuerySet[Ask]:
    """The messages not answered yet: waiting, being answered, or failed (shown with a retry button)."""
    return Ask.objects.filter(
        conversation=conversation, status__in=[Ask.Status.QUEUED, Ask.Status.RUNNING, Ask.Status.FAILED]
    ).select_related("user")


def ask_pending_list(*, conversation: Conversation) -> QuerySet[Ask]:
    return Ask.objects.filter(conversation=conversation, status__in=[Ask.Status.QUEUED, Ask.Status.RUNNING])


def ask_get(*, user: User, ask_id: int) -> Ask | None:
    """The ask if its conversation belongs to one of the user's teams, else None (callers answer 404)."""
    return (
        Ask.objects.filter(pk=ask_id, conversation__team__in=team_list_for_user(user=user))
        .select_related("conversation__team", "user", "reply")
        .first()
    )
