"""Reads of the registry, scoped to the user's teams in one place."""

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import User
from accounts.selectors import team_ids_for_user

from .models import LiveSignal, ModelVersion, RegisteredModel, StageChange


def registered_model_list(*, user: User, team_slug: str | None = None) -> QuerySet[RegisteredModel]:
    """The user's teams' registered models, by name, each with its versions (newest first) and counts."""
    versions = ModelVersion.objects.select_related("registered_model").order_by("-number")
    return (
        RegisteredModel.objects.filter(team_id__in=team_ids_for_user(user=user, slug=team_slug))
        .select_related("team")
        .annotate(version_count=Count("versions"))
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("name", "team__name")
    )


def registered_model_get(*, user: User, name: str, team_slug: str | None = None) -> RegisteredModel | None:
    """The model `name` of one of the user's teams (the one `team_slug` names, else the first by team name)."""
    return registered_model_list(user=user, team_slug=team_slug).filter(name=name).first()


def version_get(*, user: User, name: str, number: int | None, team_slug: str | None = None) -> ModelVersion | None:
    """Version `number` of the model `name` of one of the user's teams (the one `team_slug` names, else the first
    team by name that has the model), or its production version when `number` is None; None when not found or not
    the user's (callers answer 404). One query after the user's team ids: the prediction route's hot path."""
    versions = ModelVersion.objects.filter(
        registered_model__name=name, team_id__in=team_ids_for_user(user=user, slug=team_slug)
    ).select_related("registered_model", "team", "trial", "created_by", "promotion_requested_by")
    found = versions.filter(stage=ModelVersion.Stage.PRODUCTION) if number is None else versions.filter(number=number)
    return found.order_by("team__name").first()


def version_get_by_id(*, user: User, version_id: int) -> ModelVersion | None:
    if not user.is_authenticated:
        return None
    return ModelVersion.objects.filter(pk=version_id, team_id__in=team_ids_for_user(user=user)).first()


def stage_history(*, version: ModelVersion) -> QuerySet[StageChange]:
    return StageChange.objects.filter(version=version).select_related("user").order_by("created_at", "id")


def signal_list(*, version: ModelVersion) -> QuerySet[LiveSignal]:
    return LiveSignal.objects.filter(version=version).order_by("date")


def production_versions_on(*, key: str, team_id: int | None) -> QuerySet[ModelVersion]:
    """Production versions that trade the dataset `key` of a team (any team's, for shared data)."""
    versions = ModelVersion.objects.filter(
        stage=ModelVersion.Stage.PRODUCTION, status=ModelVersion.Status.READY, spec__data__symbol=key
    )
    return versions.filter(Q(team_id=team_id)) if team_id is not None else versions
