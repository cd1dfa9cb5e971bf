"""WebSocket authentication: the session cookie, or `Authorization: Bearer <access>` on the handshake."""

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError


@database_sync_to_async
def _user_from_token(raw_token: str):
    auth = JWTAuthentication()
    try:
        return auth.get_user(auth.get_validated_token(raw_token))
    except (InvalidToken, TokenError):
        return AnonymousUser()


class JWTHeaderAuthMiddleware:
    """Sets scope['user'] from a Bearer token when the handshake carries one; else leaves the session user."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers") or [])
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization.lower().startswith("bearer "):
            scope = dict(scope, user=await _user_from_token(authorization[7:].strip()))
        return await self.inner(scope, receive, send)


def WebSocketAuthStack(inner):  # noqa: N802 - named like Channels' AuthMiddlewareStack
    return AuthMiddlewareStack(JWTHeaderAuthMiddleware(inner))
