"""Card payments end to end: the merchant server, the real emulator over HTTP, the window.

- Check (BC ``9410-…-0005``) and credit (``4111-…``) cards: approved through the
  window (the Confirm Process holds the stock), then refunded in part and in
  full through ``POST /api/orders/{id}/refunds``; the books agree with i'mport's.
- A foreign card on a USD order through Paymentwall, in English: cents both ways.
- A declined card (``4000-…-0002``): the order fails and its stock comes back.
- Order options: a tax-free product and a stated VAT reach ``request_pay`` and
  split every refund as i'mport wants it (the emulator refuses a NICE cancel of
  a tax-free payment without ``tax_free`` and one without ``vat_amount`` after an
  explicit VAT); installments offered per product; ``app_scheme``.

The demo merchant delivers ``realistic``ally here (copies, jitter, either order).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered
from .test_refunds_api import books_agree, refund

pytestmark = pytest.mark.asyncio

CHECK, CREDIT, DECLINED = "9410-0000-0000-0005", "4111-1111-1111-1111", "4000-0000-0000-0002"
OPTIONS = {"explicit_vat": True, "card_quota": (2, 3), "app_scheme": "myshop://pay"}


async def product(shop: Shop, sku: str, price: int, **fields: Any) -> dict[str, Any]:
    body = {"sku": sku, "name": f"상품 {sku}", "price": price, "stock": 3, **fields}
    answer = await shop.http.post("/api/products", json=body)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def window_params(placed: dict[str, Any]) -> dict[str, Any]:
    """``request_pay`` as the shop page passes it to ``IMP.request_pay``."""
    return {k: v for k, v in placed["request_pay"].items() if v is not None}


async def paid(
    shop: Shop, emu: EmulatorClient, window: WindowClient, placed: dict[str, Any], card: str,
    quota: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """Pay ``placed`` in the window; the callback's completion call settles it, the webhook too."""
    rsp = window.pay_card(window_params(placed), card, quota=quota)
    assert rsp["status"] == "paid", rsp
    answer = await shop.complete(rsp["imp_uid"], rsp["merchant_uid"])
    assert answer.json()["order"]["status"] == "paid", answer.text
    await delivered(emu, rsp["imp_uid"])
    return rsp


async def payment_view(shop: Shop, imp_uid: str) -> dict[str, Any]:
    answer = await shop.http.get(f"/api/payments/{imp_uid}")
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


@pytest.mark.parametrize(("card", "kind", "name"), [(CHECK, "check", "BC카드"),
                                                    (CREDIT, "credit", "신한카드")])  # fmt: skip
async def test_a_card_is_approved_then_refunded_in_part_and_in_full(
    shop: Shop, emu: EmulatorClient, window: WindowClient, card: str, kind: str, name: str
) -> None:
    item = await product(shop, f"tee-{kind}", 30_000)
    placed = await shop.order((item["id"], 1), pg="nice")
    rsp = await paid(shop, emu, window, placed, card)
    assert await shop.stock(item["id"]) == {"available": 2, "held": 0, "sold": 1}
    seen = (await payment_view(shop, rsp["imp_uid"]))["card"]
    assert (seen["kind"], seen["name"], seen["quota"]) == (kind, name, 0)
    assert seen["number"].endswith(card[-4:]) and "*" in seen["number"]

    order_id = placed["order"]["id"]
    part = await refund(shop, order_id, amount=10_000)
    assert (part.status_code, part.json()["state"]) == (201, "succeeded"), part.text
    rest = await refund(shop, order_id)
    assert (rest.json()["state"], rest.json()["amount"]) == ("succeeded", 20_000), rest.text
    state = await shop.order_state(rsp["merchant_uid"])
    assert (state["status"], state["refunded_amount"]) == ("refunded", 30_000)
    assert await books_agree(shop, emu, placed["order"], rsp["imp_uid"]) == 30_000
    at_gateway = emu.get(f"/payments/{rsp['imp_uid']}").json()["response"]
    assert [c["amount"] for c in at_gateway["cancel_history"]] == [10_000, 20_000]


async def test_a_foreign_card_pays_a_usd_order_in_english_and_is_refunded_in_cents(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    item = await product(shop, "tee-usd", 1_999, currency="USD")  # $19.99
    placed = await shop.order((item["id"], 1), pg="paymentwall", language="en",
                              buyer={"name": "John Smith", "email": "john@example.com"})  # fmt: skip
    pay = placed["request_pay"]
    assert (pay["amount"], pay["currency"], pay["language"]) == (19.99, "USD", "en")
    prepared = emu.get(f"/payments/prepare/{pay['merchant_uid']}").json()["response"]
    assert (prepared["amount"], prepared["currency"]) == (19.99, "USD")
    rsp = await paid(shop, emu, window, placed, "4242-4242-4242-4242")
    at_gateway = emu.get(f"/payments/{rsp['imp_uid']}").json()["response"]
    assert (at_gateway["amount"], at_gateway["currency"]) == (19.99, "USD")

    order_id = placed["order"]["id"]
    part = await refund(shop, order_id, amount=500)  # $5.00, in cents as every API amount
    assert part.json()["state"] == "succeeded", part.text
    rest = await refund(shop, order_id)
    assert (rest.json()["state"], rest.json()["amount"]) == ("succeeded", 1_499), rest.text
    at_gateway = emu.get(f"/payments/{rsp['imp_uid']}").json()["response"]
    assert [c["amount"] for c in at_gateway["cancel_history"]] == [5.0, 14.99]
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "refunded"


async def test_a_declined_card_fails_the_order_and_gives_the_stock_back(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    item = await product(shop, "tee-declined", 30_000)
    placed = await shop.order((item["id"], 1), pg="nice")
    rsp = window.pay_card(window_params(placed), DECLINED)
    assert (rsp["status"], rsp["error_code"]) == ("failed", "F0002"), rsp
    assert "승인 거절" in rsp["error_msg"]
    assert emu.webhooks(rsp["imp_uid"]) == []  # i'mport sends none for a failure

    answer = await shop.complete(rsp["imp_uid"], rsp["merchant_uid"])
    assert answer.json()["order"]["status"] == "failed", answer.text
    assert await shop.stock(item["id"]) == {"available": 3, "held": 0, "sold": 0}
    view = await payment_view(shop, rsp["imp_uid"])
    assert view["status"] == "failed" and "승인 거절" in view["fail_reason"]
    refused = await refund(shop, placed["order"]["id"])
    assert (refused.status_code, refused.json()["rule"]) == (409, "not_refundable")
    again = await shop.order((item["id"], 1), pg="nice")  # the unit is for sale again
    await paid(shop, emu, window, again, CREDIT)


@pytest.mark.parametrize("shop_options", [OPTIONS], indirect=True)
async def test_a_tax_free_order_with_stated_vat_splits_every_refund(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    book = await product(shop, "book", 12_000, tax_free=True)  # 면세
    pen = await product(shop, "pen", 8_000)
    placed = await shop.order((book["id"], 1), (pen["id"], 1), pg="nice")
    pay = placed["request_pay"]
    assert (pay["amount"], pay["tax_free"], pay["vat_amount"]) == (20_000, 12_000, 727)
    assert pay["app_scheme"] == "myshop://pay" and pay["display"] == {"card_quota": [2, 3]}
    rsp = await paid(shop, emu, window, placed, CREDIT)
    at_gateway = emu.get(f"/payments/{rsp['imp_uid']}").json()["response"]
    assert at_gateway["amount"] == 20_000

    order_id = placed["order"]["id"]
    pen_back = await refund(shop, order_id, amount=5_500)  # no parts named: taxable money
    made = pen_back.json()
    assert (made["state"], made["tax_free"], made["vat_amount"]) == ("succeeded", 0, 500), made
    [attempt] = made["attempts"]
    assert (attempt["request"]["tax_free"], attempt["request"]["vat_amount"]) == (0, 500)
    too_much = await refund(shop, order_id, amount=9_000)  # only 2,500 taxable left
    assert (too_much.status_code, too_much.json()["rule"]) == (422, "tax_free")
    rest = await refund(shop, order_id)
    made = rest.json()
    assert (made["state"], made["amount"], made["tax_free"], made["vat_amount"]) == (
        "succeeded", 14_500, 12_000, 227)  # fmt: skip
    assert await books_agree(shop, emu, placed["order"], rsp["imp_uid"]) == 20_000


@pytest.mark.parametrize("shop_options", [OPTIONS], indirect=True)
async def test_installments_offered_per_product_and_chosen_in_the_window(
    shop: Shop, emu: EmulatorClient, window: WindowClient
) -> None:
    tv = await product(shop, "tv", 600_000, card_quota=[6, 12])
    placed = await shop.order((tv["id"], 1), pg="nice")
    assert placed["request_pay"]["display"] == {"card_quota": [6, 12]}  # the product's own
    opened = window.open(window_params(placed))
    sid = window.sid(opened)
    refused = window.submit(sid, card_number=CREDIT, expiry="12/30", card_quota="3")
    assert (
        window.error(refused) == "선택할 수 없는 할부개월입니다."
    )  # the setting's 3 is not offered
    done = window.rsp(window.submit(sid, card_number=CREDIT, expiry="12/30", card_quota="12"))
    assert done["status"] == "paid" and done["card_quota"] == 12
    await shop.complete(done["imp_uid"], done["merchant_uid"])
    assert (await payment_view(shop, done["imp_uid"]))["card"]["quota"] == 12

    vbank = await shop.order((tv["id"], 1), pg="nice", pay_method="vbank")
    assert "display" not in vbank["request_pay"]  # installments are for cards only
