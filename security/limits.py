"""Rate limits on what costs money or fills the queue: coach messages (paid Anthropic calls) per user and per team,
trial and study submissions per user. Fixed windows counted in the shared cache (Redis), one atomic INCR each.

Shells call a check before the service; a check over its limit raises RateLimited, which the API answers as 429
with Retry-After (accounts.api.exception_handler) and pages as a 429 page (RateLimitMiddleware)."""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

from mltrainer_site.env import PERIODS, Rate

logger = logging.getLogger(__name__)


class RateLimited(Exception):
    def __init__(self, message: str, *, retry_after: int):
        self.retry_after = retry_after
        super().__init__(message)


def _hit(key: str, rate: Rate, now: float) -> int | None:
    """Count one hit in the current window; the seconds until it ends if the limit is passed, else None."""
    window = int(now // rate.seconds)
    cache_key = f"rate:{key}:{rate.seconds}:{window}"
    try:
        cache.add(cache_key, 0, timeout=rate.seconds + 1)
        count = cache.incr(cache_key)
    except Exception:  # noqa: BLE001 - a cache outage must not stop the site; the limit is off until it is back
        logger.warning("rate limit %s not applied: the cache is unreachable", key, exc_info=True)
        return None
    if count <= rate.count:
        return None
    return max(1, math.ceil((window + 1) * rate.seconds - now))


def _check(what: str, limits: list[tuple[str, str, Rate | None]]) -> None:
    now = time.time()
    for key, whose, rate in limits:
        if rate is None:
            continue
        wait = _hit(key, rate, now)
        if wait is not None:
            per = next(name for name, seconds in PERIODS.items() if seconds == rate.seconds)
            raise RateLimited(
                f"{whose} limit of {rate.count} {what} per {per} is reached; try again in {wait} s",
                retry_after=wait,
            )


def submission_check(*, user) -> None:
    """Before a trial or a study is submitted by a person (not by a study's own steps)."""
    _check("submissions", [(f"submit:user:{user.pk}", "your", settings.RATE_SUBMISSIONS_PER_USER)])


def coach_message_check(*, user, team) -> None:
    """Before a message to the coach (each is up to three paid Anthropic requests)."""
    _check(
        "coach messages",
        [
            (f"coach:user:{user.pk}", "your", settings.RATE_COACH_PER_USER),
            (f"coach:team:{team.pk}", f"team {team.name}'s", settings.RATE_COACH_PER_TEAM),
        ],
    )


class RateLimitMiddleware:
    """A page whose check raised RateLimited answers 429 with the reason (the API answers through DRF)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RateLimited):
            return None
        response = HttpResponse(f"{exception}\n", status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(exception.retry_after)
        return response
