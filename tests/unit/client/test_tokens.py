"""Token deadlines from i'mport's own clock difference, and the token cache."""

from __future__ import annotations

import pytest

from paydesk.iamport.models.token import Token
from paydesk.iamport.tokens import Grant, TokenCache, grant_for

ISSUED = {"access_token": "a" * 40, "now": 1_700_000_000, "expired_at": 1_700_001_800}


@pytest.mark.parametrize("local_sent_at", [0.0, 12_345.6, -18_000.0, 9e9])
def test_deadline_is_local_send_time_plus_server_lifetime(local_sent_at: float) -> None:
    grant = grant_for(Token.model_validate(ISSUED), local_sent_at)
    assert grant.deadline == local_sent_at + 1800
    assert grant.access_token == "a" * 40


def test_server_wall_clock_does_not_matter_only_the_difference() -> None:
    shifted = {**ISSUED, "now": 100, "expired_at": 400}
    assert grant_for(Token.model_validate(shifted), 50.0).deadline == 350.0


def test_usable_until_the_margin_before_the_deadline() -> None:
    grant = Grant("t", deadline=1000.0)
    assert grant.usable(939.9, margin=60)
    assert not grant.usable(940.0, margin=60)
    assert not grant.usable(1000.0, margin=0)


def test_token_needs_both_times() -> None:
    with pytest.raises(ValueError):
        Token.model_validate({**ISSUED, "now": 0})


def test_cache_is_keyed_and_invalidates_only_the_refused_token() -> None:
    cache = TokenCache()
    key = ("https://api.iamport.kr", "key")
    other = ("http://127.0.0.1:8099", "key")
    cache.put(key, Grant("old", 10.0))
    assert cache.get(other) is None
    cache.put(key, Grant("new", 20.0))
    cache.invalidate(key, "old")  # a late 401 for a token already replaced
    assert cache.get(key) == Grant("new", 20.0)
    cache.invalidate(key, "new")
    assert cache.get(key) is None
    assert cache.lock(key) is cache.lock(key)
    assert cache.lock(key) is not cache.lock(other)
