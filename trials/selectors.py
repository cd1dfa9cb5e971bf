"""Reads of trials, always scoped to the teams of the user asking."""

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import team_list_for_user

from .models import Prediction, Study, Trial

PREDICTION_FIELDS = ("y_true", "y_pred", "proba", "position", "strategy_return", "cost", "net_return", "equity")


def trial_list(*, user: User, filters: dict | None = None) -> QuerySet[Trial]:
    filters = filters or {}
    trials = Trial.objects.filter(team__in=team_list_for_user(user=user)).select_related("team", "created_by")
    if filters.get("status"):
        trials = trials.filter(status=filters["status"])
    if filters.get("model"):
        trials = trials.filter(model_key=filters["model"])
    if filters.get("team"):
        trials = trials.filter(team__slug=filters["team"])
    return trials.order_by("-created_at", "-id")


def trial_get(*, user: User, trial_id: int) -> Trial | None:
    """The trial if it belongs to one of the user's teams, else None (callers answer 404)."""
    return trial_list(user=user).filter(pk=trial_id).first()


def trial_stale_running(*, now: datetime | None = None) -> QuerySet[Trial]:
    """Running trials whose worker has not touched the heartbeat for TRIAL_STALE_AFTER_SECONDS (all teams).

    For the reaper and the stuck-trials gauge, never for a user-facing list.
    """
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.TRIAL_STALE_AFTER_SECONDS)
    return Trial.objects.filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True), status=Trial.Status.RUNNING)


def prediction_rows(*, trial: Trial) -> Iterator[tuple]:
    return (
        Prediction.objects.filter(trial=trial)
        .order_by("date")
        .values_list("date", *PREDICTION_FIELDS)
        .iterator(chunk_size=2000)
    )


STUDY_TRIAL_FIELDS = ("id", "study_id", "status", "model_key", "params", "metrics")


def study_list(*, user: User, with_trials: bool = False) -> QuerySet[Study]:
    """The studies of the user's teams; `with_trials` also fetches every study's evaluations (what the API shows
    of them) in one query for all the studies, not one per study."""
    studies = Study.objects.filter(team__in=team_list_for_user(user=user)).select_related(
        "team", "created_by", "best_trial"
    )
    if with_trials:
        evaluations = Trial.objects.only(*STUDY_TRIAL_FIELDS).order_by("id")
        studies = studies.prefetch_related(Prefetch("trials", queryset=evaluations))
    return studies


def study_get(*, user: User, study_id: int, with_trials: bool = False) -> Study | None:
    """The study if it belongs to one of the user's teams, else None (callers answer 404)."""
    return study_list(user=user, with_trials=with_trials).filter(pk=study_id).first()


def study_trial_list(*, study: Study) -> QuerySet[Trial]:
    """A study's evaluations in the order they were launched (the caller has checked access to the study)."""
    return study.trials.select_related("team", "created_by").order_by("id")
