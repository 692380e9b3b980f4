"""aiosqlite with one trip to its thread per statement, not four.

aiosqlite runs SQLite on a thread of its own; every call is a trip there and
back, and the way back waits for the event loop to come round. SQLAlchemy's
aiosqlite adapter makes four such trips per statement: open a cursor, execute,
fetch the rows, close the cursor. A confirm batch runs about fifteen statements,
so on a busy server it spent most of its time queued behind other requests
between trips, not in SQLite. Here one function on the thread does all four
and brings back the description, the rows, the row count and the last row id.

Everything else (connecting, transactions, errors, types, the SQL) is
SQLAlchemy's own aiosqlite dialect: ``Database`` hands this module to
``create_async_engine(module=...)`` in its place.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Sequence
from contextlib import suppress
from functools import partial
from typing import Any

import aiosqlite
from aiosqlite.core import _STOP_RUNNING_SENTINEL
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

__all__ = ["dbapi", "run"]

#: What one statement brings back: description, rows, row count, last row id.
_Outcome = tuple[Any, list[Any], int, int | None]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On aiosqlite's thread: the whole life of one cursor."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement runs, fetches and closes in one trip (``_run``)."""

    __slots__ = ("_description", "_lastrowid", "_rowcount", "arraysize")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]  # no aiosqlite cursor is kept
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self.arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._do(operation, parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._do(operation, seq_of_parameters, many=True)

    def _do(self, operation: Any, parameters: Any, *, many: bool) -> None:
        try:
            await_(self._trip(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        connection: Any = self._connection  # an aiosqlite.Connection; _execute is untyped
        async with self._adapt_connection._execute_mutex:
            outcome: _Outcome = await connection._execute(
                _run, connection._conn, operation, parameters, many
            )
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = deque(rows)

    async def _async_soft_close(self) -> None:
        return None  # nothing stays open between trips

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor  # type: ignore[assignment]  # a subclass of the declared one


class _Sqlite(aiosqlite.Connection):
    """aiosqlite's connection, whose thread never dies answering a loop that has closed.

    aiosqlite's thread hands every result back with ``call_soon_threadsafe`` on the
    caller's loop; if that loop closed meanwhile (a task cancelled while its statement
    ran, a connection the pool dropped unclosed and stopped from ``__del__``, a failed
    connect stopped without waiting), that call raises, and the thread dies raising
    into the process's thread-exception hook. Here every call and the stop hand their
    result back through ``_settle``, which gives up quietly on a closed loop: nobody is
    waiting for that answer any more.
    """

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")  # aiosqlite's own words (SQLAlchemy reads them)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        function = partial(fn, *args, **kwargs)

        def run() -> None:
            try:
                result = function()
            except BaseException as error:  # as aiosqlite's thread: everything goes back
                _settle(loop, future, error=error)
            else:
                _settle(loop, future, result)

        self._tx.put_nowait((None, run))
        return await future

    def stop(self) -> asyncio.Future[Any] | None:
        self._running = False
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:  # __del__ outside any loop: nobody will wait
            loop = None
        future = loop.create_future() if loop else None

        def close_and_stop() -> object:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
            if loop is not None and future is not None:
                _settle(loop, future, None)
            return _STOP_RUNNING_SENTINEL  # ends aiosqlite's thread

        self._tx.put_nowait((None, close_and_stop))
        return future


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[Any],
    result: Any = None,
    *,
    error: BaseException | None = None,
) -> None:
    """From aiosqlite's thread: resolve ``future`` on ``loop``, unless the loop is closed."""

    def resolve() -> None:
        if future.done():  # its awaiter was cancelled
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    with suppress(RuntimeError):  # the loop is closed: its awaiter is gone
        loop.call_soon_threadsafe(resolve)


async def run(
    adapted: Any, operation: str, parameters: Sequence[Any], *, many: bool = False
) -> tuple[list[Any], int]:
    """One statement on ``adapted`` (a connection of ``dbapi()``): its rows and row count,
    in one trip to aiosqlite's thread behind SQLAlchemy's own mutex (``store.driver``)."""
    connection = adapted._connection
    async with adapted._execute_mutex:
        outcome: _Outcome = await connection._execute(
            _run, connection._conn, operation, parameters, many
        )
    return outcome[1], outcome[2]


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI shim, handing out ``_Connection``s."""

    def connect(self, database: str, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = _Sqlite(partial(sqlite3.connect, database, **kw), 64)  # aiosqlite.connect's
        connection._thread.daemon = True  # as SQLAlchemy's own: never blocks exit
        return _Connection(self, await_(connection))  # type: ignore[arg-type]  # as SQLAlchemy


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The module to pass as ``create_async_engine(..., module=dbapi())``."""
    return _Dbapi(aiosqlite, sqlite3)
