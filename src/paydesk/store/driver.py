"""The store's hottest reads, sent to the driver itself rather than through SQLAlchemy.

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

Writes still go through SQLAlchemy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Dialect, Integer
from sqlalchemy.ext.asyncio import AsyncConnection

from . import sqlite_driver
from .errors import OutOfRange, StoreError, StoreUnavailable, translate

__all__ = ["DriverRow", "KeyedRead", "read"]

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
    _processors: dict[str, list[Callable[[Any], Any] | None]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        ordered = () if self.order_by is None else (self.order_by,)
        tables = {c.table.name for c in (*self.columns, self.key, *ordered)}
        if len(tables) != 1:
            raise ValueError(f"a keyed read reads one table, not {sorted(tables)}")

    @property
    def _head(self) -> str:
        table = self.key.table.name
        return (
            f"SELECT {', '.join(c.name for c in self.columns)} FROM {table} WHERE {self.key.name}"
        )

    def sql(self, dialect: str, count: int) -> str:
        """The statement for ``count`` keys (PostgreSQL takes them as one array)."""
        lock = " FOR UPDATE" if self.lock and dialect == "postgresql" else ""
        if dialect == "postgresql":
            array = "bigint[]" if isinstance(self.key.type, Integer) else "varchar[]"
            keys = f" = ANY($1::{array})"
        else:
            keys = f" IN ({', '.join('?' * count)})"
        order = "" if self.order_by is None else f" ORDER BY {self.order_by.name}"
        return f"{self._head}{keys}{order}{lock}"

    def processors(self, dialect: Dialect) -> list[Callable[[Any], Any] | None]:
        """Each column's result processor on ``dialect`` (as SQLAlchemy's own results use)."""
        found = self._processors.get(dialect.name)
        if found is None:
            found = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                     for c in self.columns]  # fmt: skip
            self._processors[dialect.name] = found
        return found


async def read(connection: AsyncConnection, query: KeyedRead, keys: Sequence[Any]) -> list[Any]:
    """The rows of ``query`` for ``keys`` (``DriverRow``), in the connection's transaction."""
    if not keys:
        return []
    dialect = connection.dialect
    sql = query.sql(dialect.name, len(keys))
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s (%d keys)", sql, len(keys))
    try:
        proxied = await connection.get_raw_connection()
        adapted: Any = proxied.dbapi_connection
        if dialect.name == "postgresql":
            raw = await _postgres(adapted, sql, list(keys))
        else:
            raw = await sqlite_driver.fetch(adapted, sql, list(keys))
    except StoreError:
        raise
    except Exception as error:  # a driver's own exception: not SQLAlchemy's, so not translated
        raise _store_error(error) from error
    names = [c.name for c in query.columns]
    processors = query.processors(dialect)
    return [
        DriverRow({name: (p(value) if p else value)
                   for name, p, value in zip(names, processors, row, strict=True)})
        for row in raw
    ]  # fmt: skip


async def _postgres(adapted: Any, sql: str, keys: list[Any]) -> list[Any]:
    """asyncpg's ``fetch``, as SQLAlchemy's asyncpg adapter runs its own statements."""
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        rows: list[Any] = await adapted._connection.fetch(sql, keys)
    return rows


def _store_error(error: Exception) -> StoreError:
    translated = translate(error)
    if translated is not None:
        return translated
    sqlstate = getattr(error, "sqlstate", None)
    first = (str(error).splitlines() or [""])[0]
    if isinstance(sqlstate, str) and sqlstate.startswith("22"):
        return OutOfRange(first)
    return StoreUnavailable(f"{type(error).__name__}: {first}" if first else type(error).__name__)
