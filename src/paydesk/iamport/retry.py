"""When to send a request again, and after how long: pure decisions, no sleeping.

Reads (GET) are retried on what is likely to pass: no connection, no answer,
a 5xx.  Writes are retried only when the request provably never left
(``NotSent``); a write that may have reached i'mport is never resent here —
the caller gets ``OutcomeUnknown`` and reconciles (i'mport V1 has no
idempotency key).  Backoff is exponential with full jitter, bounded both in
attempts and by a deadline: ``total`` seconds after a call starts, it is over —
every attempt's timeouts are cut to the time left (``ClientCore``), and no wait
reaches past it.  A ``Retry-After`` (429, 503) is honoured when it fits.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import ForeignAnswer, IamportError, NotSent, OutcomeUnknown, RateLimited, ServerError
from .exchange import ApiRequest

__all__ = ["RetryPolicy", "retry_delay", "retryable"]


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of the retry loop.

    Attributes:
        attempts: total tries including the first (1 = never retry).
        base: backoff base in seconds; try ``n`` waits up to ``base * 2**(n-1)``.
        cap: the longest single wait, in seconds.
        total: the deadline of a whole call, in seconds, over all its attempts and
            waits (the token fetch, and the wait for another caller's, included).  With
            the default timeouts (read 30 s) a read that timed out once still gets a
            second attempt of up to 15 s.
    """

    attempts: int = 3
    base: float = 0.25
    cap: float = 4.0
    total: float = 45.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.base < 0 or self.cap < 0 or self.total <= 0:
            raise ValueError("retry bounds must be non-negative and attempts >= 1")


NO_RETRY = RetryPolicy(attempts=1)


def retryable(request: ApiRequest, error: IamportError) -> bool:
    """Whether ``error`` on ``request`` may be answered by sending it again.

    ``NotSent`` always; for a GET also ``OutcomeUnknown`` (a lost or unreadable
    answer, a read timeout), ``RateLimited`` and ``ServerError``.  Never an explicit
    refusal such as 400 or 404, nor a proxy's 403/404/redirect (``ForeignAnswer``),
    which the same request would meet again.
    """
    if isinstance(error, NotSent):
        return True
    if not request.safe:
        return False
    if isinstance(error, ForeignAnswer):
        return isinstance(error, RateLimited)
    return isinstance(error, OutcomeUnknown | ServerError)


def backoff(policy: RetryPolicy, attempt: int, rng: random.Random) -> float:
    """Full-jitter wait before try ``attempt + 1`` (``attempt`` counts from 1)."""
    ceiling = min(policy.cap, policy.base * 2 ** (attempt - 1))
    return rng.uniform(0.0, ceiling)


def retry_delay(
    policy: RetryPolicy,
    request: ApiRequest,
    error: IamportError,
    *,
    attempt: int,
    elapsed: float,
    rng: random.Random,
) -> float | None:
    """Seconds to wait before trying again, or None to give up and raise ``error``.

    Args:
        policy: the bounds.
        request: the request that failed.
        error: how it failed.
        attempt: how many tries were made so far (1 after the first).
        elapsed: seconds since the first try started.
        rng: source of the jitter (inject a seeded one in tests).

    A ``Retry-After`` the error carries is a lower bound of the wait; a wait that
    would end past the deadline (``policy.total``) is not made at all.
    """
    if attempt >= policy.attempts or not retryable(request, error):
        return None
    delay = backoff(policy, attempt, rng)
    hinted = getattr(error, "retry_after", None)
    if hinted is not None:
        delay = max(delay, hinted)
    if elapsed + delay >= policy.total:
        return None
    return delay
