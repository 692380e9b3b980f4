"""``store.driver``: statements sent to the driver do what SQLAlchemy's do, in its transaction.

Run against both databases. The confirm's reads (decisions, order states and lines,
products) go through ``read``, its writes through ``insert``, ``update`` and ``move``;
these tests hold them to Core statements with the same values (down to the bytes
stored), to the locks of ``FOR UPDATE`` on PostgreSQL, and to the store's errors.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert as core_insert
from sqlalchemy import select, text, update

from paydesk.core.confirm import Decision, Refusal
from paydesk.core.money import Money
from paydesk.core.orders import Order
from paydesk.core.stock import Line
from paydesk.store import Conflict, Database, NewDecision, StoreError, driver, sqlite_driver
from paydesk.store import decisions as decisions_module
from paydesk.store import orders as orders_module
from paydesk.store import products as products_module
from paydesk.store.driver import KeyedRead, read
from paydesk.store.tables import confirm_decisions, jobs, orders, products, stock_holds

NOW = datetime(2026, 12, 7, 9, 30, 15, 123456, tzinfo=UTC)

#: Every keyed read the store sends to the driver.
READS: dict[str, KeyedRead] = {
    "decisions": decisions_module._BY_IMP_UID,
    "order states": orders_module._CONFIRM_STATES,
    "locked order states": orders_module._LOCKED_STATES,
    "order lines": orders_module._LINES,
    "products": products_module._BY_ID,
    "locked products": products_module._LOCKED_BY_ID,
}


class _Short(StoreError):
    """What the tests' moves raise when the units are not there."""


async def _seed(database: Database) -> dict[str, list[Any]]:
    """Rows with every kind of value the reads meet (NULLs, JSON, booleans, instants)."""
    async with database.transaction() as uow:
        plain = await uow.products.add(sku="p1", name="한정판", price=Money(39000), stock=5,
                                       on_sale=True, now=NOW)  # fmt: skip
        quota = await uow.products.add(sku="p2", name="책", price=Money(12000), stock=0,
                                       on_sale=False, now=NOW, tax_free=True,
                                       card_quota=(2, 3))  # fmt: skip
        ids = []
        for uid, lines in (
            ("o1", [Line(plain.id, 2), Line(quota.id, 1)]),
            ("o2", [Line(plain.id, 1)]),
        ):
            order = Order.open(uid, Money(1000), lines, NOW + timedelta(hours=1))
            prices = {line.product_id: Money(1000) for line in lines}
            ids.append(await uow.orders.add(order, name="n", unit_prices=prices, buyer={"name": "김"},
                                            pay_method="card", pg=None, now=NOW))  # fmt: skip
        await uow.decisions.add_new([
            NewDecision(Decision("imp_1"), "o1", ids[0], {"imp_uid": "imp_1", "amount": 1000}),
            NewDecision(Decision("imp_2", Refusal.SOLD_OUT), "zz", None, {}),
        ], NOW)  # fmt: skip
    return {
        "decisions": ["imp_1", "imp_2", "imp_none"],
        "order states": ["o1", "o2", "o_none"],
        "locked order states": ["o2", "o1"],
        "order lines": [*ids, 99_999],
        "products": [quota.id, plain.id, 99_999],
        "locked products": [plain.id, quota.id],
    }


@pytest.mark.asyncio
async def test_each_read_gives_what_a_core_select_gives(database: Database) -> None:
    keys = await _seed(database)
    for name, query in READS.items():
        async with database.transaction() as uow:
            through_driver = await read(uow.connection, query, keys[name])
            core = select(*query.columns).where(query.key.in_(keys[name]))
            if query.order_by is not None:
                core = core.order_by(query.order_by)
            through_core = list(await uow.connection.execute(core))
        driver_rows = [dict(r._mapping) for r in through_driver]
        core_rows = [dict(r._mapping) for r in through_core]
        assert driver_rows == core_rows, name
        assert driver_rows, name  # the seed has rows for every read
        for mine, theirs in zip(driver_rows, core_rows, strict=True):
            assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in theirs.items()}
        if query.order_by is None:
            continue
        for row in through_driver:  # attribute access, as the repositories read rows
            assert getattr(row, query.key.name) == row._mapping[query.key.name]


@pytest.mark.asyncio
async def test_instants_come_back_aware_and_exact(database: Database) -> None:
    await _seed(database)
    async with database.reading() as uow:
        (row,) = await read(uow.connection, decisions_module._BY_IMP_UID, ["imp_2"])
    assert row.decided_at == NOW and row.decided_at.tzinfo is not None
    assert (row.order_id, row.reason, row.approved, row.request) == (
        None,
        Refusal.SOLD_OUT.value,
        False,
        {},
    )


@pytest.mark.asyncio
async def test_no_keys_reads_nothing(database: Database) -> None:
    async with database.reading() as uow:
        assert await read(uow.connection, products_module._BY_ID, []) == []


def test_a_keyed_read_reads_one_table() -> None:
    with pytest.raises(ValueError, match="one table"):
        KeyedRead((products.c.id,), orders.c.id)


@pytest.mark.asyncio
@pytest.mark.postgres
async def test_a_locked_read_first_in_a_transaction_holds_its_locks(postgres_database: str) -> None:
    """The adapter starts its transaction lazily; ``read`` must start it, or the lock of a
    ``FOR UPDATE`` sent first would end with its statement."""
    database, other = Database(postgres_database), Database(postgres_database)
    try:
        keys = await _seed(database)
        locked = products_module._LOCKED_BY_ID
        lock_now = text("SELECT id FROM products WHERE id = :id FOR UPDATE NOWAIT")
        async with database.transaction() as uow:
            assert len(await read(uow.connection, locked, keys["locked products"])) == 2
            with pytest.raises(StoreError, match="lock"):
                async with other.transaction() as rival:
                    await rival.connection.execute(lock_now, {"id": keys["products"][0]})
            # and it was this transaction's lock: a write in it still works
            await uow.products.hold(keys["products"][1], 1, NOW)
        async with other.transaction() as rival:  # released at commit
            await rival.connection.execute(lock_now, {"id": keys["products"][0]})
        async with database.reading() as uow:
            (plain,) = await uow.products.many([keys["products"][1]])
        assert (plain.stock.available, plain.stock.held) == (4, 1)
    finally:
        await database.dispose()
        await other.dispose()


@pytest.mark.asyncio
async def test_a_locked_read_waits_for_the_lock_of_another_transaction(database: Database) -> None:
    """Two writers reading the same product under lock take turns (SQLite: the write lock)."""
    keys = await _seed(database)
    product_id = keys["products"][1]
    order: list[str] = []

    async def writer(name: str, pause: float) -> None:
        async with database.transaction() as uow:
            (row,) = await read(uow.connection, products_module._LOCKED_BY_ID, [product_id])
            order.append(f"{name} read {row.stock_available}")
            await asyncio.sleep(pause)
            await uow.products.hold(product_id, 1, NOW)

    first = asyncio.create_task(writer("first", 0.3))
    await asyncio.sleep(0.1)
    await writer("second", 0)
    await first
    assert order == ["first read 5", "second read 4"]


@pytest.mark.asyncio
async def test_a_driver_error_is_a_store_error(database: Database) -> None:
    """What the driver raises itself (not wrapped by SQLAlchemy) still comes out translated:
    here a key the driver cannot send (SQLite cannot bind it; asyncpg's array is varchar)."""
    query = KeyedRead((products.c.id,), products.c.sku, products.c.id)
    key: Any = object() if database.is_sqlite else 12345
    with pytest.raises(StoreError):
        async with database.reading() as uow:
            await read(uow.connection, query, [key])


# -- writes ---------------------------------------------------------------------------
def _raw(table: Any, where: str) -> str:
    """Every column as the database stores it (no SQLAlchemy type in the way)."""
    return f"SELECT {', '.join(c.name for c in table.columns if c.name != 'id')} FROM {table.name} WHERE {where}"


async def _stored(database: Database, sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    async with database.reading() as uow:
        return [tuple(r) for r in await uow.connection.execute(text(sql), params)]


@pytest.mark.asyncio
async def test_inserts_store_what_core_stores(database: Database) -> None:
    """Holds, jobs and decisions written through the driver and through Core, with the
    same values, are the same bytes in the database (SQLite keeps instants as text: a
    different format would break every comparison made in SQL)."""
    keys = await _seed(database)
    order_id, product_id = keys["order lines"][0], keys["products"][1]
    hold = {"order_id": order_id, "product_id": product_id, "imp_uid": "imp_h", "quantity": 2,
            "state": "held", "created_at": NOW, "updated_at": NOW}  # fmt: skip
    job = {"kind": "k", "payload": {"imp_uid": "imp_h", "n": [1, 2]}, "state": "queued",
           "run_at": NOW + timedelta(minutes=2), "attempts": 0, "max_attempts": 5,
           "created_at": NOW, "updated_at": NOW}  # fmt: skip
    decision = NewDecision(Decision("imp_d1"), "o1", order_id, {"imp_uid": "imp_d1", "amount": 1})
    async with database.transaction() as uow:
        await driver.insert(uow.connection, stock_holds, [hold])
        await uow.connection.execute(core_insert(stock_holds), [{**hold, "imp_uid": "imp_c"}])
        await driver.insert(uow.connection, jobs, [{**job, "dedupe_key": "d1"}])
        await uow.connection.execute(core_insert(jobs), [{**job, "dedupe_key": "c1"}])
        made = await driver.insert(uow.connection, confirm_decisions, [decision.values(NOW)],
                                   ignore_conflicts=True, returning=confirm_decisions.c.imp_uid)  # fmt: skip
        core_row = {**decision.values(NOW), "imp_uid": "imp_c1"}
        await uow.connection.execute(core_insert(confirm_decisions), [core_row])
    assert made == ["imp_d1"]
    holds = await _stored(
        database, _raw(stock_holds, "imp_uid IN ('imp_h', 'imp_c')") + " ORDER BY id", {}
    )
    assert holds[0][:2] + holds[0][3:] == holds[1][:2] + holds[1][3:]
    queued = await _stored(database, _raw(jobs, "kind = 'k'") + " ORDER BY id", {})
    assert [r[:-3] + r[-2:] for r in queued] == [queued[1][:-3] + queued[1][-2:]] * 2
    decided = await _stored(database, _raw(confirm_decisions, "imp_uid IN ('imp_d1', 'imp_c1')")
                            + " ORDER BY imp_uid", {})  # fmt: skip
    assert decided[0][1:] == decided[1][1:]


@pytest.mark.asyncio
async def test_an_ignored_insert_returns_only_what_it_inserted(database: Database) -> None:
    await _seed(database)
    again = NewDecision(Decision("imp_1", Refusal.SOLD_OUT), "o1", None, {"late": True})
    fresh = NewDecision(Decision("imp_9"), "o2", None, {})
    async with database.transaction() as uow:
        made = await driver.insert(uow.connection, confirm_decisions,
                                   [again.values(NOW), fresh.values(NOW)],
                                   ignore_conflicts=True, returning=confirm_decisions.c.imp_uid)  # fmt: skip
    assert made == ["imp_9"]
    async with database.reading() as uow:
        kept = await uow.decisions.get("imp_1")
    assert kept is not None and kept.refusal is None  # the first decision stands
    with pytest.raises(Conflict):
        async with database.transaction() as uow:
            await driver.insert(uow.connection, confirm_decisions, [again.values(NOW)])


@pytest.mark.asyncio
async def test_an_update_stores_what_core_stores(database: Database) -> None:
    keys = await _seed(database)
    first, second = keys["order lines"][:2]
    values = {"status": "paid", "amount": 3000, "currency": "KRW", "paid_amount": 3000,
              "paid_currency": "KRW", "imp_uid": "imp_p", "holding": False,
              "expires_at": NOW + timedelta(days=1), "escrow": True, "updated_at": NOW}  # fmt: skip
    async with database.transaction() as uow:
        await driver.update(uow.connection, orders, orders.c.id, [{"id": first, **values}])
        await uow.connection.execute(update(orders).where(orders.c.id == second).values(values))
    columns = ", ".join(values)
    rows = await _stored(database, f"SELECT {columns} FROM orders WHERE id IN (:a, :b)",
                         {"a": first, "b": second})  # fmt: skip
    assert len(rows) == 2 and rows[0] == rows[1]


@pytest.mark.asyncio
async def test_a_move_happens_only_if_the_units_are_there(database: Database) -> None:
    keys = await _seed(database)
    product_id = keys["products"][1]  # 5 available
    later = NOW + timedelta(seconds=1)
    key, stamp = (products.c.id, product_id), (products.c.updated_at, later)
    available, held = products.c.stock_available, products.c.stock_held
    async with database.transaction() as uow:
        await driver.move(uow.connection, products, key, available, held, 4, stamp, _Short)
        with pytest.raises(_Short):
            await driver.move(uow.connection, products, key, available, held, 2, stamp, _Short)
    async with database.reading() as uow:
        (product,) = await uow.products.many([product_id])
    assert (product.stock.available, product.stock.held, product.updated_at) == (1, 4, later)
    stored = await _stored(
        database, "SELECT updated_at FROM products WHERE id = :id", {"id": product_id}
    )
    async with database.transaction() as uow:
        await uow.connection.execute(update(products).where(products.c.id == product_id)
                                     .values(updated_at=later))  # fmt: skip
    assert (
        await _stored(
            database, "SELECT updated_at FROM products WHERE id = :id", {"id": product_id}
        )
        == stored
    )


# -- deferred writes ------------------------------------------------------------------
def _trips(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the functions sent to aiosqlite's thread from now on (one per trip)."""
    sent: list[str] = []
    real = sqlite_driver._Sqlite._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(sqlite_driver._Sqlite, "_execute", counted)
    return sent


async def _deferred_batch(
    database: Database, keys: dict[str, list[Any]], quantity: int
) -> list[str]:
    """A confirm batch's writes, deferred, then an insert returning: what it returned."""
    product_id, order_id = keys["products"][1], keys["order lines"][1]
    key, stamp = (products.c.id, product_id), (products.c.updated_at, NOW)
    available, held = products.c.stock_available, products.c.stock_held
    decision = NewDecision(Decision("imp_b"), "o2", order_id, {})
    async with database.transaction() as uow, uow.deferred_writes():
        await driver.move(uow.connection, products, key, available, held, quantity, stamp, _Short)
        await driver.update(uow.connection, orders, orders.c.id,
                            [{"id": order_id, "imp_uid": "imp_b", "holding": True}])  # fmt: skip
        await uow.orders.add_holds([(order_id, "imp_b", (Line(product_id, quantity),))], NOW)
        return await driver.insert(uow.connection, confirm_decisions, [decision.values(NOW)],
                                   ignore_conflicts=True, returning=confirm_decisions.c.imp_uid)  # fmt: skip


@pytest.mark.asyncio
async def test_deferred_writes_land_as_if_sent_one_by_one(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On SQLite the batch's writes and its insert make one trip (with the transaction's
    BEGIN), plus the commit's; on both databases everything lands."""
    keys = await _seed(database)
    trips = _trips(monkeypatch)
    assert await _deferred_batch(database, keys, 2) == ["imp_b"]
    if database.is_sqlite:
        assert trips == ["_run_all", "commit"]
    async with database.reading() as uow:
        (product,) = await uow.products.many([keys["products"][1]])
        order = await uow.orders.get("o2")
        decided = await uow.decisions.get("imp_b")
    assert (product.stock.available, product.stock.held) == (3, 2)
    assert order is not None and order.order.imp_uid == "imp_b" and order.order.holding
    assert decided is not None and decided.approved


@pytest.mark.asyncio
async def test_a_deferred_move_that_finds_too_few_fails_the_batch(database: Database) -> None:
    """The move's shortfall is raised (with the statement it was sent with on SQLite), and
    nothing of the batch is stored."""
    keys = await _seed(database)
    with pytest.raises(_Short):
        await _deferred_batch(database, keys, 6)  # 5 available
    async with database.reading() as uow:
        (product,) = await uow.products.many([keys["products"][1]])
        order = await uow.orders.get("o2")
        decided = await uow.decisions.get("imp_b")
    assert (product.stock.available, product.stock.held) == (5, 0)
    assert order is not None and order.order.imp_uid is None
    assert decided is None


async def _update_then_fail(uow: Any, order_id: int, imp_uid: str) -> None:
    """A write deferred, then an error before its block sends it."""
    async with uow.deferred_writes():
        await driver.update(
            uow.connection, orders, orders.c.id, [{"id": order_id, "imp_uid": imp_uid}]
        )
        raise LookupError


@pytest.mark.asyncio
async def test_deferred_writes_go_before_anything_else_the_transaction_sends(
    database: Database,
) -> None:
    """A statement through SQLAlchemy sees the writes deferred before it; a write still
    deferred when its block ends (here: left by an error the caller handled) is sent,
    never dropped, and committed with the transaction."""
    keys = await _seed(database)
    order_id = keys["order lines"][1]
    async with database.transaction() as uow:
        async with uow.deferred_writes():
            await driver.update(
                uow.connection, orders, orders.c.id, [{"id": order_id, "imp_uid": "imp_seen"}]
            )
            seen = await uow.connection.scalar(
                select(orders.c.imp_uid).where(orders.c.id == order_id)
            )
        assert seen == "imp_seen"
        with pytest.raises(LookupError):
            await _update_then_fail(uow, order_id, "imp_kept")
    async with database.reading() as uow:
        order = await uow.orders.get("o2")
    assert order is not None and order.order.imp_uid == "imp_kept"


async def _fail_in_transaction(database: Database, order_id: int) -> None:
    async with database.transaction() as uow:
        await _update_then_fail(uow, order_id, "imp_gone")


@pytest.mark.asyncio
async def test_a_rollback_drops_the_deferred_writes(database: Database) -> None:
    """The rolled-back transaction's deferred write is never sent, not even ahead of the
    next transaction's first statement on the same pooled connection."""
    keys = await _seed(database)
    order_id = keys["order lines"][1]
    with pytest.raises(LookupError):
        await _fail_in_transaction(database, order_id)
    async with database.transaction() as uow:
        await driver.update(
            uow.connection, orders, orders.c.id, [{"id": order_id, "holding": True}]
        )
    async with database.reading() as uow:
        order = await uow.orders.get("o2")
    assert order is not None and order.order.imp_uid is None and order.order.holding
