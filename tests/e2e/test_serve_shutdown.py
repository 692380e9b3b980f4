"""``paydesk serve`` on SIGTERM: a confirm in flight is answered and stored, then it exits.

The real command, configured by ``PAYDESK_*`` only, with JSON logs at DEBUG.
The confirm batch window is long, and the signal is sent once the server has
logged that the confirm arrived, so the confirm is surely in flight. The
confirm must come back approved (200), the stock held in the database, and
the process exit cleanly. The log shows the confirm under the caller's request
id, and the access line of the signed ``confirm_url`` without its token.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from paydesk.store import Database
from tests.support.auth import ALL_SCOPES, bearer, create_key
from tests.support.servers import free_port

from .test_commands import environment, running, wait_until

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


async def test_sigterm_lets_a_confirm_in_flight_finish(
    database_url: str, emulator_url: str, tmp_path: Path
) -> None:
    port, log = free_port(), tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    env = {**environment(database_url, emulator_url), "PAYDESK_PUBLIC_BASE_URL": url,
           "PAYDESK_LOG_FORMAT": "json", "PAYDESK_LOG_LEVEL": "DEBUG",
           "PAYDESK_CONFIRM_BATCH_WINDOW_MS": "1500"}  # fmt: skip
    key = await create_key(database_url, ALL_SCOPES, "ops")
    with running(["serve", "--port", str(port)], env, log) as process:

        def up() -> bool:
            try:
                return httpx.get(f"{url}/openapi.json").status_code == 200
            except httpx.TransportError:
                return process.poll() is not None

        wait_until(up)
        async with httpx.AsyncClient(base_url=url, headers=bearer(key), timeout=30) as http:
            made = await http.post("/api/products", json={"sku": "bye", "name": "Bye",
                                                          "price": 7_000, "stock": 1})  # fmt: skip
            assert made.status_code == 201, made.text
            placed = await http.post("/api/orders", json={
                "items": [{"product_id": made.json()["id"], "quantity": 1}],
                "pay_method": "card", "pg": "html5_inicis"})  # fmt: skip
            assert placed.status_code == 201, placed.text
            request_pay = placed.json()["request_pay"]
            confirming = asyncio.create_task(http.post(
                request_pay["confirm_url"], headers={"X-Request-ID": "in-flight-1"},
                json={"imp_uid": "imp_graceful0001", "merchant_uid": request_pay["merchant_uid"],
                      "amount": 7_000}))  # fmt: skip

            def arrived() -> bool:
                return any(
                    r["message"].startswith("confirm imp_graceful0001") for r in records(log)
                )

            await asyncio.to_thread(wait_until, arrived)
            process.send_signal(signal.SIGTERM)
            answer = await confirming
        assert (answer.status_code, answer.json()) == (200, {}), log.read_text()
        assert await asyncio.to_thread(process.wait, 30) in (0, -signal.SIGTERM)

    database = Database(database_url)
    try:
        async with database.reading() as uow:
            order = await uow.orders.get(request_pay["merchant_uid"])
    finally:
        await database.dispose()
    assert order is not None and order.order.status.value == "held"
    seen = records(log)
    assert any(r["message"] == "Application shutdown complete." for r in seen), log.read_text()
    traced = [r for r in seen if r["request_id"] == "in-flight-1"]
    assert any(r["logger"] == "paydesk.web.iamport.confirm" for r in traced)
    [access] = [r for r in traced if r["logger"] == "uvicorn.access"]
    assert "/iamport/confirm?token=[REDACTED]" in access["message"]
    assert request_pay["confirm_url"].split("token=")[1] not in log.read_text()
