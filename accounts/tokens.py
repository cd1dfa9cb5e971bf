"""JWT rules on top of simplejwt: a token older than the user's last password change is refused, a refresh token
is used once (the first of concurrent uses wins, atomically), and a login lasts at most JWT_LOGIN_MAX_DAYS however
often it is refreshed (rotation carries the original login time, `auth_time`, and never extends past it)."""

import threading
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer as SimpleObtainSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import aware_utcnow, get_md5_hash_password

from .models import User
from .selectors import user_with_memberships


def _issued_before_password_change(user: User, token) -> bool:
    changed = user.password_changed_at
    # iat has whole seconds: a token issued in the same second as the change counts as after it.
    return changed is not None and int(token.get("iat", 0)) < int(changed.timestamp())


def _login_deadline(token) -> int:
    """The epoch second after which this login's tokens are refused, whatever their own expiry."""
    auth_time = int(token.get("auth_time", token.get("iat", 0)))
    return auth_time + int(timedelta(days=settings.JWT_LOGIN_MAX_DAYS).total_seconds())


VERIFIED_TOKENS_KEPT = 2048  # per process: a client sends the same access token with each request of its lifetime


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's (active user, valid signature), and not issued before a password change or past the login's
    absolute lifetime. Used by the API and by the WebSocket handshake. The user is read fresh on every request
    (a deactivation or a password change applies at the next one), with their memberships and teams, through one
    query compiled once: the membership a request acts through needs no query of its own.

    A token's signature and claims are checked once per process: the token a request presents again is the one
    verified before (same bytes, same claims), and only its expiry is checked again. Access tokens are not
    blacklisted (simplejwt blacklists refresh tokens), so nothing else could change their verdict."""

    _verified: dict[bytes, object] = {}
    _verified_lock = threading.Lock()

    def get_validated_token(self, raw_token):
        token = self._verified.get(raw_token)
        if token is not None:
            try:
                token.check_exp(current_time=aware_utcnow())  # type: ignore[attr-defined] # not its creation's
                return token
            except TokenError:
                pass  # expired: simplejwt's own check below says so
        token = super().get_validated_token(raw_token)
        with self._verified_lock:
            if len(self._verified) >= VERIFIED_TOKENS_KEPT:
                self._verified.clear()  # simplest bound: at worst every token is verified once more
            self._verified[raw_token] = token
        return token

    def get_user(self, validated_token):
        # simplejwt's get_user, but for the lookup (User.objects.get costs most of a request's authentication).
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user = user_with_memberships(id_field=api_settings.USER_ID_FIELD, value=user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed("The user's password has been changed.", code="password_changed")
        if _issued_before_password_change(user, validated_token):
            raise AuthenticationFailed("The token was issued before a password change: log in again.")
        if timezone.now().timestamp() >= _login_deadline(validated_token):
            raise AuthenticationFailed("The login has expired: log in again.")
        return user


class TokenObtainPairSerializer(SimpleObtainSerializer):
    @classmethod
    def get_token(cls, user):
        token = super().get_token(user)
        token["auth_time"] = token["iat"]
        return token


class TokenRefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)

    def validate(self, attrs):
        try:
            refresh = RefreshToken(attrs["refresh"])  # signature, expiry and blacklist
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
        user = User.objects.filter(**{api_settings.USER_ID_FIELD: refresh.get(api_settings.USER_ID_CLAIM)}).first()
        if user is None or not user.is_active:
            raise AuthenticationFailed("No active account found for the given token.", "no_active_account")
        if _issued_before_password_change(user, refresh):
            raise InvalidToken("The token was issued before a password change: log in again.")
        deadline = _login_deadline(refresh)
        if timezone.now().timestamp() >= deadline:
            raise InvalidToken("The login has expired: log in again.")
        with transaction.atomic():
            # The blacklist row is unique per token: of concurrent uses, exactly one creates it.
            _, first_use = refresh.blacklist()
            if not first_use:
                raise InvalidToken("Token is blacklisted")
            auth_time = int(refresh.get("auth_time", refresh["iat"]))
            refresh.set_jti()
            refresh.set_iat()
            refresh.set_exp()
            refresh["exp"] = min(refresh["exp"], deadline)
            refresh["auth_time"] = auth_time
            refresh.outstand()
        return {"access": str(refresh.access_token), "refresh": str(refresh)}
