"""Staff users, sessions and the login limit over a real database (SQLite and PostgreSQL).

The service is the real ``StaffAccess``; most tests give it cheap argon2id
parameters (the hashing is argon2-cffi's, not ours to test), and one checks
that a hash made with other parameters is replaced at the next login.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from paydesk.core.clock import FixedClock
from paydesk.core.staff import LoginLimit, SessionPolicy, session_digest
from paydesk.services.errors import InvalidStaffRequest, LoginThrottled
from paydesk.services.staff import StaffAccess
from paydesk.store import Database
from paydesk.store.tables import metadata, staff_sessions, staff_users

pytestmark = pytest.mark.asyncio
START = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
PASSWORD = "a long enough passphrase"
CHEAP = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
SESSIONS = SessionPolicy(lifetime=timedelta(hours=2), idle=timedelta(minutes=30))
LIMIT = LoginLimit(max_failures=5, window=timedelta(minutes=15))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def staff(database: Database, clock: FixedClock) -> StaffAccess:
    return StaffAccess(database, clock, sessions=SESSIONS, limit=LIMIT, hasher=CHEAP)


async def _rows(database: Database, table: object = staff_users) -> list[dict[str, object]]:
    async with database.reading() as uow:
        return [dict(r._mapping) for r in await uow.connection.execute(select(table))]  # type: ignore[call-overload]


async def _everything(database: Database) -> str:
    """Every row of every table, as text."""
    texts = []
    async with database.reading() as uow:
        for table in metadata.sorted_tables:
            texts += [repr(tuple(r)) for r in await uow.connection.execute(select(table))]
    return "\n".join(texts)


async def test_a_user_is_kept_with_an_argon2id_hash_and_never_the_password(
    database: Database, staff: StaffAccess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    user = await staff.create_user(" Ops.Kim ", PASSWORD, lang="en")
    assert (user.username, user.lang) == ("ops.kim", "en")
    assert PASSWORD not in repr(user)
    [row] = await _rows(database)
    assert str(row["password_hash"]).startswith("$argon2id$")
    opened = await staff.log_in("OPS.KIM", PASSWORD, source="10.0.0.1")
    assert opened is not None and opened.user.id == user.id
    await staff.log_in("ops.kim", PASSWORD + "x", source="10.0.0.1")
    stored = await _everything(database)
    assert PASSWORD not in stored and opened.token not in stored
    assert PASSWORD not in caplog.text and opened.token not in caplog.text
    assert opened.token not in repr(opened) and opened.csrf_token not in repr(opened)


async def test_refused_users_say_which_rule(staff: StaffAccess) -> None:
    await staff.create_user("admin", PASSWORD)
    cases = {("admin", PASSWORD, "ko"): "duplicate", ("ADMIN ", PASSWORD, "ko"): "duplicate",
             ("ad", PASSWORD, "ko"): "username", ("kim", "short", "ko"): "password",
             ("kim", PASSWORD, "jp"): "lang"}  # fmt: skip
    for (name, password, lang), rule in cases.items():
        with pytest.raises(InvalidStaffRequest) as refused:
            await staff.create_user(name, password, lang=lang)
        assert refused.value.rule == rule, (name, rule)
    assert [u.username for u in await staff.users()] == ["admin"]


async def test_a_session_opens_resumes_and_closes(database: Database, staff: StaffAccess) -> None:
    await staff.create_user("admin", PASSWORD)
    assert await staff.log_in("admin", "wrong password!!", source="a") is None
    assert await staff.log_in("nobody", PASSWORD, source="a") is None
    opened = await staff.log_in("admin", PASSWORD, source="a")
    assert opened is not None and opened.expires_at == START + timedelta(hours=2)
    [row] = await _rows(database, staff_sessions)
    assert row["token_digest"] == session_digest(opened.token)
    resumed = await staff.resume(opened.token)
    assert resumed is not None and resumed.csrf_token == opened.csrf_token
    assert resumed.user.username == "admin"
    for bogus in (None, "", opened.token + "x", "x" * 500):
        assert await staff.resume(bogus) is None
    await staff.log_out(opened.token)
    assert await staff.resume(opened.token) is None
    assert await _rows(database, staff_sessions) == []


async def test_a_login_replaces_the_browsers_session(staff: StaffAccess) -> None:
    await staff.create_user("admin", PASSWORD)
    first = await staff.log_in("admin", PASSWORD, source="a")
    assert first is not None
    second = await staff.log_in("admin", PASSWORD, source="a", replacing=first.token)
    assert second is not None and second.token != first.token
    assert second.csrf_token != first.csrf_token
    assert await staff.resume(first.token) is None
    assert await staff.resume(second.token) is not None


async def test_sessions_end_when_idle_and_at_their_expiry(
    staff: StaffAccess, clock: FixedClock
) -> None:
    await staff.create_user("admin", PASSWORD)
    idle = await staff.log_in("admin", PASSWORD, source="a")
    busy = await staff.log_in("admin", PASSWORD, source="a")
    assert idle is not None and busy is not None
    for _ in range(5):  # a request every 20 minutes keeps one alive...
        clock.advance(20 * 60)
        assert await staff.resume(busy.token) is not None
    assert await staff.resume(idle.token) is None  # ...the other idled out long ago
    clock.advance(20 * 60 - 1)  # a second before the 2 h expiry
    assert await staff.resume(busy.token) is not None
    clock.advance(1)
    assert await staff.resume(busy.token) is None


async def test_five_failures_per_username_then_refused_even_with_the_password(
    staff: StaffAccess, clock: FixedClock
) -> None:
    await staff.create_user("admin", PASSWORD)
    for n in range(5):
        assert await staff.log_in("admin", f"guess number {n}", source=f"10.0.0.{n}") is None
        clock.advance(60)
    with pytest.raises(LoginThrottled) as throttled:
        await staff.log_in("admin", PASSWORD, source="10.9.9.9")
    # the first failure (at START) leaves the 15-minute window at START + 15 min
    assert throttled.value.retry_after == 10 * 60
    clock.advance(10 * 60)
    assert await staff.log_in("admin", PASSWORD, source="10.9.9.9") is not None


async def test_five_failures_from_one_address_then_refused_for_every_username(
    staff: StaffAccess, clock: FixedClock
) -> None:
    await staff.create_user("admin", PASSWORD)
    for n in range(5):
        assert await staff.log_in(f"user{n}", PASSWORD, source="203.0.113.7") is None
    with pytest.raises(LoginThrottled):
        await staff.log_in("admin", PASSWORD, source="203.0.113.7")
    assert await staff.log_in("admin", PASSWORD, source="198.51.100.1") is not None


async def test_a_good_login_forgets_the_usernames_failures(staff: StaffAccess) -> None:
    await staff.create_user("admin", PASSWORD)
    for n in range(4):
        await staff.log_in("admin", f"guess number {n}", source=f"s{n}")
    assert await staff.log_in("admin", PASSWORD, source="s9") is not None
    for n in range(4):
        await staff.log_in("admin", f"guess again {n}", source=f"t{n}")
    assert await staff.log_in("admin", PASSWORD, source="t9") is not None


async def test_the_limit_is_shared_by_server_processes(
    database_url: str, clock: FixedClock
) -> None:
    one, other = Database(database_url), Database(database_url)
    try:
        first = StaffAccess(one, clock, limit=LIMIT, hasher=CHEAP)
        second = StaffAccess(other, clock, limit=LIMIT, hasher=CHEAP)
        await first.create_user("admin", PASSWORD)
        for n in range(5):
            await (first if n % 2 else second).log_in("admin", f"guess number {n}", source=str(n))
        for service in (first, second):
            with pytest.raises(LoginThrottled):
                await service.log_in("admin", PASSWORD, source="elsewhere")
    finally:
        await one.dispose()
        await other.dispose()


async def test_a_hash_with_old_parameters_is_replaced_at_the_next_login(
    database: Database, staff: StaffAccess, clock: FixedClock
) -> None:
    await staff.create_user("admin", PASSWORD)
    [before] = await _rows(database)
    stronger = PasswordHasher(time_cost=2, memory_cost=128, parallelism=1)
    assert stronger.check_needs_rehash(str(before["password_hash"]))
    upgraded = StaffAccess(database, clock, hasher=stronger)
    assert await upgraded.log_in("admin", PASSWORD, source="a") is not None
    [after] = await _rows(database)
    assert after["password_hash"] != before["password_hash"]
    assert not stronger.check_needs_rehash(str(after["password_hash"]))
    assert after["last_login_at"] == START
    assert await upgraded.log_in("admin", PASSWORD, source="a") is not None


async def test_language_is_remembered(staff: StaffAccess) -> None:
    user = await staff.create_user("admin", PASSWORD)
    await staff.set_lang(user.id, "en")
    assert [u.lang for u in await staff.users()] == ["en"]
    with pytest.raises(InvalidStaffRequest):
        await staff.set_lang(user.id, "fr")
