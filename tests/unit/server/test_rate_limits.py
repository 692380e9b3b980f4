"""The per-source token bucket, on a clock the test moves."""

from __future__ import annotations

import pytest

from paydesk.web.rate_limits import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_steady_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(rate=2, burst=3, clock=clock)
    assert [limiter.admit("a").allowed for _ in range(4)] == [True, True, True, False]
    refused = limiter.admit("a")
    assert not refused.allowed and refused.retry_after == pytest.approx(0.5)
    assert refused.retry_after_header == "1"
    clock.now += 0.5
    assert limiter.admit("a").allowed
    assert not limiter.admit("a").allowed
    clock.now += 60  # refills up to the burst, no further
    assert [limiter.admit("a").allowed for _ in range(4)] == [True, True, True, False]


def test_sources_do_not_share_a_bucket() -> None:
    limiter = RateLimiter(rate=1, burst=1, clock=Clock())
    assert limiter.admit("203.0.113.1").allowed
    assert not limiter.admit("203.0.113.1").allowed
    assert limiter.admit("203.0.113.2").allowed


def test_a_flood_of_invented_sources_is_forgotten_oldest_first() -> None:
    limiter = RateLimiter(rate=1, burst=1, max_sources=100, clock=Clock())
    limiter.admit("first")
    for i in range(1000):
        limiter.admit(f"10.0.{i // 256}.{i % 256}")
    assert len(limiter._buckets) == 100
    assert limiter.admit("first").allowed  # forgotten: a fresh bucket


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate=0, burst=1)
    with pytest.raises(ValueError):
        RateLimiter(rate=1, burst=0)
