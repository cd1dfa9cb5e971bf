"""Reads about who belongs where; the one place that answers 'which teams can this user see'."""

from django.db.models import QuerySet
from django.http import Http404

from .models import Membership, Team, User


def team_list_for_user(*, user: User) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(memberships__user=user).order_by("name")


def membership_get(*, user: User, team: Team) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, team=team).first()


def default_team_for_user(*, user: User) -> Team | None:
    """The team a user works in when a request does not name one: their first by name."""
    return team_list_for_user(user=user).first()


def membership_for_user(*, user: User, slug: str | None) -> Membership | None:
    """The user's membership of the team a request means, with the team (one query): the one named by `slug` if
    the user belongs to it, else (no slug) their default team's, the first by name.

    None when the slug names a team the user is not in (or does not exist), or the user has no team at all.
    """
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.filter(user=user).select_related("team")
    if slug:
        memberships = memberships.filter(team__slug=slug)
    return memberships.order_by("team__name").first()


def team_for_user(*, user: User, slug: str | None) -> Team | None:
    """The team a request means (see membership_for_user)."""
    membership = membership_for_user(user=user, slug=slug)
    return membership.team if membership is not None else None


def team_for_user_or_404(*, user: User, slug: str) -> Team:
    """The team a URL names, if the user belongs to it; Http404 otherwise (another team's slug looks like none)."""
    team = team_for_user(user=user, slug=slug)
    if team is None:
        raise Http404("No such team.")
    return team


def team_ids_for_user(*, user: User, slug: str | None = None) -> list[int]:
    """The ids of the user's teams (only the one `slug` names, when given): one query, for filters that must be an
    equality on an index's first column rather than a subquery."""
    if not user.is_authenticated:
        return []
    memberships = Membership.objects.filter(user=user)
    if slug:
        memberships = memberships.filter(team__slug=slug)
    return list(memberships.order_by("team_id").values_list("team_id", flat=True))


def member_usernames(*, user: User) -> list[str]:
    """Usernames of everyone in the user's teams (the trial table's creator filter)."""
    teams = team_list_for_user(user=user)
    return list(
        User.objects.filter(memberships__team__in=teams)
        .order_by("username")
        .values_list("username", flat=True)
        .distinct()
    )


def user_can_write_somewhere(*, user: User) -> bool:
    """Whether the user may launch anything at all (an owner or member of some team, not only a viewer)."""
    return user.is_authenticated and user.memberships.exclude(role=Membership.Role.VIEWER).exists()
