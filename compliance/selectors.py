"""Reads of the audit trail and of submission blocks, scoped to the teams of the user asking (admins see all)."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.selectors import team_list_for_user

from .models import Decision, SubmissionBlock
from .ports import JudgedTrial


def decision_list(*, user: User, filters: dict | None = None) -> QuerySet[Decision]:
    filters = filters or {}
    decisions = Decision.objects.all()
    if not user.is_staff:
        decisions = decisions.filter(team__in=team_list_for_user(user=user))
    if filters.get("trial"):
        decisions = decisions.filter(trial_id=filters["trial"])
    if filters.get("outcome"):
        decisions = decisions.filter(outcome=filters["outcome"])
    if filters.get("stage"):
        decisions = decisions.filter(stage=filters["stage"])
    if filters.get("team"):
        decisions = decisions.filter(team_slug=filters["team"])
    return decisions.order_by("-created_at", "-id")


def decision_list_for_trial(*, trial: JudgedTrial) -> QuerySet[Decision]:
    """The decisions that concern one trial, oldest first (the caller has already checked access to it)."""
    return Decision.objects.filter(trial_id=trial.pk).order_by("created_at", "id")


def submission_block_list(*, user: User, active_only: bool = True) -> QuerySet[SubmissionBlock]:
    """Blocks on users' submissions: admins (staff) see every one, since only they can clear them; others none."""
    if not user.is_staff:
        return SubmissionBlock.objects.none()
    blocks = SubmissionBlock.objects.select_related("user", "team", "cleared_by")
    return blocks.filter(cleared_at__isnull=True) if active_only else blocks
