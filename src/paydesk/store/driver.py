"""The store's hottest statements, sent to the driver itself rather than through SQLAlchemy.

Every confirm reads decisions, orders, their lines and products by key, in batches that
are small whenever the server is not flooded (``services.confirm``). Through SQLAlchemy
Core such a statement costs its execution context, parameter and result processing and
a greenlet: 90–130 µs of CPU for a one-row select on the bench machine, against 16 µs
for asyncpg's own ``fetch`` on the same connection. Small batches pay that per
statement, and at an open rate of half the confirm's maximum the server ran out of CPU
on it (docs/benchmarks.md, "Why the p99 at half max missed").

So ``read`` sends a ``KeyedRead`` (columns of one table, selected by a list of keys)
straight to the driver, and keeps what SQLAlchemy guarantees:

- the same values: each column's result processor, from its own SQLAlchemy type on the
  connection's dialect, turns the driver's value into what a Core ``select`` returns
  (aware UTC datetimes, booleans and JSON on SQLite);
- the same transaction: on PostgreSQL the statement takes SQLAlchemy's adapter's mutex
  and starts its transaction if none is open, exactly as the adapter does before each
  of its own statements, so a ``FOR UPDATE`` lock is held until the unit of work ends;
  on SQLite it runs on aiosqlite's thread through the same mutex, inside the
  transaction ``Database`` began (``BEGIN IMMEDIATE`` for writes) or, in a read with
  nothing else begun yet, as a statement of its own (WAL: committed state);
- the same errors: driver errors come out as ``store.errors``;
- a trace: each statement is logged at DEBUG (its SQL and how many keys, never the keys).

The confirm's writes go the same way (``insert``, ``update``, ``move``: holds, orders'
payment state, decisions, jobs, stock), their values through each column's bind processor.
On SQLite, inside ``deferred_writes``, those that need no answer wait and go to
aiosqlite's thread with the next statement that does: one trip for a batch's writes.
Everything else still goes through SQLAlchemy, where a statement's cost is small beside
its work.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Dialect, Integer, Table
from sqlalchemy.ext.asyncio import AsyncConnection

from . import sqlite_driver
from .errors import StoreError, StoreUnavailable, translate

__all__ = ["DriverRow", "KeyedRead", "deferred_writes", "insert", "move", "read", "update"]

log = logging.getLogger(__name__)


class DriverRow:
    """A row as ``read`` returns it: by column name, as an attribute or in ``_mapping``
    (what the records' ``from_row`` read of a SQLAlchemy ``Row``)."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: Mapping[str, Any]) -> None:
        self._mapping = mapping

    def __getattr__(self, name: str) -> Any:
        try:
            return self._mapping[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class KeyedRead:
    """``SELECT columns FROM their table WHERE key IN (keys) [ORDER BY order_by]``."""

    columns: tuple[Column[Any], ...]
    key: Column[Any]
    order_by: Column[Any] | None = None
    lock: bool = False  # FOR UPDATE (PostgreSQL; SQLite's write transaction locks it all)

    def __post_init__(self) -> None:
        ordered = () if self.order_by is None else (self.order_by,)
        tables = {c.table.name for c in (*self.columns, self.key, *ordered)}
        if len(tables) != 1:
            raise ValueError(f"a keyed read reads one table, not {sorted(tables)}")

    def sql(self, dialect: str, count: int) -> str:
        """The statement for ``count`` keys (PostgreSQL takes them as one array)."""
        return _keyed_sql(self, dialect, 1 if dialect == "postgresql" else count)


async def read(connection: AsyncConnection, query: KeyedRead, keys: Sequence[Any]) -> list[Any]:
    """The rows of ``query`` for ``keys`` (``DriverRow``), in the connection's transaction."""
    if not keys:
        return []
    dialect = connection.dialect
    sql = query.sql(dialect.name, len(keys))
    params = [list(keys)] if dialect.name == "postgresql" else list(keys)
    raw, _ = await _send(connection, sql, params, note=f"{len(keys)} keys", rows=True)
    names = [c.name for c in query.columns]
    processors = _results(query.columns, dialect)
    return [
        DriverRow({name: (p(value) if p else value)
                   for name, p, value in zip(names, processors, row, strict=True)})
        for row in raw
    ]  # fmt: skip


async def insert(
    connection: AsyncConnection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    ignore_conflicts: bool = False,
    returning: Column[Any] | None = None,
) -> list[Any]:
    """Insert ``rows`` (each with the same columns) into ``table``; with ``ignore_conflicts``
    a row that breaks a unique key is skipped (``ON CONFLICT DO NOTHING``, as
    ``dialects.insert_or_ignore``). Returns the ``returning`` values of the rows inserted."""
    if not rows:
        return []
    dialect = connection.dialect
    columns = tuple(table.c[name] for name in rows[0])
    binds = _binds(columns, dialect)
    values = [[p(row[c.name]) if p else row[c.name] for c, p in zip(columns, binds, strict=True)]
              for row in rows]  # fmt: skip
    names = ", ".join(c.name for c in columns)
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    head = f"INSERT INTO {table.name} ({names}) VALUES "
    if returning is None:  # one statement, sent for every row
        sql = head + _values(dialect.name, len(columns), 1) + conflict
        await _write(connection, sql, values, note=f"{len(rows)} rows", many=True)
        return []
    # one statement for all rows, so every inserted row's value comes back
    width = len(columns)
    sql = head + _values(dialect.name, width, len(rows)) + f"{conflict} RETURNING {returning.name}"
    flat = [value for row in values for value in row]
    raw, _ = await _send(connection, sql, flat, note=f"{len(rows)} rows", rows=True)
    (process,) = _results((returning,), dialect)
    return [process(r[0]) if process else r[0] for r in raw]


async def update(
    connection: AsyncConnection, table: Table, key: Column[Any], rows: Sequence[Mapping[str, Any]]
) -> None:
    """``UPDATE table SET (the rows' other columns) WHERE key = row[key]`` for each row."""
    if not rows:
        return
    dialect = connection.dialect
    columns = tuple(table.c[name] for name in rows[0] if name != key.name)
    binds = _binds((*columns, key), dialect)
    values = [[p(row[c.name]) if p else row[c.name]
               for c, p in zip((*columns, key), binds, strict=True)] for row in rows]  # fmt: skip
    marks = _marks(dialect.name, len(columns) + 1)
    sets = ", ".join(f"{c.name} = {m}" for c, m in zip(columns, marks, strict=False))
    sql = f"UPDATE {table.name} SET {sets} WHERE {key.name} = {marks[-1]}"
    await _write(connection, sql, values, note=f"{len(rows)} rows", many=True)


async def move(
    connection: AsyncConnection,
    table: Table,
    key: tuple[Column[Any], Any],
    source: Column[Any],
    target: Column[Any],
    quantity: int,
    stamp: tuple[Column[Any], Any],
    short: Callable[[], StoreError],
) -> None:
    """``source -= quantity, target += quantity`` (and ``stamp``) on the row of ``key``, only
    if ``source`` holds ``quantity``; if it does not, ``short()`` is raised (when the move
    is sent: at once, or with the writes it was deferred with)."""
    dialect = connection.dialect
    (key_column, key_value), (stamp_column, stamp_value) = key, stamp
    (bind,) = _binds((stamp_column,), dialect)
    q, at, k = _marks(dialect.name, 3)
    sql = (f"UPDATE {table.name} SET {source.name} = {source.name} - {q}, "
           f"{target.name} = {target.name} + {q}, {stamp_column.name} = {at} "
           f"WHERE {key_column.name} = {k} AND {source.name} >= {q}")  # fmt: skip
    params = [quantity, bind(stamp_value) if bind else stamp_value, key_value]

    def moved(count: int) -> None:
        if count != 1:
            raise short()

    await _write(connection, sql, params, note="1 row", check=moved)


@asynccontextmanager
async def deferred_writes(connection: AsyncConnection) -> AsyncIterator[None]:
    """Within the block, on SQLite, the writes sent here that need no answer (``update``,
    ``move``, ``insert`` with nothing returned) wait and go to the database with the next
    statement that does (a read, an ``insert`` returning), in one trip to aiosqlite's
    thread; what is still waiting when the block ends is sent then. Their errors (a
    ``move``'s ``short`` among them) are raised by the statement they went with.

    A confirm batch writes holds, orders, stock, jobs and decisions: five trips, each
    waiting for the event loop to come round, made one. PostgreSQL sends each at once."""
    adapted = (await connection.get_raw_connection()).dbapi_connection
    with sqlite_driver.deferring(adapted):
        yield
    async with _translating():
        await sqlite_driver.flush(adapted)


#: Statements and processors are made once per shape: building them was a tenth of a
#: confirm's CPU once the statements themselves went to the driver.
_SHAPES = 512


@lru_cache(maxsize=_SHAPES)
def _keyed_sql(query: KeyedRead, dialect: str, count: int) -> str:
    columns, table, key = ", ".join(c.name for c in query.columns), query.key.table.name, query.key
    if dialect == "postgresql":
        array = "bigint[]" if isinstance(key.type, Integer) else "varchar[]"
        keys = f"= ANY($1::{array})"
    else:
        keys = f"IN ({', '.join('?' * count)})"
    order = "" if query.order_by is None else f" ORDER BY {query.order_by.name}"
    lock = " FOR UPDATE" if query.lock and dialect == "postgresql" else ""
    return f"SELECT {columns} FROM {table} WHERE {key.name} {keys}{order}{lock}"


@lru_cache(maxsize=_SHAPES)
def _results(
    columns: tuple[Column[Any], ...], dialect: Dialect
) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each column's result processor on ``dialect`` (as SQLAlchemy's own results use)."""
    return tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)


@lru_cache(maxsize=_SHAPES)
def _binds(
    columns: tuple[Column[Any], ...], dialect: Dialect
) -> tuple[Callable[[Any], Any] | None, ...]:
    """Each column's bind processor on ``dialect`` (as SQLAlchemy's own statements use)."""
    return tuple(c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns)


def _marks(dialect: str, count: int, start: int = 0) -> list[str]:
    """Numbered placeholders: ``$1`` (asyncpg), ``?1`` (SQLite)."""
    sign = "$" if dialect == "postgresql" else "?"
    return [f"{sign}{n}" for n in range(start + 1, start + count + 1)]


@lru_cache(maxsize=_SHAPES)
def _values(dialect: str, width: int, rows: int) -> str:
    """``VALUES`` placeholders for ``rows`` rows of ``width`` columns."""
    marks = _marks(dialect, width * rows)
    return ", ".join(f"({', '.join(marks[i : i + width])})" for i in range(0, len(marks), width))


async def _write(
    connection: AsyncConnection,
    sql: str,
    params: Sequence[Any],
    *,
    note: str,
    many: bool = False,
    check: Callable[[int], None] | None = None,
) -> None:
    """A write that needs no answer: deferred if the connection defers writes (SQLite in
    ``deferred_writes``), sent at once otherwise; ``check`` sees its row count."""
    adapted: Any = (await connection.get_raw_connection()).dbapi_connection
    if sqlite_driver.defer(adapted, sql, params, many=many, check=check):
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s (%s, deferred)", sql, note)
        return
    _, count = await _send(connection, sql, params, note=note, many=many, adapted=adapted)
    if check is not None:
        check(count)


async def _send(
    connection: AsyncConnection,
    sql: str,
    params: Sequence[Any],
    *,
    note: str,
    rows: bool = False,
    many: bool = False,
    adapted: Any = None,
) -> tuple[list[Any], int]:
    """Run one statement on the connection's driver (``adapted``, if the caller has it
    already): its rows (if ``rows``) and row count."""
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s (%s)", sql, note)
    async with _translating():
        if adapted is None:
            adapted = (await connection.get_raw_connection()).dbapi_connection
        if connection.dialect.name == "postgresql":
            outcome = await _postgres(adapted, sql, params, rows=rows, many=many)
        else:
            outcome = await sqlite_driver.run(adapted, sql, params, many=many)
    return outcome


@asynccontextmanager
async def _translating() -> AsyncIterator[None]:
    """A driver's own exceptions (not SQLAlchemy's, so not translated) as ``store.errors``."""
    try:
        yield
    except StoreError:
        raise
    except Exception as error:
        raise _store_error(error) from error


async def _postgres(
    adapted: Any, sql: str, params: Sequence[Any], *, rows: bool, many: bool
) -> tuple[list[Any], int]:
    """asyncpg, as SQLAlchemy's asyncpg adapter runs its own statements (its mutex; its
    transaction, started if none is)."""
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        driver = adapted._connection
        if many:
            await driver.executemany(sql, params)
            return [], -1
        if rows:
            found: list[Any] = await driver.fetch(sql, *params)
            return found, len(found)
        status: str = await driver.execute(sql, *params)  # "UPDATE 1"
    return [], int(status.rsplit(" ", 1)[-1])


def _store_error(error: Exception) -> StoreError:
    """``translate``'s answer; any other driver error means the database did not serve."""
    first = (str(error).splitlines() or [""])[0]
    return translate(error) or StoreUnavailable(f"{type(error).__name__}: {first}".rstrip(": "))
