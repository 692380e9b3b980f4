"""``store.sqlite_driver``: one trip to aiosqlite's thread per statement, same answers as before.

What SQLAlchemy reads off a cursor (rows, ``description``, ``rowcount``,
``lastrowid``) must be what sqlite3 gave, and errors must keep their classes.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

from paydesk.store import Database, sqlite_driver


@pytest_asyncio.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    try:
        yield database
    finally:
        await database.dispose()


async def _trips(connection: AsyncConnection) -> list[Any]:
    """Count the calls queued on aiosqlite's thread from now on (its ``_execute``)."""
    raw = await connection.get_raw_connection()
    aio = raw.dbapi_connection._connection  # type: ignore[union-attr]
    seen: list[Any] = []
    queue = aio._execute

    async def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(function)
        return await queue(function, *args, **kwargs)

    aio._execute = counted
    return seen


@pytest.mark.asyncio
async def test_a_select_is_one_trip_with_its_rows_and_columns(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
        await connection.execute(text("INSERT INTO t (name) VALUES ('a'), ('b'), ('c')"))
        trips = await _trips(connection)
        result = await connection.execute(text("SELECT id, name FROM t ORDER BY id"))
        assert len(trips) == 1  # SQLAlchemy's own adapter: cursor, execute, fetchall, close
        assert list(result.keys()) == ["id", "name"]
        assert [tuple(row) for row in result] == [(1, "a"), (2, "b"), (3, "c")]


@pytest.mark.asyncio
async def test_row_counts_and_last_row_ids_come_back(database: Database) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER)"))
        inserted = await connection.execute(text("INSERT INTO t (n) VALUES (1)"))
        assert inserted.lastrowid == 1
        many = await connection.execute(text("INSERT INTO t (n) VALUES (:n)"),
                                        [{"n": 2}, {"n": 3}, {"n": 4}])  # fmt: skip
        assert many.rowcount == 3
        updated = await connection.execute(text("UPDATE t SET n = n + 10 WHERE n >= 3"))
        assert updated.rowcount == 2
        none = await connection.execute(text("UPDATE t SET n = 0 WHERE n = 999"))
        assert none.rowcount == 0
        returned = await connection.execute(text("DELETE FROM t WHERE n > 10 RETURNING n"))
        assert sorted(returned.scalars()) == [13, 14]


@pytest.mark.asyncio
async def test_errors_keep_their_classes_and_the_connection_stays_usable(
    database: Database,
) -> None:
    async with database.engine.connect() as connection:
        await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        await connection.execute(text("INSERT INTO t (id) VALUES (1)"))
        with pytest.raises(IntegrityError):
            await connection.execute(text("INSERT INTO t (id) VALUES (1)"))
        with pytest.raises(OperationalError):
            await connection.execute(text("SELECT nope FROM t"))
        assert (await connection.execute(text("SELECT count(*) FROM t"))).scalar() == 1


def test_a_connection_dropped_after_its_loop_closed_stops_its_thread_quietly() -> None:
    """What aiosqlite's ``__del__`` does to a connection the pool dropped unclosed, here
    after its loop was closed (a test's loop, a server's at exit): the thread must end
    without raising into the thread-exception hook (``sqlite_driver._Sqlite``)."""
    with _thread_exceptions() as raised, _closing_loop() as loop:
        connection = loop.run_until_complete(_opened())
        loop.close()
        connection.stop()
        connection._thread.join(5)
        assert not connection._thread.is_alive()
    assert raised == []


def test_a_statement_whose_loop_closed_while_it_ran_ends_quietly() -> None:
    """A task cancelled while its statement runs on the thread, then its loop closed (a
    test ends, a server stops): the answer has nowhere to go, and the thread goes on."""
    with _thread_exceptions() as raised, _closing_loop() as loop:
        connection = loop.run_until_complete(_opened())
        slow = loop.create_task(connection._execute(time.sleep, 0.3))
        loop.run_until_complete(asyncio.sleep(0.05))  # on the thread now
        slow.cancel()
        loop.run_until_complete(asyncio.gather(slow, return_exceptions=True))
        loop.close()
        time.sleep(0.4)  # the statement ends and answers a closed loop
        assert connection._thread.is_alive()  # still serving its queue
        connection.stop()
        connection._thread.join(5)
        assert not connection._thread.is_alive()
    assert raised == []


async def _opened() -> Any:
    return await sqlite_driver._Sqlite(partial(sqlite3.connect, ":memory:"), 64)


@contextmanager
def _thread_exceptions() -> Iterator[list[BaseException | None]]:
    raised: list[BaseException | None] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: raised.append(args.exc_value)
    try:
        yield raised
    finally:
        threading.excepthook = previous


@contextmanager
def _closing_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A loop made current, as a finished test leaves it (closed by the test)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        loop.close()
        asyncio.set_event_loop(None)
