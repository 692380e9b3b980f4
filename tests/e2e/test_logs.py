"""Logs at DEBUG, across a whole payment: nothing secret, no buyer data, request ids.

The shop (server, emulator, worker in this process) runs a paid order with a
buyer's full details, an API key and a signed ``confirm_url``, with our
logging set up at DEBUG in JSON — and SQLAlchemy's engine logger at DEBUG as
well, as an operator chasing a query would set it (before this, the database
driver alone printed every bound parameter at DEBUG: the buyer's e-mail,
phone and address). Every record that reaches the output is then searched
for those values.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from paydesk.logs import configure_logging
from tests.support.auth import TEST_SECRET_KEY
from tests.support.emulator import DEMO_SECRET, EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered, eventually, underpaid_by_webhook
from .test_refunds_api import paid_order, refund, settle

pytestmark = pytest.mark.asyncio

BUYER = {
    "name": "김구매자",
    "email": "kim.buyer@example.co.kr",
    "tel": "010-2345-6789",
    "addr": "서울특별시 중구 세종대로 110 3층",
    "postcode": "04524",
}
CARD = "5555-5555-5555-4444"
_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "aiosqlite", "sqlalchemy.engine")


@pytest.fixture
def debug_logs(shop: Shop) -> Iterator[io.StringIO]:
    """Our logging at DEBUG (JSON) into a buffer, SQLAlchemy's engine at DEBUG; undone after.

    Set up once the shop's test server runs: uvicorn configures its own loggers as it
    starts (``paydesk serve`` tells it not to, ``log_config=None``)."""
    root = logging.getLogger()
    saved = [(logging.getLogger(n), logging.getLogger(n).level, list(logging.getLogger(n).handlers),
              logging.getLogger(n).propagate) for n in _LOGGERS]  # fmt: skip
    level, stream = root.level, io.StringIO()
    handler = configure_logging("json", "DEBUG", secrets=[TEST_SECRET_KEY, DEMO_SECRET],
                                stream=stream)  # fmt: skip
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        for logger, old_level, handlers, propagate in saved:
            logger.setLevel(old_level)
            logger.handlers[:] = handlers
            logger.propagate = propagate


async def test_a_payment_at_debug_leaks_nothing(
    debug_logs: io.StringIO, shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("log-tee", stock=2, price=21_000)
    placed = await shop.order((product["id"], 1), buyer=BUYER)
    confirm_token = parse_qs(urlsplit(placed["request_pay"]["confirm_url"]).query)["token"][0]
    rsp = _pay_with(window, placed)
    assert rsp["status"] == "paid", rsp
    await delivered(emu, rsp["imp_uid"])
    answer = await shop.http.get(
        f"/api/orders/by-merchant-uid/{placed['request_pay']['merchant_uid']}",
        headers={"X-Request-ID": "trace-me-42"},
    )
    assert answer.status_code == 200 and answer.json()["status"] == "paid"
    assert answer.headers["x-request-id"] == "trace-me-42"
    await eventually(lambda: "trace-me-42" in debug_logs.getvalue())

    records = [json.loads(line) for line in debug_logs.getvalue().splitlines()]
    text = debug_logs.getvalue()
    loggers = {record["logger"] for record in records}
    # the flow really was logged at DEBUG, database included
    assert any(r["level"] == "DEBUG" for r in records)
    assert {"sqlalchemy.engine.Engine", "uvicorn.access", "paydesk.iamport"} <= loggers, loggers
    assert "hidden due to hide_parameters" in text
    assert any(
        "/iamport/confirm" in r["message"] for r in records if r["logger"] == "uvicorn.access"
    )
    leaks = [*BUYER.values(), "01023456789", CARD, CARD.replace("-", ""), TEST_SECRET_KEY,
             DEMO_SECRET, shop.key, shop.key.split("_", 2)[2], confirm_token]  # fmt: skip
    found = {leak: [r["message"] for r in records if leak in json.dumps(r, ensure_ascii=False)]
             for leak in leaks}  # fmt: skip
    assert {leak: lines for leak, lines in found.items() if lines} == {}
    traced = [r for r in records if r["request_id"] == "trace-me-42"]
    assert any(r["logger"] == "uvicorn.access" for r in traced)


async def test_a_refund_with_only_the_holders_phone_at_debug_leaks_no_phone(
    debug_logs: io.StringIO, shop: Shop, emu: EmulatorClient
) -> None:
    """Old smartro's card refund carries ``refund_tel`` alone: asked with it, and owed then
    given it through ``POST /api/refunds/{id}/tel``; the phone is in no log record."""
    tel = "010-3141-5926"
    asked, asked_uid = await paid_order(shop, emu, pay_method="card", pg="smartro")
    answer = await refund(shop, asked["id"], refund_tel=tel)
    assert answer.json()["state"] == "succeeded", answer.text

    merchant_uid, imp_uid = await underpaid_by_webhook(
        shop, emu, "log-mug", amount=300, pay_method="card", pg="smartro"
    )
    await settle(shop)
    order = await shop.order_state(merchant_uid)
    [owed] = (await shop.http.get(f"/api/orders/{order['id']}/refunds")).json()
    assert owed["state"] == "needs_refund_tel"
    given = await shop.http.post(f"/api/refunds/{owed['id']}/tel", json={"refund_tel": tel})
    assert given.json()["state"] == "succeeded", given.text
    for cancelled in (asked_uid, imp_uid):
        assert emu.get(f"/payments/{cancelled}").json()["response"]["status"] == "cancelled"

    text = debug_logs.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    # the cancels really were logged at DEBUG (the client's lines, the server's access lines)
    assert any(r["logger"] == "paydesk.iamport" and "cancel" in r["message"] for r in records)
    assert any(f"/api/refunds/{owed['id']}/tel" in r["message"] for r in records)
    for leak in (tel, tel.replace("-", ""), "3141-5926", "31415926"):
        assert leak not in text, [r["message"] for r in records if leak in json.dumps(r)]


def _pay_with(window: WindowClient, placed: dict[str, Any]) -> dict[str, Any]:
    params = {k: v for k, v in placed["request_pay"].items() if v is not None}
    return window.pay_card(params, card=CARD)
