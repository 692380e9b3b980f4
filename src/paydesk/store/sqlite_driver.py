"""aiosqlite with as few trips to its thread as the work allows.

aiosqlite runs SQLite on a thread of its own; every call is a trip there and
back, and the way back waits for the event loop to come round. A busy server
spent most of a confirm's time queued between such trips, not in SQLite. So:

- a statement makes one trip, not four: SQLAlchemy's aiosqlite adapter opens a
  cursor, executes, fetches and closes in separate trips; ``_run`` does all four
  on the thread and brings back the description, rows, row count and last row id;
- a transaction's ``BEGIN`` makes none of its own: ``begin`` notes it, and it goes
  with the transaction's first statement (so a write transaction's ``BEGIN
  IMMEDIATE`` still takes the write lock before its first read);
- a commit or rollback with no transaction open makes none (SQLite's own would do
  nothing): the pool's rollback after every commit was one;
- writes that need no answer may wait and go with the next statement (``defer``,
  used by ``store.driver.deferred_writes``): a confirm batch's five writes went
  in five trips, now in one.

An approval's trips went from fifteen to eight (``tests/integration/web/
test_confirm_statements.py`` pins them). Everything else (connecting, errors,
types, the SQL) is SQLAlchemy's own aiosqlite dialect: ``Database`` hands this
module to ``create_async_engine(module=...)`` in its place.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
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

__all__ = ["begin", "dbapi", "defer", "deferring", "flush", "run"]

#: What one statement brings back: description, rows, row count, last row id.
_Outcome = tuple[Any, list[Any], int, int | None]
#: A statement to send: its SQL, parameters, whether they are many rows' (executemany),
#: and what to check of its row count once it ran (a deferred write's, see ``defer``).
_Statement = tuple[str, Any, bool, Callable[[int], None] | None]


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


def _run_all(
    connection: sqlite3.Connection, begin: str | None, statements: Sequence[_Statement]
) -> list[_Outcome]:
    """On aiosqlite's thread: the transaction's ``BEGIN`` if it is still to be sent, then
    each statement in turn (the first error stops them)."""
    if begin is not None:
        connection.execute(f"BEGIN {begin}")
    return [_run(connection, sql, parameters, many) for sql, parameters, many, _ in statements]


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
        adapted: Any = self._adapt_connection  # a _Connection (declared as its base class)
        outcome = await _trip(adapted, (operation, parameters, many, None))
        assert outcome is not None
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = deque(rows)

    async def _async_soft_close(self) -> None:
        return None  # nothing stays open between trips

    def close(self) -> None:
        self._rows.clear()


class _Connection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection adapter, with a transaction's ``BEGIN`` sent on
    the trip of its first statement (``begin``), and no trip for a commit or rollback
    with no transaction open (SQLite's own would do nothing)."""

    __slots__ = ("deferring", "pending_begin", "queued")
    _cursor_cls = _Cursor  # type: ignore[assignment]  # a subclass of the declared one

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.pending_begin: str | None = None  # "BEGIN <mode>" not sent yet
        self.deferring = False  # writes that need no answer wait for the next trip (``defer``)
        self.queued: list[_Statement] = []  # such writes, not sent yet

    def commit(self) -> None:
        if self.queued:  # sent before the COMMIT, as they would have been one by one
            await_(_trip(self, None))
        self.pending_begin = None
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        self.pending_begin = None
        self.queued.clear()  # never sent: nothing of theirs to undo
        if self._in_transaction():
            super().rollback()

    def _in_transaction(self) -> bool:
        # read from the event loop's thread: sqlite3 allows it (no statement runs now:
        # SQLAlchemy ends a transaction only between statements)
        sqlite: sqlite3.Connection | None = self._connection._connection
        return sqlite is not None and sqlite.in_transaction


def begin(adapted: Any, mode: str) -> bool:
    """Begin a transaction on ``adapted`` (a connection of ``dbapi()``) with ``BEGIN
    <mode>``, sent on the same trip as its first statement; False if ``adapted`` is not
    one of ours (the caller then sends its ``BEGIN`` itself).

    The ``BEGIN`` of every transaction was a trip of its own to aiosqlite's thread, and
    so was the pool's rollback after every commit (a no-op there): three trips of a
    confirm's fifteen."""
    if not isinstance(adapted, _Connection):
        return False
    adapted.pending_begin = mode
    return True


async def _trip(adapted: _Connection, statement: _Statement | None) -> _Outcome | None:
    """One trip to aiosqlite's thread, behind SQLAlchemy's mutex: the transaction's
    ``BEGIN`` and the deferred writes, if any are still to be sent, then ``statement``
    (its outcome; None if there is none)."""
    connection: Any = adapted._connection  # an aiosqlite.Connection; _execute is untyped
    async with adapted._execute_mutex:
        begin, adapted.pending_begin = adapted.pending_begin, None
        statements, adapted.queued = adapted.queued, []
        if statement is not None:
            statements.append(statement)
        outcomes: list[_Outcome] = await connection._execute(
            _run_all, connection._conn, begin, statements
        )
    for (*_, check), (*_, count, _) in zip(statements, outcomes, strict=True):
        if check is not None:
            check(count)
    return outcomes[-1] if statement is not None else None


def defer(adapted: Any, operation: str, parameters: Any, *, many: bool = False,
          check: Callable[[int], None] | None = None) -> bool:  # fmt: skip
    """Queue a write that needs no answer on ``adapted`` (a connection of ``dbapi()``) if
    it is deferring writes (``store.driver.deferred_writes``): it goes to the database
    on the next trip, ahead of that trip's statement, or before the commit; a rollback
    drops it. ``check`` is then called with its row count (it may raise). False if the
    write was not queued: send it now."""
    if not isinstance(adapted, _Connection) or not adapted.deferring:
        return False
    adapted.queued.append((operation, parameters, many, check))
    return True


@contextmanager
def deferring(adapted: Any) -> Iterator[None]:
    """Within the block, ``defer`` queues writes on ``adapted`` (if it is one of ours)."""
    if not isinstance(adapted, _Connection):
        yield
        return
    was, adapted.deferring = adapted.deferring, True
    try:
        yield
    finally:
        adapted.deferring = was


async def flush(adapted: Any) -> None:
    """Send the writes queued on ``adapted`` (``defer``) now, if there are any."""
    if isinstance(adapted, _Connection) and adapted.queued:
        await _trip(adapted, None)


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
    outcome = await _trip(adapted, (operation, parameters, many, None))
    assert outcome is not None
    return outcome[1], outcome[2]


class _Dbapi(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI shim, handing out ``_Connection``s."""

    def connect(self, database: str, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        connection = _Sqlite(partial(sqlite3.connect, database, **kw), 64)  # aiosqlite.connect's
        connection._thread.daemon = True  # as SQLAlchemy's own: never blocks exit
        return _Connection(self, await_(connection))


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The module to pass as ``create_async_engine(..., module=dbapi())``."""
    return _Dbapi(aiosqlite, sqlite3)
