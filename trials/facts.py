"""What compliance asks about trials (compliance.ports.TrialFacts), answered here and registered in trials.apps,
so that compliance judges trials without importing this app."""

from typing import Any

from django.db.models import Count, Q

from accounts.models import Team, User

from .models import Trial
from .walkforward import effective_gap

# What a quota counts: a pending trial will run once approved, so it holds its place (approval checks again).
ACTIVE = (Trial.Status.PENDING_APPROVAL, Trial.Status.QUEUED, Trial.Status.RUNNING)


class TrialFacts:
    def active_counts(self, *, team: Team | None, user: User | None, exclude_pk: Any) -> tuple[int, int]:
        trials = Trial.objects.filter(status__in=ACTIVE)
        if team is not None:
            trials = trials.filter(team=team)
        if user is not None:
            trials = trials.filter(created_by=user)
        if exclude_pk is not None:
            trials = trials.exclude(pk=exclude_pk)
        counts = trials.aggregate(n=Count("pk"), pending=Count("pk", filter=Q(status=Trial.Status.PENDING_APPROVAL)))
        return counts["n"], counts["pending"]

    def embargo(self, *, gap: int, horizon: int) -> int:
        return effective_gap(gap=gap, horizon=horizon)
