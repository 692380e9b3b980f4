"""Connections and transactions for SQLite (WAL) and PostgreSQL, behind one object.

SQLite: WAL so readers never wait for the writer, ``busy_timeout`` so a second
process waits for the write lock instead of failing, foreign keys on, and every
write transaction opened with ``BEGIN IMMEDIATE`` so it holds the write lock
from its first statement — a read-then-write can never be overtaken. Within
one process writers also queue on an asyncio lock, which is fairer and cheaper
than SQLite's sleep-and-retry busy handler.

PostgreSQL (asyncpg): READ COMMITTED with explicit row locks where it matters
(``SELECT ... FOR UPDATE``, ``FOR UPDATE SKIP LOCKED`` for jobs).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .errors import translate
from .unit_of_work import UnitOfWork

__all__ = ["Database", "async_url"]

_BEGIN_OPTION = "paydesk_sqlite_begin"


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
        if self.is_sqlite:
            _sqlite_hooks(self.engine, busy_timeout_ms)
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
        # a server restart or an idle timeout drops pooled connections: test each on checkout
        # (SQLite has no server to lose; there the ping would only cost a round trip per use)
        options.update(pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)
    return create_async_engine(url, **options)


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
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")
