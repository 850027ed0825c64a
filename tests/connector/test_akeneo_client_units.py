"""Pieces of the client with their own arithmetic: rate cap, Retry-After, token renewal timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from connector.akeneo.auth import TokenManager
from connector.akeneo.client import _retry_after_seconds
from connector.akeneo.ratelimit import RateLimiter


class FakeClock:
    """Time that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_rate_cap_spaces_requests_evenly():
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(9):
        limiter.acquire()
        starts.append(clock.now)

    assert [round(b - a, 6) for a, b in zip(starts, starts[1:], strict=False)] == [0.25] * 8


def test_no_rate_cap_never_waits():
    clock = FakeClock()
    limiter = RateLimiter(None, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        limiter.acquire()
    assert clock.slept == []


def test_retry_after_accepts_seconds_and_http_dates():
    assert _retry_after_seconds("7") == 7.0
    assert _retry_after_seconds(None) is None
    assert _retry_after_seconds("soon") is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    assert 100 <= _retry_after_seconds(later) <= 120


def test_the_token_is_refreshed_before_it_expires_and_the_password_grant_is_the_fallback():
    clock = FakeClock()
    issued = iter(range(1, 100))
    seen_payloads = []

    def request_token(payload):
        seen_payloads.append(payload["grant_type"])
        n = next(issued)
        if payload["grant_type"] == "refresh_token" and payload["refresh_token"] == "r2":
            from connector.akeneo.errors import AkeneoAuthError

            raise AkeneoAuthError("refresh token revoked")
        return {"access_token": f"a{n}", "refresh_token": f"r{n}", "expires_in": 3600}

    tokens = TokenManager(request_token, "user", "pw", clock=clock)
    assert tokens.access_token() == "a1"
    clock.now += 3600 - 61  # still valid, outside the renewal margin
    assert tokens.access_token() == "a1"
    clock.now += 2  # inside the last minute: renew before the PIM would refuse it
    assert tokens.access_token() == "a2"
    clock.now += 3600
    assert tokens.access_token() == "a4"  # refresh r2 was refused, so the password grant took over
    assert seen_payloads == ["password", "refresh_token", "refresh_token", "password"]
