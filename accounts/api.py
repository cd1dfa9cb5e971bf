"""Helpers every app's REST shell shares: which team a request acts for, and how service errors become HTTP."""

from django.contrib.auth.signals import user_logged_in
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from security.limits import RateLimited
from security.logins import lockout_response
from security.openapi import UNAUTHORIZED

from . import tokens
from .models import Membership, Team
from .selectors import membership_for_user
from .services import PermissionDenied


def membership_for_request(request) -> Membership:
    """The user's membership of the team named by the request's `team` field (body, else query string), or of the
    user's default team, with the team; a 400 naming the problem otherwise. Never trusts the slug alone."""
    slug = request.data.get("team") if isinstance(request.data, dict) else None
    slug = slug or request.query_params.get("team")
    membership = membership_for_user(user=request.user, slug=slug)
    if membership is None:
        raise ValidationError({"team": f"you are not a member of team {slug!r}" if slug else "you belong to no team"})
    return membership


def team_for_request(request) -> Team:
    """The team the request acts for (see membership_for_request)."""
    return membership_for_request(request).team


def exception_handler(exc, context):
    """DRF's handler, plus: a role check that failed in a service is a 403 carrying its reason."""
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc))
    elif isinstance(exc, RateLimited):
        exc = exceptions.Throttled(wait=exc.retry_after, detail=str(exc))
    return drf_exception_handler(exc, context)


class AutoSchema(SpectacularAutoSchema):
    """Components named after where a serializer lives: `TrialListCreateApi.InputSerializer` becomes
    `TrialListCreateApiInput`, so every view can call its own serializers InputSerializer and OutputSerializer."""

    def get_serializer_name(self, serializer, direction):
        return type(serializer).__qualname__.replace(".", "")


class JWTScheme(OpenApiAuthenticationExtension):
    """How the schema describes accounts.tokens.JWTAuthentication: a bearer JWT."""

    target_class = "accounts.tokens.JWTAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """The Output serializer of a LimitOffsetPagination page of `item`s (for @extend_schema)."""
    fields = {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    }
    return type(name, (serializers.Serializer,), fields)


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class TokenPairSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class TokenObtainApi(jwt_views.TokenObtainPairView):
    """POST username and password -> an access and a refresh token. A login refused by the failed-login lockout
    is a 429 (the same answer whether or not the password was right)."""

    serializer_class = tokens.TokenObtainPairSerializer

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField()
        password = serializers.CharField()

    @extend_schema(
        request=InputSerializer, responses={200: TokenPairSerializer, 401: UNAUTHORIZED, 429: DetailSerializer}
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.AuthenticationFailed:
            if getattr(request, "axes_locked_out", False):  # set by django-axes during authenticate()
                return lockout_response(request)
            raise
        except TokenError as exc:
            raise InvalidToken(exc.args[0]) from exc
        # As a page login does: clears the failed-login count (django-axes) and sets last_login.
        user_logged_in.send(sender=type(serializer.user), request=request, user=serializer.user)
        return Response(serializer.validated_data)


class TokenRefreshApi(jwt_views.TokenRefreshView):
    """POST a refresh token -> a new access and refresh token; the one sent is spent."""

    serializer_class = tokens.TokenRefreshSerializer

    class InputSerializer(serializers.Serializer):
        refresh = serializers.CharField()

    @extend_schema(request=InputSerializer, responses={200: TokenPairSerializer, 401: UNAUTHORIZED})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
