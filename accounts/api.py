"""Helpers every app's REST shell shares: which team a request acts for, and how service errors become HTTP."""

from rest_framework import exceptions
from rest_framework.exceptions import ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from .models import Team
from .selectors import team_for_user
from .services import PermissionDenied


def team_for_request(request) -> Team:
    """The team named by the request's `team` field (body, else query string), checked against the user's
    memberships, or the user's default team; a 400 naming the problem otherwise. Never trusts the slug alone."""
    slug = request.data.get("team") if isinstance(request.data, dict) else None
    slug = slug or request.query_params.get("team")
    team = team_for_user(user=request.user, slug=slug)
    if team is None:
        raise ValidationError({"team": f"you are not a member of team {slug!r}" if slug else "you belong to no team"})
    return team


def exception_handler(exc, context):
    """DRF's handler, plus: a role check that failed in a service is a 403 carrying its reason."""
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc))
    return drf_exception_handler(exc, context)
