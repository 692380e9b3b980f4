"""``POST /iamport/confirm`` over real HTTP on a real database (both backends)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from paydesk.core.clock import FixedClock
from paydesk.core.orders import OrderStatus
from paydesk.services.confirm import HOLD_CHECK_JOB
from paydesk.services.ordering import OrderDesk
from paydesk.store import Database
from tests.support.auth import confirm_path

from .shop import (
    EmulatorRegistrar,
    add_product,
    confirm_body,
    merchant_api,
    merchant_server,
    order_desk,
    place,
    stock_of,
)

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with merchant_api(database_url) as http:
        yield http


@pytest.fixture
def desk(database: Database, registrar: EmulatorRegistrar) -> OrderDesk:
    return order_desk(database, registrar)


async def test_approval_holds_stock_and_schedules_a_hold_check(
    api: httpx.AsyncClient, desk: OrderDesk, database: Database, registrar: EmulatorRegistrar
) -> None:
    product = await add_product(api, "hot", stock=3)
    order = await place(desk, (product["id"], 2))
    assert registrar.prepared == [order.merchant_uid]
    answer = await api.post(
        confirm_path(order.merchant_uid), json=confirm_body(order, "imp_100000000001")
    )
    assert (answer.status_code, answer.json()) == (200, {})
    assert (await stock_of(api, [product["id"]]))[product["id"]] == {
        "available": 1,
        "held": 2,
        "sold": 0,
    }
    async with database.reading() as uow:
        record = await uow.orders.get(order.merchant_uid)
        decision = await uow.decisions.get("imp_100000000001")
    assert record is not None and record.order.status == OrderStatus.HELD and record.order.holding
    assert decision is not None and decision.approved and decision.order_id == record.id
    async with database.transaction() as uow:
        far = datetime.now(UTC) + timedelta(days=1)
        jobs = await uow.jobs.claim("test", far, lease=timedelta(seconds=5), kinds=[HOLD_CHECK_JOB])
    assert [j.payload for j in jobs] == [
        {"imp_uid": "imp_100000000001", "merchant_uid": order.merchant_uid}
    ]


async def test_a_replay_gets_the_same_decision_and_never_holds_twice(
    api: httpx.AsyncClient, desk: OrderDesk
) -> None:
    product = await add_product(api, "hot", stock=1)
    first, second = await place(desk, (product["id"], 1)), await place(desk, (product["id"], 1))
    assert (
        await api.post(confirm_path(first.merchant_uid), json=confirm_body(first, "imp_a"))
    ).status_code == 200
    refused = await api.post(confirm_path(second.merchant_uid), json=confirm_body(second, "imp_b"))
    assert (refused.status_code, refused.json()) == (409, {"reason": "sold out"})
    await api.patch(f"/api/products/{product['id']}", json={"stock": 5})  # restock
    for _ in range(3):
        assert (
            await api.post(confirm_path(first.merchant_uid), json=confirm_body(first, "imp_a"))
        ).status_code == 200
        again = await api.post(
            confirm_path(second.merchant_uid), json=confirm_body(second, "imp_b")
        )
        assert (again.status_code, again.json()) == (409, {"reason": "sold out"})
    assert (await stock_of(api, [product["id"]]))[product["id"]] == {
        "available": 5,
        "held": 1,
        "sold": 0,
    }


async def test_older_shape_and_form_bodies_are_accepted(
    api: httpx.AsyncClient, desk: OrderDesk
) -> None:
    product = await add_product(api, "hot", stock=2)
    one, two = await place(desk, (product["id"], 1)), await place(desk, (product["id"], 1))
    older = {"imp_uid": "imp_old", "merchant_uid": one.merchant_uid, "status": "ready"}
    assert (await api.post(confirm_path(one.merchant_uid), data=older)).status_code == 200
    form = {k: str(v) for k, v in confirm_body(two, "imp_form").items()}
    assert (await api.post(confirm_path(two.merchant_uid), data=form)).status_code == 200
    assert (await stock_of(api, [product["id"]]))[product["id"]]["held"] == 2


async def test_refusals_carry_a_reason(
    api: httpx.AsyncClient, desk: OrderDesk, database: Database, registrar: EmulatorRegistrar
) -> None:
    product = await add_product(api, "hot", stock=5)
    order = await place(desk, (product["id"], 1))

    async def reason(body: dict[str, object]) -> tuple[int, object]:
        answer = await api.post(confirm_path(str(body["merchant_uid"])), json=body)
        return answer.status_code, answer.json()

    assert await reason(confirm_body(order, "imp_1", amount=1)) == (
        400,
        {"reason": "amount mismatch"},
    )
    assert await reason(confirm_body(order, "imp_2", merchant_uid="ord_unknown")) == (
        404,
        {"reason": "order not found"},
    )
    assert await reason(confirm_body(order, "imp_3")) == (200, {})
    assert await reason(confirm_body(order, "imp_4")) == (409, {"reason": "payment in progress"})
    past = FixedClock(datetime.now(UTC) - timedelta(hours=2))
    stale = await place(order_desk(database, registrar, past), (product["id"], 1))
    assert await reason(confirm_body(stale, "imp_5")) == (410, {"reason": "order expired"})
    closed = await place(desk, (product["id"], 1))
    await api.patch(f"/api/products/{product['id']}", json={"on_sale": False})
    assert await reason(confirm_body(closed, "imp_6")) == (403, {"reason": "not on sale"})
    assert (await stock_of(api, [product["id"]]))[product["id"]] == {
        "available": 4,
        "held": 1,
        "sold": 0,
    }


async def test_multi_item_orders_hold_everything_or_nothing(
    api: httpx.AsyncClient, desk: OrderDesk
) -> None:
    plenty = await add_product(api, "plenty", stock=2)
    scarce = await add_product(api, "scarce", stock=1)
    both = await place(desk, (plenty["id"], 1), (scarce["id"], 1))
    greedy = await place(desk, (plenty["id"], 1), (scarce["id"], 1))
    assert (
        await api.post(confirm_path(both.merchant_uid), json=confirm_body(both, "imp_both"))
    ).status_code == 200
    refused = await api.post(
        confirm_path(greedy.merchant_uid), json=confirm_body(greedy, "imp_greedy")
    )
    assert refused.json() == {"reason": "sold out"}
    counts = await stock_of(api, [plenty["id"], scarce["id"]])
    assert counts == {
        plenty["id"]: {"available": 1, "held": 1, "sold": 0},
        scarce["id"]: {"available": 0, "held": 1, "sold": 0},
    }


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"imp_uid": "imp_1"}', b'{"imp_uid": 5, "merchant_uid": "x"}',
     b'{"imp_uid": "imp_1", "merchant_uid": "x", "amount": "lots"}', b'{"imp_uid": "' + b"i" * 33 + b'", "merchant_uid": "x"}'],
)  # fmt: skip
async def test_unreadable_requests_get_400_and_are_not_stored(
    api: httpx.AsyncClient, database: Database, body: bytes
) -> None:
    answer = await api.post(
        "/iamport/confirm", content=body, headers={"content-type": "application/json"}
    )
    assert (answer.status_code, answer.json()) == (400, {"reason": "invalid request"})
    async with database.reading() as uow:
        assert await uow.decisions.get("imp_1") is None


async def test_the_kill_switch_refuses_every_confirm(database_url: str, desk: OrderDesk) -> None:
    async with merchant_api(database_url, sales_open=False) as http:
        product = await add_product(http, "hot", stock=1)
        order = await place(desk, (product["id"], 1))
        answer = await http.post(
            confirm_path(order.merchant_uid), json=confirm_body(order, "imp_1")
        )
        assert (answer.status_code, answer.json()) == (403, {"reason": "sales closed"})
        assert (await stock_of(http, [product["id"]]))[product["id"]]["available"] == 1


@pytest.mark.parametrize(
    "dead_url",
    [
        "sqlite+aiosqlite:////nonexistent/dir/paydesk.db",
        "postgresql+asyncpg://postgres@127.0.0.1:1/none",
    ],
)
async def test_an_unreachable_database_gets_a_reason_never_a_5xx(dead_url: str) -> None:
    with merchant_server(dead_url) as url:
        async with httpx.AsyncClient(base_url=url, timeout=15) as http:
            started = time.monotonic()
            answer = await http.post(
                confirm_path("ord_1"),
                json={"imp_uid": "imp_1", "merchant_uid": "ord_1", "amount": 1000},
            )
    assert (answer.status_code, answer.json()) == (429, {"reason": "temporarily unavailable"})
    assert time.monotonic() - started < 10


async def test_a_decision_that_cannot_be_made_in_time_is_refused_within_the_deadline(
    database_url: str, database: Database, desk: OrderDesk
) -> None:
    async with merchant_api(database_url, confirm_deadline_seconds=1.0) as http:
        product = await add_product(http, "hot", stock=1)
        order = await place(desk, (product["id"], 1))
        release = asyncio.Event()

        async def hold_the_product_row() -> None:
            async with database.transaction() as uow:
                await uow.products.get(product["id"], lock=True)
                await uow.products.change(product["id"], {"name": "locked"}, datetime.now(UTC))
                await release.wait()

        holder = asyncio.create_task(hold_the_product_row())
        await asyncio.sleep(0.2)
        started = time.monotonic()
        answer = await http.post(
            confirm_path(order.merchant_uid), json=confirm_body(order, "imp_slow")
        )
        elapsed = time.monotonic() - started
        release.set()
        await holder
        assert (answer.status_code, answer.json()) == (
            429,
            {"reason": "temporarily unavailable"},
        )
        assert 0.9 < elapsed < 3
        # once the lock is gone the system answers again, consistently
        retry = await http.post(
            confirm_path(order.merchant_uid), json=confirm_body(order, "imp_slow")
        )
        assert retry.status_code == 200
        stock = (await stock_of(http, [product["id"]]))[product["id"]]
        assert stock == {"available": 0, "held": 1, "sold": 0}
