"""Teams' provider keys (encrypted at rest, owners only) and the clients opened with them.

A client's requests are spaced by a limiter kept in Redis per provider and key, so every web and worker process
using the same key shares one budget (market_data.ratelimit).
redis and httpx (with the HTTP clients) are imported when a client is opened, not with the web's imports."""

from __future__ import annotations

import hashlib
import logging
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings

from accounts.models import Team, User
from accounts.services import membership_require

from .. import providers
from ..crypto import decrypt_secret, encrypt_secret, mask_secret
from ..errors import DataSourceKeyMissing, FetchInvalid
from ..models import TeamApiKey
from ..providers import DataProvider
from ..providers.config import provider_config
from .access import KEY_MANAGERS

if TYPE_CHECKING:
    import redis

logger = logging.getLogger(__name__)

_MAX_KEY_LENGTH = 200


def provider_for(*, source: str) -> DataProvider:
    """The registered provider called `source`, else FetchInvalid naming the ones there are."""
    provider = providers.get(source)
    if provider is None:
        raise FetchInvalid({"source": f"must be {providers.sources_text()}, got {source!r}"})
    return provider


def team_api_key_set(*, team: Team, user: User, source: str, api_key: str) -> TeamApiKey:
    """Store (or replace) the team's key for a provider, encrypted; owners only. The key is never returned."""
    membership_require(user=user, team=team, roles=KEY_MANAGERS, action="change API keys")
    provider_for(source=source)
    api_key = (api_key or "").strip()
    if not api_key:
        raise FetchInvalid({"api_key": "is required"})
    if len(api_key) > _MAX_KEY_LENGTH or any(ch.isspace() for ch in api_key):
        raise FetchInvalid({"api_key": f"must be one word of at most {_MAX_KEY_LENGTH} characters"})
    encrypted = encrypt_secret(api_key, keys=settings.MLTRAINER_ENCRYPTION_KEYS)
    stored, _ = TeamApiKey.objects.update_or_create(
        team=team,
        source=source,
        defaults={"encrypted_key": encrypted, "hint": mask_secret(api_key), "created_by": user},
    )
    logger.info("team %s set its %s API key", team.slug, source)
    return stored


def team_api_key_delete(*, team: Team, user: User, source: str) -> bool:
    membership_require(user=user, team=team, roles=KEY_MANAGERS, action="change API keys")
    provider_for(source=source)
    deleted, _ = TeamApiKey.objects.filter(team=team, source=source).delete()
    if deleted:
        logger.info("team %s removed its %s API key", team.slug, source)
    return bool(deleted)


def api_key_for(*, team: Team, source: str) -> str:
    """The key to call `source` with for `team`: the team's own, else the server-wide one, else a clear error."""
    provider = provider_for(source=source)
    stored = TeamApiKey.objects.filter(team=team, source=source).values_list("encrypted_key", flat=True).first()
    if stored:
        return decrypt_secret(stored, keys=settings.MLTRAINER_ENCRYPTION_KEYS)
    server_key = provider_config(provider).api_key
    if server_key:
        return server_key
    raise DataSourceKeyMissing(
        f"No {provider.label} API key: a team owner can add one on the Data page (Team API keys) "
        f"or the operator can set {provider.key_setting}",
        source=provider.label,
    )


@cache
def _redis(url: str) -> redis.Redis:
    import redis

    # One connection pool per process (redis-py re-creates it in a forked child).
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def rate_limit_key(*, source: str, api_key: str) -> str:
    """The Redis key of the request schedule shared by everyone calling `source` with `api_key`.

    Providers count requests per key, so two teams with their own keys have separate budgets and teams using the
    server-wide key share one. The key is named by a digest, never by the key itself."""
    return f"mltrainer:ratelimit:{source}:{hashlib.sha256(api_key.encode()).hexdigest()[:32]}"


def provider_connect(*, team: Team, source: str) -> tuple[DataProvider, Any]:
    """The provider called `source` and a client for the team's key, rate-limited across all processes."""
    from ..http import RateLimiter
    from ..ratelimit import SharedRateLimiter

    provider = provider_for(source=source)
    api_key = api_key_for(team=team, source=source)
    config = provider_config(provider)
    per_minute = config.rate_limit_per_minute
    limiter = (
        SharedRateLimiter(
            client=_redis(settings.REDIS_URL),
            key=rate_limit_key(source=source, api_key=api_key),
            per_minute=per_minute,
            name=provider.label,
        )
        if per_minute
        else RateLimiter(None, sleep=lambda seconds: None)
    )
    client = provider.connect(
        api_key=api_key,
        base_url=config.base_url,
        timeout=float(settings.MARKET_DATA_TIMEOUT_SECONDS),
        max_retries=settings.MARKET_DATA_MAX_RETRIES,
        rate_limiter=limiter,
    )
    return provider, client
