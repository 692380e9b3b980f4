"""Engines and transactions: SQLite pragmas, single-writer safety, migrations."""

from __future__ import annotations

import asyncio
import io
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from paydesk.core.money import Money
from paydesk.store import Database, async_url
from paydesk.store.migrate import alembic_config
from paydesk.store.tables import metadata
from tests.support.db import in_thread

NOW = datetime(2030, 1, 1, tzinfo=UTC)


def test_async_url_picks_async_drivers() -> None:
    assert async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert async_url("postgresql://u@h/d").drivername == "postgresql+asyncpg"
    assert async_url("postgres://u@h/d").drivername == "postgresql+asyncpg"
    assert async_url("postgresql+asyncpg://u@h/d").drivername == "postgresql+asyncpg"
    with pytest.raises(ValueError, match="unsupported"):
        Database("mysql+aiomysql://u@h/d")


@pytest.mark.asyncio
async def test_migrations_match_the_tables(database: Database) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    async with database.reading() as uow:
        assert await uow.connection.run_sync(differences) == []
        names = await uow.connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {t.name for t in metadata.sorted_tables} <= names


@pytest.mark.asyncio
async def test_downgrade_and_upgrade_again(database: Database, database_url: str) -> None:
    await database.dispose()
    config = alembic_config(database_url)
    await asyncio.to_thread(in_thread, command.downgrade, config, "base")
    async with database.reading() as uow:
        names = await uow.connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert names <= {"alembic_version"}
    await database.dispose()
    await asyncio.to_thread(in_thread, command.upgrade, config, "head")
    async with database.transaction() as uow:
        await uow.products.add(sku="a", name="A", price=Money(1), stock=1, on_sale=True, now=NOW)


@pytest.mark.asyncio
async def test_a_refund_waiting_for_its_account_keeps_waiting_across_0012(
    database: Database, database_url: str
) -> None:
    await database.dispose()
    config = alembic_config(database_url)
    await asyncio.to_thread(in_thread, command.downgrade, config, "0011")
    async with database.transaction() as uow:
        await uow.connection.execute(
            text("INSERT INTO refunds (imp_uid, amount, currency, reason, state, created_at, "
                 "updated_at) VALUES ('imp_1', 1000, 'KRW', 'r', 'needs_input', :at, :at)"),
            {"at": NOW},
        )  # fmt: skip
    await database.dispose()
    await asyncio.to_thread(in_thread, command.upgrade, config, "head")
    async with database.reading() as uow:
        states = (await uow.connection.execute(text("SELECT state FROM refunds"))).scalars().all()
    assert states == ["needs_refund_account"]
    await database.dispose()
    await asyncio.to_thread(in_thread, command.downgrade, config, "0011")
    async with database.reading() as uow:
        states = (await uow.connection.execute(text("SELECT state FROM refunds"))).scalars().all()
    assert states == ["needs_input"]
    await database.dispose()
    await asyncio.to_thread(in_thread, command.upgrade, config, "head")


@pytest.mark.asyncio
async def test_a_refund_parked_for_the_phone_waits_for_the_phone_after_0015(
    database: Database, database_url: str
) -> None:
    """Only the rows our rules parked for ``refund_tel`` move; one waiting for an account
    stays, and the downgrade brings both back to the state 0014 knew."""
    await database.dispose()
    config = alembic_config(database_url)
    await asyncio.to_thread(in_thread, command.downgrade, config, "0014")
    async with database.transaction() as uow:
        for uid, error in (("imp_1", "refund_tel: smartro needs refund_tel with every cancel."),
                           ("imp_2", "refund_account: A virtual-account refund needs ...")):  # fmt: skip
            await uow.connection.execute(
                text("INSERT INTO refunds (imp_uid, amount, currency, reason, state, last_error,"
                     " created_at, updated_at) VALUES (:uid, 1000, 'KRW', 'r',"
                     " 'needs_refund_account', :error, :at, :at)"),
                {"uid": uid, "error": error, "at": NOW},
            )  # fmt: skip
    states = text("SELECT state FROM refunds ORDER BY imp_uid")
    await database.dispose()
    await asyncio.to_thread(in_thread, command.upgrade, config, "head")
    async with database.reading() as uow:
        after = (await uow.connection.execute(states)).scalars().all()
    assert after == ["needs_refund_tel", "needs_refund_account"]
    await database.dispose()
    await asyncio.to_thread(in_thread, command.downgrade, config, "0014")
    async with database.reading() as uow:
        before = (await uow.connection.execute(states)).scalars().all()
    assert before == ["needs_refund_account", "needs_refund_account"]
    await database.dispose()
    await asyncio.to_thread(in_thread, command.upgrade, config, "head")


@pytest.mark.asyncio
async def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(
    sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "p.db"
    shutil.copyfile(sqlite_template, path)
    database = Database(f"sqlite:///{path}")
    try:
        async with database.reading() as uow:
            pragmas = {
                name: (await uow.connection.execute(text(f"PRAGMA {name}"))).scalar_one()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
    finally:
        await database.dispose()
    assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10_000}


@pytest.mark.asyncio
async def test_a_failed_block_rolls_back(database: Database) -> None:
    async def doomed() -> None:
        async with database.transaction() as uow:
            await uow.products.add(
                sku="a", name="A", price=Money(1), stock=1, on_sale=True, now=NOW
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await doomed()
    async with database.reading() as uow:
        assert await uow.products.listing() == []


@pytest.mark.asyncio
async def test_read_modify_write_from_two_engines_never_loses_an_update(database_url: str) -> None:
    """Two engines stand for two processes: read-then-write increments must all land."""
    first, second = Database(database_url), Database(database_url)
    try:
        async with first.transaction() as uow:
            product = await uow.products.add(
                sku="c", name="C", price=Money(1), stock=0, on_sale=True, now=NOW
            )

        async def bump(db: Database) -> None:
            async with db.transaction() as uow:
                current = await uow.products.get(product.id, lock=True)
                assert current is not None
                await asyncio.sleep(0)  # let the other writer try to interleave
                await uow.products.change(
                    product.id, {"stock_available": current.stock.available + 1}, NOW
                )

        await asyncio.gather(*(bump(db) for _ in range(10) for db in (first, second)))
        async with first.reading() as uow:
            final = await uow.products.get(product.id)
        assert final is not None and final.stock.available == 20
    finally:
        await first.dispose()
        await second.dispose()


@pytest.mark.asyncio
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # SQLite: a file, no server
async def test_a_pooled_connection_killed_while_idle_is_replaced_before_use(
    database: Database, database_url: str
) -> None:
    pooled = Database(database_url)
    backend = text("SELECT pg_backend_pid()")
    try:
        async with pooled.reading() as uow:
            pid = (await uow.connection.execute(backend)).scalar()
        async with database.reading() as other:  # as a restart or a dropped proxy would
            await other.connection.execute(text(f"SELECT pg_terminate_backend({int(pid)})"))
        await asyncio.sleep(1.2)  # idle past PING_IDLE_SECONDS: pinged, found dead, replaced
        async with pooled.reading() as uow:
            assert (await uow.connection.execute(backend)).scalar() not in (None, pid)
    finally:
        await pooled.dispose()


@pytest.mark.asyncio
async def test_postgres_plans_every_statement_on_every_connection(postgres_database: str) -> None:
    """No generic plan from a table's first, empty moments (``database._postgres_hooks``):
    on every pooled connection, after commits and rollbacks alike."""
    database = Database(postgres_database, pool_size=2)
    try:
        seen = []
        for _ in range(3):
            async with database.reading() as uow:  # ends in a rollback
                seen.append((await uow.connection.execute(text("SHOW plan_cache_mode"))).scalar())
            async with database.transaction() as uow:
                seen.append((await uow.connection.execute(text("SHOW plan_cache_mode"))).scalar())
        async with database.reading() as one, database.reading() as two:  # two connections
            for uow in (one, two):
                seen.append((await uow.connection.execute(text("SHOW plan_cache_mode"))).scalar())
        assert seen == ["force_custom_plan"] * 8
    finally:
        await database.dispose()


def test_the_jobs_index_is_swapped_concurrently_on_postgres() -> None:
    """0014 never holds the lock that stops inserts into ``jobs`` while it builds."""
    config = alembic_config("postgresql://migrations@nowhere/paydesk")
    for revisions in ("0013:0014", "0014:0013"):
        config.output_buffer = buffer = io.StringIO()
        step = command.upgrade if revisions.startswith("0013") else command.downgrade
        step(config, revisions, sql=True)
        ddl = [line for line in buffer.getvalue().splitlines() if "INDEX" in line]
        assert len(ddl) == 3 and all("INDEX CONCURRENTLY" in line for line in ddl), ddl


@pytest.mark.asyncio
async def test_an_interrupted_concurrent_index_build_can_be_run_again(
    postgres_database: str,
) -> None:
    """A concurrent build cut short leaves an invalid index of the new name behind and
    0014 unrecorded: running the migration again replaces that index."""
    config = alembic_config(postgres_database)
    database = Database(postgres_database)
    try:
        await asyncio.to_thread(in_thread, command.downgrade, config, "0013")
        async with database.transaction() as uow:  # what the cut-short run left
            await uow.connection.execute(
                text("CREATE INDEX ix_jobs_state_run_at_id ON jobs (state)")
            )
        await database.dispose()
        await asyncio.to_thread(in_thread, command.upgrade, config, "head")
        async with database.reading() as uow:
            indexes = await uow.connection.run_sync(
                lambda c: {i["name"]: i["column_names"] for i in inspect(c).get_indexes("jobs")}
            )
        assert indexes["ix_jobs_state_run_at_id"] == ["state", "run_at", "id"]
        assert "ix_jobs_state_run_at" not in indexes
    finally:
        await database.dispose()
        await asyncio.to_thread(in_thread, command.upgrade, config, "head")
