"""Virtual accounts end to end: expiry, deletion, REST issuance with e-mail, a deposit returned.

The story the expiry tests pin: an unpaid account holds the last unit; while it
is live the next buyer is refused "sold out" and the same buyer cannot switch
to a card. Once its deadline plus the grace period has passed (both clocks
moved: the emulator's decides the deadline, the shop's the sweep), the worker
ends it — revoked at i'mport, or only on our side — and the unit can be sold.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.emulator import EmulatorClient
from tests.support.servers import free_port
from tests.support.window_http import WindowClient

from .harness import Shop, delivered

pytestmark = pytest.mark.asyncio

DAY = 86400
GRACE = 3600  # the default PAYDESK_VBANK_EXPIRY_GRACE_SECONDS


def request_pay(placed: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in placed["request_pay"].items() if v is not None}


async def vbank_by_window(
    shop: Shop, emu: EmulatorClient, window: WindowClient, product_id: int, pg: str = "nice"
) -> dict[str, Any]:
    """An order whose buyer chose a virtual account in the window: issued, ``ready`` settled."""
    placed = await shop.order((product_id, 1), pay_method="vbank", pg=pg)
    opened = window.open(request_pay(placed))
    rsp = window.rsp(window.submit(window.sid(opened), bank_code="004"))
    assert rsp["status"] == "ready", rsp
    await delivered(emu, rsp["imp_uid"])
    return rsp


async def card_refused(shop: Shop, window: WindowClient, product_id: int) -> str:
    """A new order paid by card is refused by our Confirm Process; the reason shown."""
    placed = await shop.order((product_id, 1))
    rsp = window.pay_card(request_pay(placed))
    assert rsp["status"] == "failed", rsp
    reason: str = rsp["error_msg"]
    return reason


def by_card(merchant_uid: str, amount: int) -> dict[str, Any]:
    """The same order's window opened again, this time for a card (the buyer switches)."""
    return {"pg": "html5_inicis", "pay_method": "card", "merchant_uid": merchant_uid,
            "amount": amount, "name": "같은 주문", "buyer_name": "홍길동",
            "buyer_email": "b@example.com", "buyer_tel": "010-1234-5678"}  # fmt: skip


def advance(shop: Shop, emu: EmulatorClient, seconds: int) -> None:
    emu.advance(seconds)
    shop.clock.advance(seconds)


async def test_an_expired_account_is_revoked_and_its_unit_sold_to_the_next_buyer(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("lamp", stock=1, price=45_000)
    rsp = await vbank_by_window(shop, emu, window, product["id"])
    imp_uid, merchant_uid = rsp["imp_uid"], rsp["merchant_uid"]
    assert rsp["vbank_date"] - emu.now() > 2 * DAY  # PAYDESK_VBANK_DUE_SECONDS: 3 days

    # while the account is live: the next buyer, and the same buyer by card, are refused
    assert "sold out" in await card_refused(shop, window, product["id"])
    # (and the same order cannot go to a card: i'mport refuses a merchant_uid with an account)
    refused = window.rsp(window.open(by_card(merchant_uid, 45_000)))
    assert refused["error_code"] == "F1002" and refused["imp_uid"] is None

    # past the deadline, within the grace period: still held
    advance(shop, emu, rsp["vbank_date"] - emu.now() + GRACE - 600)
    await shop.run_worker()
    assert (await shop.order_state(merchant_uid))["status"] == "held"
    assert await shop.stock(product["id"]) == {"available": 0, "held": 1, "sold": 0}

    # past the grace: the sweep finds it, the worker revokes it at i'mport, the hold ends
    advance(shop, emu, 1200)
    assert await shop.run_worker() >= 1
    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["holding"]) == ("failed", False)
    assert order["payments"][0]["status"] == "failed"
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 0}
    gateway = emu.get(f"/payments/{imp_uid}").json()["response"]
    assert (gateway["status"], gateway["fail_reason"]) == ("failed", "계좌말소")
    late = emu.http.post(f"/_emulator/vbanks/{imp_uid}/deposit", json={})
    assert late.status_code == 400  # nobody can pay into it any more

    # the next buyer gets the unit by card
    placed = await shop.order((product["id"], 1))
    paid = window.pay_card(request_pay(placed))
    assert paid["status"] == "paid", paid
    await delivered(emu, paid["imp_uid"])
    assert (await shop.order_state(paid["merchant_uid"]))["status"] == "paid"
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}


@pytest.mark.parametrize("shop_options", [{"vbank_revoke_on_expiry": False}], indirect=True)
async def test_without_revocation_an_expired_account_is_ended_on_our_side_only(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("mug", stock=1, price=9_000)
    rsp = await vbank_by_window(shop, emu, window, product["id"])
    advance(shop, emu, rsp["vbank_date"] - emu.now() + GRACE + 60)
    assert await shop.run_worker() >= 1
    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["holding"]) == ("failed", False)
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 0}
    # i'mport still calls it ready (it sends nothing at a deadline); our books follow its word
    assert emu.get(f"/payments/{rsp['imp_uid']}").json()["response"]["status"] == "ready"
    assert order["payments"][0]["status"] == "ready"
    shop.clock.advance(600)  # later sweeps leave it alone: no hold, nothing to do
    await shop.run_worker()
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "failed"


async def test_deleting_an_unpaid_account_releases_its_hold_and_the_buyer_pays_by_card(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("chair", stock=1, price=70_000)
    rsp = await vbank_by_window(shop, emu, window, product["id"])
    imp_uid, merchant_uid = rsp["imp_uid"], rsp["merchant_uid"]

    deleted = await shop.http.delete(f"/api/vbanks/{imp_uid}")
    assert deleted.status_code == 200, deleted.text
    assert (deleted.json()["status"], deleted.json()["fail_reason"]) == ("failed", "계좌말소")
    order = await shop.order_state(merchant_uid)
    assert (order["status"], order["holding"]) == ("failed", False)
    assert await shop.stock(product["id"]) == {"available": 1, "held": 0, "sold": 0}

    again = await shop.http.delete(f"/api/vbanks/{imp_uid}")
    assert (again.status_code, again.json()["rule"]) == (409, "not_awaiting_deposit")
    assert (await shop.http.delete("/api/vbanks/imp_000000000000")).status_code == 404

    # the same order, now by card
    paid = window.pay_card(by_card(merchant_uid, 70_000))
    assert paid["status"] == "paid", paid
    done = await shop.complete(paid["imp_uid"], merchant_uid)
    assert done.json()["order"]["status"] == "paid", done.text
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}


async def test_a_deposit_returned_at_imports_console_is_booked_as_a_refund(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("rug", stock=1, price=20_000)
    rsp = await vbank_by_window(shop, emu, window, product["id"])
    emu.control("POST", f"/vbanks/{rsp['imp_uid']}/deposit", json={})
    await delivered(emu, rsp["imp_uid"], count=2)
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "paid"

    holder = emu.get("/vbanks/holder", params={"bank_code": "088", "bank_num": "11122233344"})
    cancel = emu.http.post(f"/console/payments/{rsp['imp_uid']}/cancel", data={
        "reason": "입금취소", "refund_holder": holder.json()["response"]["bank_holder"],
        "refund_bank": "088", "refund_account": "11122233344"})  # fmt: skip
    assert cancel.status_code == 303
    await delivered(emu, rsp["imp_uid"], count=3)
    order = await shop.order_state(rsp["merchant_uid"])
    assert (order["status"], order["refunded_amount"]) == ("refunded", 20_000)
    [refund] = order["refunds"]
    assert (refund["origin"], refund["state"], refund["amount"]) == ("external", "succeeded",
                                                                    20_000)  # fmt: skip


# -- REST issuance and the e-mail ------------------------------------------------------
class Mailbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


SMTP_PORT = free_port()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A real SMTP server on localhost for the test's duration."""
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


SMTP = {"smtp_host": "127.0.0.1", "smtp_port": SMTP_PORT, "smtp_starttls": False,
        "smtp_sender": "shop@example.com", "vbank_holder": "페이데스크"}  # fmt: skip


@pytest.mark.parametrize("shop_options", [SMTP], indirect=True)
async def test_an_account_issued_by_rest_holds_stock_and_is_mailed_to_the_buyer(
    shop: Shop, emu: EmulatorClient, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="paydesk")
    product = await shop.product("sofa", stock=1, price=350_000)
    placed = await shop.order((product["id"], 1), pg="nice", pay_method="vbank",
                              buyer={"name": "김구매", "email": "buyer@example.com"})  # fmt: skip
    order_id = placed["order"]["id"]
    answer = await shop.http.post(f"/api/orders/{order_id}/vbank", json={"bank_code": "004"})
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    vbank = issued["payment"]["vbank"]
    kb = emu.get("/banks/004").json()["response"]["name"]  # i'mport's KFTC table
    assert (vbank["bank_code"], vbank["bank_name"], vbank["holder"]) == ("004", kb, "페이데스크")
    assert issued["order"]["status"] == "held"
    assert await shop.stock(product["id"]) == {"available": 0, "held": 1, "sold": 0}

    [(sender, to, body)] = mailbox.messages
    assert (sender, to) == ("shop@example.com", ["buyer@example.com"])
    text = _decoded(body)
    assert vbank["number"] in text and kb in text and "350,000" in text
    # the log says it went out, never with the full account number or the buyer's address
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("paydesk")]
    assert any(placed["request_pay"]["merchant_uid"] in line and vbank["number"][-4:] in line
               for line in logged)  # fmt: skip
    assert not any(vbank["number"] in line or "buyer@example.com" in line for line in logged)

    # issuing again (a retry) finds the same account: no second one at i'mport
    again = await shop.http.post(f"/api/orders/{order_id}/vbank", json={"bank_code": "004"})
    assert again.status_code == 201 and again.json()["imp_uid"] == issued["imp_uid"]
    assert len(mailbox.messages) == 1  # and it is mailed once

    emu.control("POST", f"/vbanks/{issued['imp_uid']}/deposit", json={})
    await delivered(emu, issued["imp_uid"], count=2)
    order = await shop.order_state(placed["request_pay"]["merchant_uid"])
    assert (order["status"], order["paid_amount"]) == ("paid", 350_000)
    assert await shop.stock(product["id"]) == {"available": 0, "held": 0, "sold": 1}


def _decoded(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=policy.default)
    content: str = message.get_content()  # type: ignore[attr-defined]
    return content


async def test_rest_issuance_is_refused_when_the_stock_is_held_and_leaves_no_account(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    product = await shop.product("bed", stock=1, price=500_000)
    await vbank_by_window(shop, emu, window, product["id"])
    placed = await shop.order((product["id"], 1), pg="nice", pay_method="vbank")
    answer = await shop.http.post(f"/api/orders/{placed['order']['id']}/vbank",
                                  json={"bank_code": "004"})  # fmt: skip
    assert (answer.status_code, answer.json()["rule"]) == (409, "sold_out"), answer.text
    merchant_uid = placed["request_pay"]["merchant_uid"]
    listed = emu.get(f"/payments/findAll/{merchant_uid}").json()
    assert all(p["status"] != "ready" for p in (listed["response"] or {}).get("list", []))

    for body in ({"bank_code": "x"}, {"bank_code": "004", "due": "2030-01-01T00:00:00"},
                 {"bank_code": "004", "extra": 1}):  # fmt: skip
        bad = await shop.http.post(f"/api/orders/{placed['order']['id']}/vbank", json=body)
        assert bad.status_code == 422, body
    missing = await shop.http.post("/api/orders/9999999/vbank", json={"bank_code": "004"})
    assert missing.status_code == 404
    huge = await shop.http.post(f"/api/orders/{2**64}/vbank", json={"bank_code": "004"})
    assert huge.status_code == 422
    kb = emu.get("/banks/004").json()["response"]["name"]
    assert (await shop.http.get("/api/banks/004")).json() == {"code": "004", "name": kb}
    assert (await shop.http.get("/api/banks/999")).status_code == 404


@pytest.mark.parametrize("shop_options", [{"vbank_holder": "페이데스크"}], indirect=True)
async def test_rest_issuance_keeps_the_due_date_asked_and_reads_the_bank_table_once(
    shop: Shop, emu: EmulatorClient
) -> None:
    product = await shop.product("shelf", stock=1, price=80_000)
    placed = await shop.order((product["id"], 1), pg="nice", pay_method="vbank")
    kst = timezone(timedelta(hours=9))
    due = datetime.fromtimestamp(int(emu.now()) + 2 * DAY + 7 * 3600, kst)  # not the default
    # counts every read of i'mport's bank table from here on, answering normally
    emu.fault(path="/banks", method="GET", kind="latency", delay=0)
    answer = await shop.http.post(f"/api/orders/{placed['order']['id']}/vbank",
                                  json={"bank_code": "088", "due": due.isoformat()})  # fmt: skip
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    gateway = emu.get(f"/payments/{issued['imp_uid']}").json()["response"]
    assert gateway["vbank_date"] == int(due.timestamp())  # i'mport was given our date
    ours = issued["payment"]["vbank"]
    assert datetime.fromisoformat(ours["due"]).astimezone(UTC) == due.astimezone(UTC)
    shinhan = emu.get("/banks/088").json()["response"]["name"]
    assert ours["bank_name"] == shinhan

    for code in ("004", "088", "004", "999"):
        named = await shop.http.get(f"/api/banks/{code}")
        assert named.status_code == (404 if code == "999" else 200), named.text
    [counter] = emu.control("GET", "/faults")
    assert counter["fired"] == 1, "the table is read once, then named from memory"


async def test_a_window_account_is_due_when_the_order_says(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    """``request_pay.vbank_due``: the order's deadline, else the setting's, never the PG's."""
    product = await shop.product("stool", stock=2, price=15_000)
    kst = timezone(timedelta(hours=9))
    due = datetime.fromtimestamp(int(emu.now()) + DAY + 5 * 3600 + 17, kst)
    placed = await shop.order((product["id"], 1), pay_method="vbank", pg="nice",
                              vbank_due=due.isoformat())  # fmt: skip
    assert placed["request_pay"]["vbank_due"] == due.strftime("%Y%m%d%H%M%S")
    rsp = window.rsp(window.submit(window.sid(window.open(request_pay(placed))), bank_code="004"))
    assert (rsp["status"], rsp["vbank_date"]) == ("ready", int(due.timestamp())), rsp
    await delivered(emu, rsp["imp_uid"])
    ours = (await shop.order_state(rsp["merchant_uid"]))["payments"][0]["vbank"]
    assert datetime.fromisoformat(ours["due"]).timestamp() == due.timestamp()

    # none asked: PAYDESK_VBANK_DUE_SECONDS (3 days) from now, to the second
    default = await shop.order((product["id"], 1), pay_method="vbank", pg="nice")
    text = default["request_pay"]["vbank_due"]
    moment = datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=kst).timestamp()
    assert abs(moment - (shop.clock.now().timestamp() + 3 * DAY)) < 60
    card = await shop.order((product["id"], 1))
    assert "vbank_due" not in card["request_pay"]

    body = {"items": [{"product_id": product["id"], "quantity": 1}], "pay_method": "vbank"}
    for wrong in (due.replace(tzinfo=None).isoformat(), (due + 40 * timedelta(days=1)).isoformat(),
                  datetime.fromtimestamp(emu.now() - 60, kst).isoformat()):  # fmt: skip
        refused = await shop.http.post("/api/orders", json={**body, "vbank_due": wrong})
        assert refused.status_code == 422, (wrong, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    not_vbank = await shop.http.post("/api/orders", json={**body, "pay_method": "card",
                                                          "vbank_due": due.isoformat()})  # fmt: skip
    assert not_vbank.status_code == 422 and "vbank" in not_vbank.json()["detail"]
