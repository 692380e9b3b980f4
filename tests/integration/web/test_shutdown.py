"""A clean shutdown waits for the confirms in flight.

``Services.aclose`` (what the app's lifespan runs after uvicorn stopped taking
requests) first waits for the confirm desk: a confirm still gathering its
batch is decided and stored before the connections close. And a batch whose
waiter gave up (a request cancelled by the server's shutdown timeout) is
still flushed whole: ``GroupCommit.drain``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from decimal import Decimal

import pytest

from paydesk.bootstrap import build_services
from paydesk.core.confirm import ConfirmCall, Refusal
from paydesk.services.group_commit import GroupCommit
from paydesk.settings import Settings
from paydesk.store import Database

from .shop import UNUSED_IAMPORT_SETTINGS

pytestmark = pytest.mark.asyncio


async def test_closing_the_services_waits_for_a_confirm_in_flight(database_url: str) -> None:
    # a long batch window: the confirm is surely still gathering when the close begins
    settings = Settings(database_url=database_url, confirm_batch_window_ms=300,
                        **UNUSED_IAMPORT_SETTINGS)  # fmt: skip
    services = build_services(settings)
    call = ConfirmCall("imp_shutdown_0001", "ord_nobody", Decimal(1000))
    confirming = asyncio.create_task(services.confirm.confirm(call, {"imp_uid": call.imp_uid}))
    await asyncio.sleep(0)  # it is submitted to its batch
    assert not confirming.done()

    await services.aclose()

    assert confirming.done()  # answered before the connections were closed
    assert confirming.result().refusal is Refusal.ORDER_NOT_FOUND
    database = Database(database_url)
    try:
        async with database.reading() as uow:
            stored = await uow.decisions.many([call.imp_uid])
    finally:
        await database.dispose()
    assert stored[call.imp_uid].refusal is Refusal.ORDER_NOT_FOUND


async def test_a_batch_is_flushed_even_when_its_waiter_gave_up() -> None:
    release, flushed = asyncio.Event(), []

    async def flush(items: Sequence[int]) -> list[int]:
        await release.wait()
        flushed.extend(items)
        return list(items)

    batcher: GroupCommit[str, int, int] = GroupCommit(flush, window=0)
    waiter = asyncio.create_task(batcher.submit("hot", 7))
    await asyncio.sleep(0.01)
    waiter.cancel()  # the request was cancelled by the server's shutdown timeout
    draining = asyncio.create_task(batcher.drain())
    await asyncio.sleep(0.01)
    assert not draining.done() and flushed == []
    release.set()
    await draining
    assert flushed == [7]
    await batcher.drain()  # nothing left: returns at once
