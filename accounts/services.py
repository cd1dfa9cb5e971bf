"""Writes for users and teams."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from .models import Membership, Team, User


@transaction.atomic
def member_add(*, team_name: str, username: str, role: str, password: str | None) -> tuple[Membership, bool]:
    """Create the team and the user when missing, and give the user `role` in the team.

    Returns the membership and whether the user was created. A new user needs a password.
    """
    if role not in Membership.Role.values:
        raise ValueError(f"role must be one of {', '.join(Membership.Role.values)}, got {role!r}")
    team, _ = Team.objects.get_or_create(name=team_name, defaults={"slug": slugify(team_name) or "team"})
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        if not password:
            raise ValueError(f"user {username!r} does not exist yet, so a password is needed to create it")
        try:
            validate_password(password, user=User(username=username))  # AUTH_PASSWORD_VALIDATORS
        except ValidationError as exc:
            raise ValueError(f"password refused: {' '.join(exc.messages)}") from None
        user = User.objects.create_user(username=username, password=password)
    membership, _ = Membership.objects.update_or_create(user=user, team=team, defaults={"role": role})
    return membership, created


class PermissionDenied(Exception):
    """The user's role in the team does not allow the action (viewers read; some actions are for owners)."""


WRITERS = (Membership.Role.OWNER, Membership.Role.MEMBER)
OWNERS = (Membership.Role.OWNER,)


def membership_allows(*, membership: Membership | None, roles: tuple[str, ...] = WRITERS) -> bool:
    """The one role check: whether a membership (None: not a member) has one of `roles`. Pages use it to decide
    which forms to show; membership_require enforces it."""
    return membership is not None and membership.role in roles


def membership_require(
    *, user: User, team: Team, action: str, roles: tuple[str, ...] = WRITERS, membership: Membership | None = None
) -> Membership:
    """The user's membership of `team` if its role may do `action`, else PermissionDenied saying why.
    `membership`: the one the caller read in this request (accounts.api.membership_for_request), to not read it
    again; any other is ignored."""
    if membership is None or membership.user_id != user.pk or membership.team_id != team.pk:
        membership = Membership.objects.filter(user=user, team=team).first()
    if membership is None or not membership_allows(membership=membership, roles=roles):
        why = "viewers can only read" if roles == WRITERS else "only owners can"
        raise PermissionDenied(f"you cannot {action} in {team.name} ({why})")
    return membership


def user_preference_set(*, user: User, key: str, value) -> None:
    """Remember one of a person's page choices (e.g. the trial table's metric columns) on their account."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.preferences = {**(locked.preferences or {}), key: value}
        locked.save(update_fields=["preferences"])
    user.preferences = locked.preferences
