"""API keys over a real database (SQLite and PostgreSQL): made once, stored as a hash."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from paydesk.core.api_keys import Scope, digest
from paydesk.core.clock import FixedClock
from paydesk.services.api_keys import ApiKeys
from paydesk.services.errors import InvalidKeyRequest, KeyNotFound
from paydesk.store import Database
from paydesk.store.tables import api_keys

pytestmark = pytest.mark.asyncio
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


async def _rows(database: Database) -> list[dict[str, object]]:
    async with database.reading() as uow:
        return [dict(r._mapping) for r in await uow.connection.execute(select(api_keys))]


async def test_a_key_works_until_revoked_and_only_its_digest_is_stored(
    database: Database, clock: FixedClock
) -> None:
    keys = ApiKeys(database, clock)
    made = await keys.create("back office", [Scope.READ, Scope.WRITE])
    assert made.record.scopes == {Scope.READ, Scope.WRITE}
    assert made.token not in repr(made)

    rows = await _rows(database)
    assert len(rows) == 1
    secret = made.token.rsplit("_", 1)[1]
    assert all(secret not in str(value) for value in rows[0].values())
    assert rows[0]["digest"] == digest(made.token)

    found = await keys.authenticate(made.token)
    assert found is not None and found.id == made.record.id
    assert found.scopes == {Scope.READ, Scope.WRITE}

    await keys.revoke(made.record.id)
    assert await keys.authenticate(made.token) is None
    listed = await keys.listing()
    assert [k.active for k in listed] == [False]


async def test_wrong_unknown_and_malformed_keys_are_refused(
    database: Database, clock: FixedClock
) -> None:
    keys = ApiKeys(database, clock)
    made = await keys.create("ci", [Scope.READ])
    prefix = made.record.prefix
    forged = f"pdk_{prefix}_{'A' * 43}"  # the right prefix, a guessed secret
    unknown = f"pdk_{'0' * 12}_{'A' * 43}"
    for text in (forged, unknown, "", "pdk_", made.token + "x", made.token.upper(), "\ud800"):
        assert await keys.authenticate(text) is None, text


async def test_use_is_recorded_at_most_once_a_minute(database: Database, clock: FixedClock) -> None:
    keys = ApiKeys(database, clock)
    made = await keys.create("ci", [Scope.READ])
    assert (await keys.listing())[0].last_used_at is None
    await keys.authenticate(made.token)
    assert (await keys.listing())[0].last_used_at == START
    clock.advance(30)
    await keys.authenticate(made.token)
    assert (await keys.listing())[0].last_used_at == START
    clock.advance(31)
    await keys.authenticate(made.token)
    assert (await keys.listing())[0].last_used_at == clock.now()


async def test_keys_need_a_name_and_a_scope(database: Database, clock: FixedClock) -> None:
    keys = ApiKeys(database, clock)
    with pytest.raises(InvalidKeyRequest):
        await keys.create("  ", [Scope.READ])
    with pytest.raises(InvalidKeyRequest):
        await keys.create("x" * 101, [Scope.READ])
    with pytest.raises(InvalidKeyRequest):
        await keys.create("ci", [])
    with pytest.raises(KeyNotFound):
        await keys.revoke(12345)
    assert await _rows(database) == []


async def test_revoking_twice_keeps_the_first_time(database: Database, clock: FixedClock) -> None:
    keys = ApiKeys(database, clock)
    made = await keys.create("ci", [Scope.REFUND])
    first = await keys.revoke(made.record.id)
    clock.advance(60)
    again = await keys.revoke(made.record.id)
    assert first.revoked_at == again.revoked_at == START
