"""The admin console's access rules: usernames, passwords, session lifetimes, the login limit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from paydesk.core.staff import (
    InvalidCredentialsShape,
    LoginLimit,
    SessionPolicy,
    check_password_shape,
    normalize_username,
    session_digest,
)

T0 = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("text", "name"), [(" Admin ", "admin"), ("kim.ops@shop", "kim.ops@shop"),
                                            ("a-b_c", "a-b_c")])  # fmt: skip
def test_usernames_are_trimmed_and_lower_case(text: str, name: str) -> None:
    assert normalize_username(text) == name


@pytest.mark.parametrize("text", ["", "ab", "x" * 65, "관리자", "a b c", "admin\x00", "a/b"])
def test_usernames_outside_the_rule_are_refused(text: str) -> None:
    with pytest.raises(InvalidCredentialsShape):
        normalize_username(text)


def test_passwords_need_12_to_1024_characters() -> None:
    check_password_shape("x" * 12)
    check_password_shape("비밀번호는열두글자이상입니다")
    check_password_shape("x" * 1024)
    for bad in ("", "x" * 11, "x" * 1025):
        with pytest.raises(InvalidCredentialsShape):
            check_password_shape(bad)


def test_a_session_ends_at_its_expiry_or_when_idle() -> None:
    policy = SessionPolicy(lifetime=timedelta(hours=2), idle=timedelta(minutes=30))
    expires = policy.expires(T0)
    assert expires == T0 + timedelta(hours=2)
    assert policy.alive(expires_at=expires, last_seen_at=T0, now=T0 + timedelta(minutes=29))
    assert not policy.alive(expires_at=expires, last_seen_at=T0, now=T0 + timedelta(minutes=30))
    late_seen = T0 + timedelta(hours=1, minutes=50)
    assert policy.alive(
        expires_at=expires, last_seen_at=late_seen, now=expires - timedelta(seconds=1)
    )
    assert not policy.alive(expires_at=expires, last_seen_at=late_seen, now=expires)


def test_last_seen_is_written_at_most_once_a_minute() -> None:
    policy = SessionPolicy()
    assert not policy.needs_touch(T0, T0 + timedelta(seconds=59))
    assert policy.needs_touch(T0, T0 + timedelta(seconds=60))


def test_the_login_limit_waits_for_the_oldest_counted_failure_to_leave_the_window() -> None:
    limit = LoginLimit(max_failures=3, window=timedelta(minutes=15))
    now = T0 + timedelta(minutes=10)
    newest_first = [T0 + timedelta(minutes=m) for m in (9, 5, 1)]
    assert limit.retry_after(newest_first[:2], now) == 0
    # the third newest failure (minute 1) leaves the window at minute 16: 6 minutes on
    assert limit.retry_after(newest_first, now) == 6 * 60
    assert limit.retry_after(newest_first, now + timedelta(minutes=6) - timedelta(seconds=0.5)) == 1
    assert limit.since(now) == now - timedelta(minutes=15)
    with pytest.raises(ValueError):
        LoginLimit(max_failures=0)


def test_only_a_digest_of_the_session_token_is_kept() -> None:
    digest = session_digest("token")
    assert len(digest) == 64 and "token" not in digest
    assert digest == session_digest("token") != session_digest("token2")
