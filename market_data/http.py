"""Shared HTTP behaviour of the data connectors: rate limiting, retries with backoff, error mapping, key redaction.

Polygon takes its key in an `Authorization: Bearer` header, as its official client sends it; FRED only accepts
one in the query string (`api_key`), so a FRED URL is a potential leak. Every message we build goes through
`redact` (which masks the client's key wherever it appears, and any apiKey/api_key query value), exceptions are
raised `from None` (httpx errors carry the request URL), and a filter on the `httpx` logger masks key parameters
in its "HTTP Request: GET ..." lines. httpx never logs header values.
"""

import email.utils
import logging
import math
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol
from urllib.parse import quote

import httpx

from .errors import DataSourceAuthError, DataSourceError, DataSourceNotFound, DataSourceRateLimited

logger = logging.getLogger(__name__)

REDACTED = "***"
_KEY_PARAM = re.compile(r"(?i)\b(api_?key)=[^&\s'\"#]*")
_MAX_PROVIDER_MESSAGE = 300


def redact(text: str, secrets: tuple[str, ...] | list[str] = ()) -> str:
    """`text` with every known secret and every apiKey/api_key query value replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED).replace(quote(secret, safe=""), REDACTED)
    return _KEY_PARAM.sub(rf"\1={REDACTED}", text)


class RedactKeysFilter(logging.Filter):
    """Masks apiKey/api_key query values in log records (httpx logs every request URL at INFO)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _install_log_filter() -> None:
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactKeysFilter) for f in httpx_logger.filters):
        httpx_logger.addFilter(RedactKeysFilter())


_install_log_filter()


@cache
def _ssl_context() -> ssl.SSLContext:
    # Building a context (loading the CA bundle) costs ~40 ms; build it once per process.
    return httpx.create_ssl_context()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
    return max(0.0, seconds) if math.isfinite(seconds) else None


class Limiter(Protocol):
    """Anything that blocks until the next request may go: RateLimiter here, or ratelimit.SharedRateLimiter."""

    def wait(self) -> None: ...


class RateLimiter:
    """Keeps requests of one client at least 60/per_minute seconds apart.

    Per client instance and per process only, for a client used on its own (a script, a test); the services give
    their clients a `market_data.ratelimit.SharedRateLimiter`, whose budget every worker shares. The lock also
    serialises threads sharing a client, which is what a limit means.
    """

    def __init__(
        self, per_minute: int | None, *, sleep: Callable[[float], None], clock: Callable[[], float] = time.monotonic
    ):
        if per_minute is not None and per_minute <= 0:
            raise ValueError("rate_limit_per_minute must be a positive number or None")
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._sleep = sleep
        self._clock = clock
        self._next_allowed: float | None = None
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self._clock()
            if self._next_allowed is not None and now < self._next_allowed:
                self._sleep(self._next_allowed - now)
                # Trust the schedule rather than the clock, so an injected (non-sleeping) sleep still spaces calls.
                now = self._next_allowed
            self._next_allowed = now + self.interval


@dataclass(frozen=True)
class Provider:
    """What differs between providers: their name, where the key is configured, and how they phrase errors."""

    name: str
    key_setting: str
    error_message: Callable[[Any], str | None]
    # Some providers signal a bad key with a status other than 401/403 (FRED answers 400).
    is_auth_failure: Callable[[int, str], bool] = field(default=lambda status, message: False)


class JsonHttpClient:
    """GETs JSON from one provider with rate limiting, bounded retries and errors that never contain the key.

    429 waits Retry-After (or backs off) and retries; timeouts, connection failures and 5xx back off
    (backoff_base * 2**attempt, capped) and retry; all share one budget of `max_retries` retries. 401/403 (and
    the provider's own bad-key answers) raise DataSourceAuthError at once; 404 DataSourceNotFound; other 4xx
    DataSourceError with the provider's message.

    The key travels in `auth_headers` or `auth_params` (added to every request, pagination links included) and is
    also given as `secret`, so that it is masked wherever it turns up. `rate_limiter`, when given, replaces the
    in-process spacing of `rate_limit_per_minute`.
    """

    def __init__(
        self,
        *,
        provider: Provider,
        base_url: str,
        secret: str,
        auth_params: Mapping[str, str] | None = None,
        auth_headers: Mapping[str, str] | None = None,
        timeout: float,
        max_retries: int,
        rate_limit_per_minute: int | None,
        rate_limiter: Limiter | None = None,
        sleep: Callable[[float], None],
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        retry_after_max: float = 120.0,
    ):
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        self.provider = provider
        self.base_url = httpx.URL(base_url.rstrip("/"))
        self.auth_params = dict(auth_params or {})
        self.auth_headers = dict(auth_headers or {})
        self.secrets = (secret,) if secret else ()
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self._sleep = sleep
        self._limiter = rate_limiter or RateLimiter(rate_limit_per_minute, sleep=sleep, clock=clock)

    def get(self, path_or_url: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a path under base_url, or an absolute URL on the same origin (a pagination link); returns JSON."""
        url = self._url(path_or_url).copy_merge_params({**(params or {}), **self.auth_params})
        shown = self._redact(url.raw_path.decode("ascii", "replace"))  # path and query, without the host
        name = self.provider.name
        attempts = self.max_retries + 1
        problem, last_status = "", None
        for attempt in range(attempts):
            self._limiter.wait()
            wait = self._backoff(attempt)
            try:
                # A connection per request: nothing to close or leak; the rate limit dwarfs the handshake.
                with httpx.Client(timeout=self.timeout, verify=_ssl_context(), follow_redirects=False) as client:
                    response = client.get(url, headers=self.auth_headers)
            except httpx.TimeoutException:
                problem, last_status = f"did not respond within {self.timeout:g} s", None
            except httpx.TransportError as exc:
                problem, last_status = f"could not be reached ({type(exc).__name__}: {self._redact(str(exc))})", None
            else:
                status = last_status = response.status_code
                if 200 <= status < 300:
                    return self._json(response, shown)
                message = self._provider_message(response)
                said = f" {name} said: {message}" if message else ""
                if status in (401, 403) or self.provider.is_auth_failure(status, message):
                    raise DataSourceAuthError(
                        f"{name} rejected the API key ({status}): check the team's {name} key in team settings "
                        f"or {self.provider.key_setting}.{said}",
                        source=name,
                        status=status,
                    )
                if status == 429:
                    problem = "kept answering 429 Too Many Requests"
                    retry_after = parse_retry_after(response.headers.get("Retry-After"))
                    if retry_after is not None and retry_after > self.retry_after_max:
                        raise DataSourceRateLimited(
                            f"{name} is rate-limiting us and asks to wait {retry_after:.0f} s; try again later.{said}",
                            source=name,
                            status=status,
                        )
                    if retry_after is not None:
                        wait = retry_after
                elif status >= 500:
                    problem = f"returned HTTP {status}" + (f" ({message})" if message else "")
                elif status == 404:
                    raise DataSourceNotFound(
                        f"{name} found nothing for {shown} (HTTP 404).{said}", source=name, status=status
                    )
                else:
                    raise DataSourceError(
                        f"{name} rejected the request (HTTP {status}).{said or ' ' + response.reason_phrase}",
                        source=name,
                        status=status,
                    )
            if attempt + 1 < attempts:
                logger.warning("%s %s on %s; retrying in %.1f s", name, problem, shown, wait)
                self._sleep(wait)
        error = DataSourceRateLimited if last_status == 429 else DataSourceError
        raise error(f"{name} {problem} on {attempts} attempt(s) for {shown}.", source=name, status=last_status)

    def _url(self, path_or_url: str) -> httpx.URL:
        if path_or_url.startswith("/"):
            return httpx.URL(str(self.base_url) + path_or_url)
        url = httpx.URL(path_or_url)
        # A pagination link gets our key (header or parameter) like any request; never send it to another host.
        if (url.scheme, url.host, url.port) != (self.base_url.scheme, self.base_url.host, self.base_url.port):
            raise DataSourceError(
                f"{self.provider.name} sent a link to another host ({url.host}); not following it.",
                source=self.provider.name,
            )
        return url

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_max, self.backoff_base * 2**attempt)

    def _json(self, response: httpx.Response, shown: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise DataSourceError(
                f"{self.provider.name} answered {shown} with a body that is not JSON (HTTP {response.status_code}).",
                source=self.provider.name,
                status=response.status_code,
            ) from None

    def _provider_message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        try:
            message = self.provider.error_message(body)
        except (AttributeError, TypeError):
            message = None
        return self._redact(str(message)[:_MAX_PROVIDER_MESSAGE]) if message else ""

    def _redact(self, text: str) -> str:
        return redact(text, self.secrets)
