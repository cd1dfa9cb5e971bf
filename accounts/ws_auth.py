"""WebSocket authentication: the session cookie, or `Authorization: Bearer <access>` on the handshake."""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def _user_from_token(raw_token: str):
    # Imported at the first Bearer handshake: the tokens module loads DRF's serializers (0.15 s of a web process's
    # start), which the URL conf loads anyway at the first API request.
    from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

    from .tokens import JWTAuthentication

    auth = JWTAuthentication()
    try:
        user = auth.get_user(auth.get_validated_token(raw_token))
    except (InvalidToken, TokenError, AuthenticationFailed):  # bad, expired, or the user is inactive: refused
        return AnonymousUser()
    # The memberships read with the user hold for one request; a socket's user lives as long as the connection,
    # and its consumers check the membership again at each event (a member removed meanwhile is cut off).
    user.memberships_loaded = None
    return user


def _bearer_token(scope) -> str | None:
    headers = dict(scope.get("headers") or [])
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    return authorization[7:].strip() if authorization.lower().startswith("bearer ") else None


class JWTHeaderAuthMiddleware:
    """Sets scope['user'] from a Bearer token when the handshake carries one; else leaves the session user."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        token = _bearer_token(scope)
        if token is not None:
            scope = dict(scope, user=await _user_from_token(token))
        return await self.inner(scope, receive, send)


class OriginCheckForCookies:
    """Browsers send cookies to any site's WebSocket, so a cookie-authenticated handshake must come from one of our
    hosts (Origin checked against ALLOWED_HOSTS). A Bearer token is never sent implicitly, so API clients that
    send one (and usually no Origin) skip the check."""

    def __init__(self, inner):
        self.inner = inner
        self.origin_checked = AllowedHostsOriginValidator(inner)

    async def __call__(self, scope, receive, send):
        if _bearer_token(scope) is not None:
            return await self.inner(scope, receive, send)
        return await self.origin_checked(scope, receive, send)


def WebSocketAuthStack(inner):  # noqa: N802 - named like Channels' AuthMiddlewareStack
    return OriginCheckForCookies(AuthMiddlewareStack(JWTHeaderAuthMiddleware(inner)))
