"""``paydesk reconcile`` and ``paydesk webhooks replay`` as an operator runs them.

Configured through ``PAYDESK_*`` only, against the emulator and a migrated
database of each backend; the commands run in-process (Typer's runner), with
their own event loop, exactly as the ``paydesk`` entry point calls them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from typer.testing import CliRunner

from paydesk.cli import app
from paydesk.core.money import Money
from paydesk.core.stock import Line
from paydesk.services.catalog import NewProduct
from paydesk.services.container import Services
from paydesk.services.ordering import OrderRequest
from paydesk.store.inbox import Delivery
from tests.support.emulator import DEMO_KEY, DEMO_SECRET, EmulatorClient, seed

from .harness import services_over

T = TypeVar("T")


def environment(database_url: str, emulator_url: str, **more: str) -> dict[str, str | None]:
    return {
        "PAYDESK_DATABASE_URL": database_url,
        "PAYDESK_IAMPORT_BASE_URL": emulator_url,
        "PAYDESK_IAMPORT_KEY": DEMO_KEY,
        "PAYDESK_IAMPORT_SECRET": DEMO_SECRET,
        "COLUMNS": "200",
        **more,
    }


def invoke(env: dict[str, str | None], *args: str) -> Any:
    result = CliRunner().invoke(app, list(args), env=env)
    assert "Traceback" not in result.output, result.output
    return result


def over(database_url: str, emulator_url: str, work: Callable[[Services], Awaitable[T]]) -> T:
    async def main() -> T:
        services = services_over(database_url, emulator_url)
        try:
            return await work(services)
        finally:
            await services.aclose()

    return asyncio.run(main())


async def new_order(services: Services, sku: str) -> str:
    product = await services.catalog.add(NewProduct(sku, sku.upper(), Money(3_000), 5))
    return (await services.orders.place(OrderRequest([Line(product.id, 1)]))).merchant_uid


def test_reconcile_prints_the_drift_report_and_stores_it(
    database_url: str, emulator_url: str, emu: EmulatorClient
) -> None:
    merchant_uid = over(database_url, emulator_url, lambda s: new_order(s, "cli-a"))
    missed = seed(emu, merchant_uid=merchant_uid, amount=3_000)["imp_uid"]
    orphan = seed(emu, merchant_uid="nobody_of_ours", amount=1_234)["imp_uid"]
    env = environment(database_url, emulator_url)

    result = invoke(env, "reconcile")

    assert result.exit_code == 0, result.output
    out = result.output
    assert "reconciliation #1 finished: 2 payment(s) read" in out
    assert "done" in out and "3/3 listings · 2 payments · 2 drifted" in out  # the progress bar
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines()]
    for drift, count in (("orphan", 1), ("missed", 1), ("amount_mismatch", 0)):
        assert [drift, str(count)] in rows, (drift, out)
    assert missed in out and orphan in out and "needs a person" not in out

    async def stored(services: Services) -> tuple[Any, list[Any]]:
        [sweep] = await services.reconciler.reports()
        report = await services.reconciler.report(sweep.id)
        assert report is not None
        return sweep, report.items

    sweep, items = over(database_url, emulator_url, stored)
    assert (sweep.trigger, sweep.status, sweep.counts["orphan"]) == ("cli", "finished", 1)
    assert {(i.imp_uid, i.drift) for i in items} == {(missed, "missed"), (orphan, "orphan")}

    again = invoke(env, "reconcile")  # since the last sweep: nothing new drifted but the orphan
    assert again.exit_code == 0 and "reconciliation #2 finished" in again.output


def test_reconcile_fails_readably(
    database_url: str, emulator_url: str, emu: EmulatorClient
) -> None:
    env = environment(database_url, emulator_url)
    empty = invoke(env, "reconcile", "--from", "2030-01-02", "--to", "2030-01-01")
    assert empty.exit_code == 2 and "the range is empty" in empty.output

    seed(emu, merchant_uid="stray_cli", amount=1_000)
    emu.fault(path="/payments/status/cancelled", method="GET", kind="error", status=503)
    broken = invoke(env, "reconcile")
    assert broken.exit_code == 1
    assert "paydesk reconcile: failed: reconciliation 1 stopped" in broken.output

    async def stored(services: Services) -> Any:
        [sweep] = await services.reconciler.reports()
        return sweep

    sweep = over(database_url, emulator_url, stored)
    assert (sweep.status, sweep.counts["orphan"], sweep.checked) == ("failed", 1, 1)

    missing = invoke({**env, "PAYDESK_IAMPORT_KEY": None}, "reconcile")  # no API key configured
    assert missing.exit_code == 2 and "cannot start" in missing.output


def test_webhooks_replay_reprocesses_stored_deliveries(
    database_url: str, emulator_url: str, emu: EmulatorClient
) -> None:
    merchant_uid = over(database_url, emulator_url, lambda s: new_order(s, "cli-b"))
    paid = seed(emu, merchant_uid=merchant_uid, amount=3_000)["imp_uid"]
    ghost = seed(emu, merchant_uid="ghost_order", amount=3_000)["imp_uid"]

    async def deliveries(services: Services) -> tuple[int, int, int, datetime | None]:
        ids = []
        for imp_uid in (paid, ghost, paid):
            delivery = Delivery(datetime.now(UTC), "52.78.100.19", {}, b"{}", imp_uid=imp_uid)
            ids.append((await services.webhooks.receive(delivery)).inbox_id)
        await services.webhooks.process(ids[2])  # processed already: not a failed one
        async with services.store.reading() as uow:
            row = await uow.inbox.get(ids[2])
        assert row is not None
        return ids[0], ids[1], ids[2], row.processed_at

    waiting, failing, done, done_at = over(database_url, emulator_url, deliveries)
    env = environment(database_url, emulator_url)

    replayed = invoke(env, "webhooks", "replay", "--failed")

    assert replayed.exit_code == 1, replayed.output  # the ghost's order does not exist
    lines = replayed.output.splitlines()
    assert any(str(waiting) in line and "settled:paid" in line for line in lines), lines
    assert any(str(failing) in line and "OrderNotFound" in line for line in lines), lines
    assert not any(f" {done} " in line for line in lines if "│" in line)
    assert "1 of 2 delivery(ies) failed" in replayed.output

    async def after(services: Services) -> tuple[str, datetime | None, str | None]:
        async with services.store.reading() as uow:
            order = await uow.orders.get(merchant_uid)
            row = await uow.inbox.get(done)
            noted = await uow.inbox.get(failing)
        assert order is not None and row is not None and noted is not None
        return order.order.status.value, row.processed_at, noted.error

    status, _, error = over(database_url, emulator_url, after)
    assert status == "paid" and error is not None and "ghost_order" in error

    one = invoke(env, "webhooks", "replay", str(done))  # processed before: processed again
    assert one.exit_code == 0 and "settled:paid" in one.output
    assert over(database_url, emulator_url, after)[1] != done_at

    unknown = invoke(env, "webhooks", "replay", "424242")
    assert unknown.exit_code == 1 and "no webhook delivery 424242" in unknown.output
    both = invoke(env, "webhooks", "replay", "1", "--failed")
    assert both.exit_code == 2
