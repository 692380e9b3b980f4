"""What the fakes promise beyond the repositories' contract: isolation, read-only reads, i'mport's cancel rules."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from paydesk.core.money import Money
from paydesk.iamport import AlreadyCancelled, CancelAmountExceeded, ChecksumMismatch, NotFound
from paydesk.store import StoreUnavailable

from .fakes import FakeIamport, InMemoryStore, ReadOnlyTransaction, not_sent, payment

pytestmark = pytest.mark.asyncio
NOW = datetime(2030, 1, 1, tzinfo=UTC)


async def add(store: InMemoryStore, sku: str) -> None:
    async with store.transaction() as uow:
        await uow.products.add(sku=sku, name=sku, price=Money(1), stock=1, on_sale=True, now=NOW)


async def skus(store: InMemoryStore) -> list[str]:
    async with store.reading() as uow:
        return [p.sku for p in await uow.products.listing()]


async def test_a_write_inside_reading_fails_loudly() -> None:
    store = InMemoryStore()
    async with store.reading() as uow:
        with pytest.raises(ReadOnlyTransaction):
            await uow.products.add(sku="a", name="A", price=Money(1), stock=1, on_sale=True,
                                   now=NOW)  # fmt: skip
        with pytest.raises(ReadOnlyTransaction):
            await uow.jobs.enqueue([], NOW)
    assert await skus(store) == []


async def test_nobody_sees_a_transaction_before_it_commits() -> None:
    store = InMemoryStore()
    written, read = asyncio.Event(), asyncio.Event()
    seen: list[list[str]] = []

    async def writer() -> None:
        async with store.transaction() as uow:
            await uow.products.add(sku="a", name="A", price=Money(1), stock=1, on_sale=True,
                                   now=NOW)  # fmt: skip
            written.set()
            await read.wait()

    async def reader() -> None:
        await written.wait()
        seen.append(await skus(store))
        read.set()

    await asyncio.gather(writer(), reader())
    assert seen == [[]] and await skus(store) == ["a"]


async def test_transactions_run_one_at_a_time_in_arrival_order() -> None:
    store = InMemoryStore()
    await asyncio.gather(*(add(store, f"p{n}") for n in range(5)))
    assert await skus(store) == [f"p{n}" for n in range(5)] and store.commits == 5


async def test_a_failed_commit_loses_the_transaction() -> None:
    store = InMemoryStore()
    store.fail_next_commit(StoreUnavailable("gone"))
    with pytest.raises(StoreUnavailable):
        await add(store, "a")
    await add(store, "b")
    assert await skus(store) == ["b"]


async def test_the_fake_iamport_refunds_by_v1_rules() -> None:
    api = FakeIamport()
    api.put(payment("imp_1", "o1", 1000))
    with pytest.raises(ChecksumMismatch):
        await api.refund("imp_1", amount=Money(400), checksum=Money(999), reason="r")
    with pytest.raises(CancelAmountExceeded):
        await api.refund("imp_1", amount=Money(1001), checksum=Money(1000), reason="r")
    partly = await api.refund("imp_1", amount=Money(400), checksum=Money(1000), reason="r")
    assert (partly.status, partly.cancel_amount, len(partly.cancel_history)) == (
        "cancelled",
        400,
        1,
    )
    await api.refund("imp_1", amount=Money(600), checksum=Money(600), reason="r")
    with pytest.raises(AlreadyCancelled):
        await api.refund("imp_1", amount=Money(1), checksum=Money(0), reason="r")
    assert (await api.fetch("imp_1")).cancel_amount == 1000
    with pytest.raises(NotFound):
        await api.fetch("imp_2")
    api.fail_next(not_sent())
    with pytest.raises(type(not_sent())):
        await api.fetch("imp_1")
    assert [op for op, _ in api.calls] == ["refund"] * 5 + ["fetch"] * 3
