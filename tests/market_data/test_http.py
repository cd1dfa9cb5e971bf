"""The shared connector plumbing: rate limiter schedule, Retry-After parsing, key redaction."""

import logging
from datetime import UTC, datetime

import pytest

from market_data.http import RateLimiter, RedactKeysFilter, parse_retry_after, redact


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limiter_keeps_calls_a_minimum_interval_apart():
    clock = FakeClock()
    limiter = RateLimiter(5, sleep=clock.sleep, clock=clock)

    limiter.wait()  # first call goes at once
    clock.now += 3.0
    limiter.wait()  # 3 s later: waits the 9 s left of the 12 s interval
    clock.now += 20.0
    limiter.wait()  # long after: no wait

    assert clock.sleeps == [9.0]


def test_rate_limiter_spaces_back_to_back_calls_even_when_sleep_does_not_advance_time():
    sleeps: list[float] = []
    limiter = RateLimiter(60, sleep=sleeps.append, clock=lambda: 0.0)

    for _ in range(4):
        limiter.wait()

    assert sleeps == [1.0, 2.0, 3.0]


def test_rate_limiter_without_limit_never_sleeps():
    sleeps: list[float] = []
    limiter = RateLimiter(None, sleep=sleeps.append)

    for _ in range(3):
        limiter.wait()

    assert sleeps == []


def test_rate_limiter_rejects_a_non_positive_limit():
    with pytest.raises(ValueError, match="rate_limit_per_minute"):
        RateLimiter(0, sleep=lambda s: None)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), (" 2.5 ", 2.5), ("-3", 0.0), ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0), ("soon", None), (None, None)],
)
def test_retry_after_accepts_seconds_and_http_dates(header, seconds):
    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)

    assert parse_retry_after(header, now=now) == seconds


def test_redact_masks_key_parameters_and_known_secrets():
    text = "GET /x?apiKey=abc123&series_id=AAA&api_key=def456 failed for key s3cr3t/+"

    assert redact(text, ["s3cr3t/+"]) == "GET /x?apiKey=***&series_id=AAA&api_key=*** failed for key ***"


def test_log_filter_rewrites_records_that_carry_a_key():
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "HTTP Request: %s %s", ("GET", "/a?apiKey=k1"), None)

    RedactKeysFilter().filter(record)

    assert record.getMessage() == "HTTP Request: GET /a?apiKey=***"
