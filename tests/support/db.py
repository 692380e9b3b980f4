"""Fresh, migrated databases for tests.

- SQLite: the migrations run once per session into a template file; each test
  gets its own copy (a real file, WAL and all).
- PostgreSQL: when ``PAYDESK_TEST_DATABASE_URL`` is set (e.g.
  ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``), a uniquely named
  database is created and migrated for the session, emptied before each test
  and dropped at the end. Without the variable those tests are skipped with a
  message (and CI, which sets ``PAYDESK_REQUIRE_POSTGRES``, fails them).

Tests that take ``database_url`` or ``database`` run once per backend; tests
that take ``any_store`` run on the in-memory fake too (the services' contract).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from paydesk.store import Database, async_url
from paydesk.store.migrate import upgrade
from paydesk.store.tables import metadata

POSTGRES_ENV = "PAYDESK_TEST_DATABASE_URL"
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]

T = TypeVar("T")


def in_thread(function: Callable[..., T], *args: Any) -> T:
    """Run ``function`` on a fresh thread: Alembic and admin SQL start their own event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args).result()


def run_async(coroutine: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return in_thread(lambda: asyncio.run(coroutine()))


async def _admin(base_url: str, *statements: str) -> None:
    engine = create_async_engine(async_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def empty_postgres(url: str) -> None:
    """Delete every row of every table (much faster than a new database per test)."""
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    run_async(lambda: _admin(url, f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "paydesk.db"
    in_thread(upgrade, f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a migrated PostgreSQL database that lives for this test session."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set: PostgreSQL tests skipped")
    name = f"paydesk_test_{uuid.uuid4().hex[:12]}"
    run_async(lambda: _admin(base, f'CREATE DATABASE "{name}"'))
    url = make_url(async_url(base)).set(database=name).render_as_string(hide_password=False)
    try:
        in_thread(upgrade, url)
        yield url
    finally:
        run_async(lambda: _admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated database of each backend in turn."""
    return _empty_database(request, tmp_path)


def _empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database of the backend ``request.param`` names."""
    if request.param == "sqlite":
        path = tmp_path / "paydesk.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    empty_postgres(url)
    return url


@pytest_asyncio.fixture(params=[pytest.param("memory", id="memory"), *BACKENDS])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    """An empty store of each kind in turn: the in-memory fake, SQLite, PostgreSQL."""
    if request.param == "memory":
        from tests.unit.services.fakes import InMemoryStore

        yield InMemoryStore()
        return
    db = Database(_empty_database(request, tmp_path))
    try:
        yield db
    finally:
        await db.dispose()


@pytest_asyncio.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A ``Database`` on the test's event loop; connections closed afterwards."""
    db = Database(database_url)
    try:
        yield db
    finally:
        await db.dispose()
