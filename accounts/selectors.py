"""Reads about who belongs where; the one place that answers 'which teams can this user see'."""

import functools

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from mltrainer_site.compiled_query import CompiledQuery

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


_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_MEMBERSHIP_FIELDS = [field.attname for field in Membership._meta.concrete_fields]
_TEAM_FIELDS = [field.attname for field in Team._meta.concrete_fields]


@functools.cache
def _membership_queries(vendor: str) -> tuple[CompiledQuery, CompiledQuery]:
    """membership_for_user's two queries (of the team a slug names; of the default team), compiled once per kind of
    database: every API request that acts for a team makes one, and building it through the ORM cost 0.3 ms."""
    user_hole, slug_hole = -(2**40) - 1, "\x00no-slug"  # no id is negative, no slug has a NUL
    rows = Membership.objects.filter(user_id=user_hole).order_by("team__name")
    rows = rows.values(*_MEMBERSHIP_FIELDS, *(f"team__{name}" for name in _TEAM_FIELDS))
    return (
        CompiledQuery(rows.filter(team__slug=slug_hole)[:1], (user_hole, slug_hole)),
        CompiledQuery(rows[:1], (user_hole,)),
    )


@functools.cache
def _user_with_memberships_query(vendor: str, id_field: str) -> CompiledQuery:
    """The user with each of their memberships and its team: one row per membership (the user's columns and nulls
    when there is none), by team name; compiled once per kind of database."""
    hole = -(2**40) - 1  # no id is negative
    rows = User.objects.filter(**{id_field: hole}).order_by("memberships__team__name")
    rows = rows.values(
        *_USER_FIELDS,
        *(f"memberships__{name}" for name in _MEMBERSHIP_FIELDS),
        *(f"memberships__team__{name}" for name in _TEAM_FIELDS),
    )
    return CompiledQuery(rows, (hole,))


def _membership_from(row: dict, prefix: str = "") -> Membership:
    membership = Membership.from_db(
        connection.alias, _MEMBERSHIP_FIELDS, [row[prefix + name] for name in _MEMBERSHIP_FIELDS]
    )
    membership.team = Team.from_db(
        connection.alias, _TEAM_FIELDS, [row[f"{prefix}team__{name}"] for name in _TEAM_FIELDS]
    )
    return membership


def user_with_memberships(*, id_field: str, value) -> User | None:
    """The user whose `id_field` is `value`, with their memberships and teams read in the same query (one query for
    a request's authentication and its team: membership_for_user then reads `user.memberships_loaded`). None when
    there is no such user."""
    rows = _user_with_memberships_query(connection.vendor, id_field).all(value)
    if not rows:
        return None
    user = User.from_db(connection.alias, _USER_FIELDS, [rows[0][name] for name in _USER_FIELDS])
    user.memberships_loaded = [
        _membership_from(row, "memberships__") for row in rows if row["memberships__id"] is not None
    ]
    for membership in user.memberships_loaded:
        membership.user = user
    return user


def membership_for_user(*, user: User, slug: str | None) -> Membership | None:
    """The user's membership of the team a request means, with the team (one query, or none when the user was read
    with their memberships, user_with_memberships): the one named by `slug` if the user belongs to it, else (no
    slug) their default team's, the first by name.

    None when the slug names a team the user is not in (or does not exist), or the user has no team at all.
    """
    if not user.is_authenticated:
        return None
    # str(): the slug comes from a request body, where it may be any JSON value (the ORM would have made it one).
    loaded = user.memberships_loaded
    if loaded is not None:
        if not slug:
            return loaded[0] if loaded else None
        return next((membership for membership in loaded if membership.team.slug == str(slug)), None)
    of_slug, of_default = _membership_queries(connection.vendor)
    row = of_slug.first(user.pk, str(slug)) if slug else of_default.first(user.pk)
    return None if row is None else _membership_from(row)


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
    """The ids of the user's teams (only the one `slug` names, when given): one query, or none when the user was
    read with their memberships (user_with_memberships); for filters that must be an equality on an index's first
    column rather than a subquery."""
    if not user.is_authenticated:
        return []
    if user.memberships_loaded is not None:
        return sorted(m.team_id for m in user.memberships_loaded if not slug or m.team.slug == str(slug))
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
