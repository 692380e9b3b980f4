"""Connections and transactions for SQLite (WAL) and PostgreSQL, behind one object.

SQLite: WAL so readers never wait for the writer, ``busy_timeout`` so a second
process waits for the write lock instead of failing, foreign keys on, and every
write transaction opened with ``BEGIN IMMEDIATE`` so it holds the write lock
from its first statement — a read-then-write can never be overtaken. Within
one process writers also queue on an asyncio lock, which is fairer and cheaper
than SQLite's sleep-and-retry busy handler.

PostgreSQL (asyncpg): READ COMMITTED with explicit row locks where it matters
(``SELECT ... FOR UPDATE``, ``FOR UPDATE SKIP LOCKED`` for jobs), and every statement
planned on each run, never from a generic plan made while its table was small
(``_postgres_hooks``).

Both: a pooled connection idle for ``PING_IDLE_SECONDS`` or more is pinged
before use, and replaced if the ping fails (the database restarted, a proxy
dropped it). One in steady use is not: a ping per checkout was a round trip
per transaction, two per confirm. On SQLite a statement makes one trip to
aiosqlite's thread, not four, a ``BEGIN`` goes with the first statement after it, and
the pool's rollback of a connection with no transaction open makes none
(``sqlite_driver``). A connection broken while in steady use fails its transaction
once, and SQLAlchemy then replaces the whole pool.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from . import sqlite_driver
from .errors import translate
from .unit_of_work import UnitOfWork

__all__ = ["Database", "async_url"]

_BEGIN_OPTION = "paydesk_sqlite_begin"
#: A pooled connection idle this long is pinged before use (see the module).
PING_IDLE_SECONDS = 1.0


def async_url(url: str) -> URL:
    """The URL with an async driver: ``sqlite://`` → aiosqlite, ``postgresql://`` → asyncpg."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(parsed.drivername)  # fmt: skip
    return parsed.set(drivername=driver) if driver else parsed


class Database:
    """An engine plus the two ways in: ``transaction()`` to write, ``reading()`` to read."""

    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 10_000) -> None:
        self.url = async_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database: {self.url.drivername}")
        self.engine = _engine(self.url, pool_size)
        _ping_when_idle(self.engine)
        if self.is_sqlite:
            _sqlite_hooks(self.engine, busy_timeout_ms)
        else:
            _postgres_hooks(self.engine)
        self._write_gate: asyncio.Lock | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        Database errors, in the block or at commit, come out as ``store.errors``.
        """
        async with _translated():
            if not self.is_sqlite:
                async with self.engine.begin() as connection:
                    yield UnitOfWork(connection, self.dialect)
                return
            async with self._gate(), self._sqlite_begin("IMMEDIATE") as connection:
                yield UnitOfWork(connection, self.dialect)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        """A read-only transaction: takes no write lock, rolled back when the block ends."""
        async with _translated(), self.engine.connect() as connection:
            if self.is_sqlite:
                connection = await connection.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
            yield UnitOfWork(connection, self.dialect)

    async def dispose(self) -> None:
        """Close every pooled connection (the engine stays usable)."""
        await self.engine.dispose()

    @asynccontextmanager
    async def _sqlite_begin(self, mode: str) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as connection:
            connection = await connection.execution_options(**{_BEGIN_OPTION: mode})
            async with connection.begin():
                yield connection

    def _gate(self) -> asyncio.Lock:
        if self._write_gate is None:
            self._write_gate = asyncio.Lock()
        return self._write_gate


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    """Re-raise database and driver errors as the store's own (``store.errors``)."""
    try:
        yield
    except Exception as error:
        translated = translate(error)
        if translated is None or translated is error:
            raise
        raise translated from error


def _engine(url: URL, pool_size: int) -> AsyncEngine:
    # hide_parameters: bound values (buyer e-mail, phone, address ...) never reach SQLAlchemy's
    # log lines or the text of its errors, whatever the log level
    options: dict[str, Any] = {"hide_parameters": True}
    if url.get_backend_name() == "postgresql":
        # no pool_pre_ping: a connection is pinged only after idling (``_ping_when_idle``)
        options.update(pool_size=pool_size, max_overflow=pool_size)
    elif url.get_driver_name() == "aiosqlite":
        options.update(module=sqlite_driver.dbapi())  # one thread trip per statement
    return create_async_engine(url, **options)


def _ping_when_idle(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine
    dialect = sync_engine.dialect

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["paydesk_idle_since"] = time.monotonic()

    @event.listens_for(sync_engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("paydesk_idle_since")  # None: connected just now
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool drops it and connects again
            raise DisconnectionError("pooled connection failed its ping") from error


def _postgres_hooks(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # asyncpg prepares every statement, and after five runs PostgreSQL may keep one
        # generic plan for it, made from the statistics of that moment. A table that
        # grows from empty in a rush (confirm_decisions, jobs) then keeps its sequential
        # scans: seen at 24,000 decisions, with the server's backend at 73 % of a core
        # and approvals at 950/s instead of 2,160/s. Planned each time, a lookup by key
        # uses its index whatever the table's size was when the statement was first run.
        # A SET, not a startup parameter, so PgBouncer (session mode) lets it through;
        # committed, or the pool's rollback would undo it.
        cursor = dbapi_connection.cursor()
        cursor.execute("SET plan_cache_mode = force_custom_plan")
        cursor.close()
        dbapi_connection.commit()


def _sqlite_hooks(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        # sent with the transaction's first statement (one trip fewer per transaction)
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        if not sqlite_driver.begin(connection.connection.dbapi_connection, mode):
            connection.exec_driver_sql(f"BEGIN {mode}")
