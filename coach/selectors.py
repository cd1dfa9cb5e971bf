"""Reads for the coach: conversations and proposals scoped to the user's teams, and what the coach is told."""

from datetime import UTC, datetime

from django.db.models import Prefetch, QuerySet, Sum
from django.utils import timezone

from accounts.models import Team, User
from accounts.selectors import team_list_for_user
from market_data.models import Dataset
from market_data.selectors import dataset_list_for_team
from trials.models import Trial
from trials.selectors import trial_list, trial_table

from .models import Ask, Conversation, Goal, Message, Proposal, TeamCoachSettings, Usage

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


def coach_settings_for(*, team: Team) -> TeamCoachSettings:
    """The team's coach settings (unsaved defaults when an admin set none)."""
    return TeamCoachSettings.objects.filter(team=team).first() or TeamCoachSettings(team=team)


def month_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """The current calendar month in UTC: its first instant and the next month's (when the budget resets)."""
    now = (now or timezone.now()).astimezone(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (
        start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)
    )
    return start, following


def usage_this_month(*, team: Team, now: datetime | None = None) -> dict:
    """{"used", "budget", "resets_at", "by_kind"}: the team's tokens this month against its budget (None: none)."""
    start, resets = month_bounds(now)
    sums = Usage.objects.filter(team=team, created_at__gte=start, created_at__lt=resets).aggregate(
        input=Sum("input_tokens"),
        output=Sum("output_tokens"),
        cache_read=Sum("cache_read_tokens"),
        cache_creation=Sum("cache_creation_tokens"),
    )
    by_kind = {kind: value or 0 for kind, value in sums.items()}
    return {
        "used": sum(by_kind.values()),
        "budget": coach_settings_for(team=team).monthly_token_budget,
        "resets_at": resets,
        "by_kind": by_kind,
    }


# Each target: (the goal's field, the metric, its label). Higher is better for all three (a drawdown is negative).
GOAL_TARGETS = (
    ("sharpe_min", "sharpe", "net Sharpe"),
    ("max_drawdown_min", "max_drawdown", "max drawdown"),
    ("dsr_min", "dsr", "DSR"),
)


def goal_list(*, user: User) -> QuerySet[Goal]:
    return Goal.objects.filter(team__in=team_list_for_user(user=user)).select_related("team", "created_by")


def goal_get(*, user: User, goal_id: int) -> Goal | None:
    """The goal if it belongs to one of the user's teams, else None (callers answer 404)."""
    return goal_list(user=user).filter(pk=goal_id).first()


def goal_progress(*, goal: Goal, user: User) -> dict:
    """The best succeeded trial of the goal's team (within its symbols) against each target, and the trials its
    conversations launched against the trial budget."""
    filters = {"team": goal.team.slug, "status": "succeeded"}
    rows = []
    for field, metric, label in GOAL_TARGETS:
        target = getattr(goal, field)
        trials = trial_table(user=user, filters=filters, sort=f"-{metric}").filter(
            **{f"metrics__{metric}__isnull": False}
        )
        if goal.symbols:
            trials = trials.filter(data__symbol__in=goal.symbols)
        best = trials.first()
        value = (best.metrics or {}).get(metric) if best else None
        rows.append({
            "metric": metric, "label": label, "target": target, "value": value,
            "trial": best.pk if best else None,
            "met": None if target is None or value is None else value >= target,
        })  # fmt: skip
    launched = Proposal.objects.filter(conversation__team_goal=goal, trial__isnull=False).count()
    return {"targets": rows, "launched": launched, "budget": goal.trial_budget}
