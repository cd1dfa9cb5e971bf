"""Helpers every app's REST shell shares: which team a request acts for."""

from rest_framework.exceptions import ValidationError

from .models import Team
from .selectors import team_for_user


def team_for_request(request) -> Team:
    """The team named by the request's `team` field (body, else query string), checked against the user's
    memberships, or the user's default team; a 400 naming the problem otherwise. Never trusts the slug alone."""
    slug = request.data.get("team") if isinstance(request.data, dict) else None
    slug = slug or request.query_params.get("team")
    team = team_for_user(user=request.user, slug=slug)
    if team is None:
        raise ValidationError({"team": f"you are not a member of team {slug!r}" if slug else "you belong to no team"})
    return team
