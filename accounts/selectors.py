"""Reads about who belongs where; the one place that answers 'which teams can this user see'."""

from django.db.models import QuerySet

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
