"""Retry decisions: what is retried, how long to wait, and the bounds."""

from __future__ import annotations

import random

import pytest

from paydesk.iamport.errors import BadRequest, NotSent, OutcomeUnknown, ServerError
from paydesk.iamport.exchange import ApiRequest
from paydesk.iamport.retry import RetryPolicy, backoff, retry_delay, retryable

GET = ApiRequest("payments.get", "GET", "/payments/imp_1")
POST = ApiRequest("payments.cancel", "POST", "/payments/cancel")
TOKEN = ApiRequest("users.get_token", "POST", "/users/getToken", auth=False, idempotent=True)


def server_error(request: ApiRequest) -> ServerError:
    return ServerError("503", write=not request.safe, http_status=503, code=-1)


def test_reads_are_retried_on_lost_answers_and_5xx_but_not_on_refusals() -> None:
    assert retryable(GET, NotSent("x"))
    assert retryable(GET, OutcomeUnknown("x", write=False))
    assert retryable(GET, server_error(GET))
    assert not retryable(GET, BadRequest("x", http_status=400, code=-1))


def test_writes_are_retried_only_when_provably_not_sent() -> None:
    assert retryable(POST, NotSent("x"))
    assert not retryable(POST, OutcomeUnknown("x", write=True))
    assert not retryable(POST, server_error(POST))


def test_get_token_counts_as_safe() -> None:
    assert retryable(TOKEN, OutcomeUnknown("x", write=False))


def test_full_jitter_stays_under_the_exponential_ceiling_and_the_cap() -> None:
    policy = RetryPolicy(attempts=10, base=0.5, cap=3.0, total=100)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (9, 3.0)]:
        waits = [backoff(policy, attempt, rng) for _ in range(200)]
        assert all(0.0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8  # jitter spreads over the whole range
        assert min(waits) < ceiling * 0.2


def test_attempts_bound() -> None:
    policy = RetryPolicy(attempts=3, base=0.1, cap=1, total=60)
    rng = random.Random(1)
    error = NotSent("x")
    assert retry_delay(policy, GET, error, attempt=1, elapsed=0, rng=rng) is not None
    assert retry_delay(policy, GET, error, attempt=2, elapsed=0, rng=rng) is not None
    assert retry_delay(policy, GET, error, attempt=3, elapsed=0, rng=rng) is None


def test_total_time_bound() -> None:
    policy = RetryPolicy(attempts=10, base=1.0, cap=1.0, total=5.0)
    rng = random.Random(3)
    assert retry_delay(policy, GET, NotSent("x"), attempt=1, elapsed=3.0, rng=rng) is not None
    assert retry_delay(policy, GET, NotSent("x"), attempt=1, elapsed=5.0, rng=rng) is None


def test_no_delay_for_what_is_not_retryable() -> None:
    rng = random.Random(0)
    lost = OutcomeUnknown("x", write=True)
    assert retry_delay(RetryPolicy(), POST, lost, attempt=1, elapsed=0, rng=rng) is None


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base=-1)
