"""The demo shop over HTTP: its order endpoint's policy, the order page, a refused attempt.

The shop takes writes from anyone, so ``POST /shop/orders`` (like every shop
write) only takes same-origin JSON, at a limited rate per address, and answers
bad input with a 4xx — never a 5xx. The order page is found by merchant_uid
and shows no buyer details. A payment the Confirm Process refused (sold out)
is reported by the page's callback, checked with i'mport, and stays on the
order as its failed attempt.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def buyer_client(shop: Shop, **headers: str) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on the shop's own page: no API key, ``Origin`` the shop, the buyer
    cookie and the page's CSRF token (as ``shop.js`` sends it)."""
    sent = {"origin": shop.url, **headers}
    async with httpx.AsyncClient(base_url=shop.url, timeout=30, headers=sent) as client:
        client.headers["x-csrf-token"] = await page_token(client)
        yield client


async def page_token(client: httpx.AsyncClient, path: str = "/") -> str:
    """The CSRF token of the shop page at ``path`` (its ``<meta name="csrf-token">``)."""
    answer = await client.get(path)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', answer.text)
    assert answer.status_code == 200 and found, answer.text[:500]
    return found[1]


ORDER = {"quantity": 1, "method": "card", "pg": "html5_inicis",
         "buyer": {"name": "홍길동", "email": "hong@example.com", "tel": "010-1234-5678"}}  # fmt: skip


async def place(client: httpx.AsyncClient, product_id: int, **fields: Any) -> httpx.Response:
    return await client.post("/shop/orders", json={**ORDER, "product_id": product_id, **fields})


async def test_an_order_from_the_shop_page_gets_its_request_pay(shop: Shop) -> None:
    product = await shop.product("bag", stock=5, price=129_000)
    await shop.http.patch(f"/api/products/{product['id']}", json={"card_quota": [2, 3, 6]})
    async with buyer_client(shop) as buyer:
        answer = await place(buyer, product["id"], quantity=2)
    assert answer.status_code == 201, answer.text
    placed = answer.json()
    pay = placed["request_pay"]
    assert placed["imp_code"] == "imp00000001"
    assert placed["order_url"] == f"/shop/orders/{pay['merchant_uid']}"
    assert (pay["pg"], pay["pay_method"], pay["amount"]) == ("html5_inicis", "card", 258_000)
    assert pay["display"] == {"card_quota": [2, 3, 6]}
    assert pay["m_redirect_url"] == f"{shop.url}/shop/return"
    assert pay["confirm_url"].startswith(f"{shop.url}/iamport/confirm?token=")
    assert pay["notice_url"] == f"{shop.url}/iamport/webhook"
    order = await shop.order_state(pay["merchant_uid"])
    assert order["status"] == "pending" and order["amount"] == 258_000


@pytest.mark.parametrize(
    ("method", "pg", "pay_method"),
    [("trans", "kcp", "trans"), ("vbank", "nice", "vbank"), ("phone", "danal", "phone"),
     ("kakaopay", None, "card"), ("naverpay", None, "card"), ("tosspay", None, "card")],
)  # fmt: skip
async def test_each_pay_method_maps_to_its_pg(
    shop: Shop, method: str, pg: str | None, pay_method: str
) -> None:
    product = await shop.product("tee", stock=5)
    async with buyer_client(shop) as buyer:
        answer = await place(buyer, product["id"], method=method, pg=pg)
    assert answer.status_code == 201, answer.text
    pay = answer.json()["request_pay"]
    assert (pay["pg"], pay["pay_method"]) == (pg or method, pay_method)
    assert "display" not in pay or pay_method == "card"
    assert ("vbank_due" in pay) == (pay_method == "vbank")  # our deadline, not the PG's


@pytest.mark.parametrize(
    "headers",
    [{"origin": "http://evil.example"}, {"origin": "null"},
     {"origin": "", "sec-fetch-site": "cross-site"}, {"origin": ""},
     {"origin": "", "sec-fetch-site": "same-site"}],
    ids=["other-origin", "null-origin", "cross-site", "no-header", "same-site"],
)  # fmt: skip
async def test_cross_site_writes_are_refused(shop: Shop, headers: dict[str, str]) -> None:
    product = await shop.product("tee", stock=5)
    sent = {k: v for k, v in headers.items() if v}
    async with httpx.AsyncClient(base_url=shop.url, timeout=30, headers=sent) as stranger:
        answer = await place(stranger, product["id"])
    assert answer.status_code == 403, answer.text
    assert answer.json()["title"] == "Cross-site request refused"
    assert (await shop.http.get("/api/orders")).json()["items"] == []


async def test_same_origin_by_fetch_metadata_alone(shop: Shop) -> None:
    product = await shop.product("tee", stock=5)
    async with httpx.AsyncClient(base_url=shop.url, timeout=30,
                                 headers={"sec-fetch-site": "same-origin"}) as page:  # fmt: skip
        page.headers["x-csrf-token"] = await page_token(page)
        assert (await place(page, product["id"])).status_code == 201


async def test_a_write_needs_the_csrf_token_of_its_own_buyer(shop: Shop) -> None:
    product = await shop.product("tee", stock=5)
    async with buyer_client(shop) as buyer, buyer_client(shop) as other:
        own = buyer.headers["x-csrf-token"]
        assert own != other.headers["x-csrf-token"]  # bound to each buyer's cookie
        for token in (None, "", "forged", other.headers["x-csrf-token"], own[:-1]):
            if token is None:
                del buyer.headers["x-csrf-token"]
            else:
                buyer.headers["x-csrf-token"] = token
            answer = await place(buyer, product["id"])
            assert answer.status_code == 403, (token, answer.text)
            assert answer.json()["title"] == "CSRF token missing or wrong"
        buyer.cookies.clear()  # the right token, but no buyer cookie to bind it to
        buyer.headers["x-csrf-token"] = own
        assert (await place(buyer, product["id"])).status_code == 403
        assert (await shop.http.get("/api/orders")).json()["items"] == []
        again = await page_token(buyer)  # a new page, a new buyer, a token that works
        buyer.headers["x-csrf-token"] = again
        assert (await place(buyer, product["id"])).status_code == 201, again


async def test_a_form_post_is_refused(shop: Shop) -> None:
    product = await shop.product("tee", stock=5)
    async with buyer_client(shop) as buyer:
        answer = await buyer.post("/shop/orders", data={"product_id": str(product["id"])})
    assert answer.status_code == 415


@pytest.mark.parametrize(
    ("body", "status"),
    [({"product_id": 999}, 404), ({"product_id": "1"}, 422), ({"quantity": 0}, 422),
     ({"quantity": 11}, 422), ({"method": "bitcoin"}, 422), ({"method": "card", "pg": "danal"}, 422),
     ({"pg": "../../x"}, 422), ({"extra": 1}, 422), ({"buyer": {"name": "a\x00b"}}, 422),
     ({"product_id": 2**70}, 422), ({"buyer": "x"}, 422)],
)  # fmt: skip
async def test_bad_input_is_a_clear_4xx(shop: Shop, body: dict[str, Any], status: int) -> None:
    product = await shop.product("tee", stock=5)
    async with buyer_client(shop) as buyer:
        answer = await buyer.post(
            "/shop/orders", json={**ORDER, "product_id": product["id"], **body}
        )
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"


async def test_unreadable_or_oversized_bodies(shop: Shop) -> None:
    json_type = {"content-type": "application/json"}
    async with buyer_client(shop) as buyer:
        for raw in (b"{", b"[]", b"null", b'{"product_id": 1' + b"}" * 1, b"\xff\xfe"):
            answer = await buyer.post("/shop/orders", content=raw, headers=json_type)
            assert 400 <= answer.status_code < 500, (raw, answer.text)
        big = b'{"buyer": {"name": "' + b"x" * 20_000 + b'"}}'
        answer = await buyer.post("/shop/orders", content=big, headers=json_type)
        assert answer.status_code == 413


async def test_sold_out_and_off_sale_products_are_refused_in_korean(shop: Shop) -> None:
    gone = await shop.product("gone", stock=0)
    async with buyer_client(shop) as buyer:
        answer = await place(buyer, gone["id"])
    assert answer.status_code == 409 and "품절되었습니다" in answer.json()["detail"]


async def test_an_age_gated_product_needs_a_verified_identity(shop: Shop) -> None:
    wine = await shop.product("wine", stock=5)
    gate = await shop.http.put(f"/api/products/{wine['id']}/age-gate", json={"min_age": 19})
    assert gate.status_code == 200, gate.text
    async with buyer_client(shop) as buyer:
        await buyer.get("/")  # the buyer's cookie
        answer = await place(buyer, wine["id"])
    assert answer.status_code == 403, answer.text
    problem = answer.json()
    assert problem["rule"] == "identity_unknown" and "본인인증" in problem["detail"]


@pytest.mark.parametrize("shop_options", [{"shop_write_burst": 2}], indirect=True)
async def test_order_placement_is_rate_limited_per_address(shop: Shop) -> None:
    product = await shop.product("tee", stock=50)
    async with buyer_client(shop) as buyer:
        answers = [await place(buyer, product["id"]) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert int(answers[2].headers["retry-after"]) >= 1


async def test_the_order_page_shows_the_order_and_no_buyer_details(shop: Shop) -> None:
    product = await shop.product("tee", stock=5, price=15_000)
    async with buyer_client(shop) as buyer:
        placed = (await place(buyer, product["id"])).json()
        page = await buyer.get(placed["order_url"])
        missing = await buyer.get("/shop/orders/ord_20990101000000_0000000000000000")
        weird = await buyer.get("/shop/orders/%00bad")
    assert page.status_code == 200 and "15,000원" in page.text and "결제 대기" in page.text
    for detail in ("홍길동", "hong@example.com", "010-1234-5678"):
        assert detail not in page.text
    assert page.headers["x-frame-options"] == "DENY"
    assert missing.status_code == 404 and weird.status_code in (404, 422)


async def test_a_sold_out_refusal_stays_on_the_order(
    shop: Shop, window: WindowClient, emu: EmulatorClient
) -> None:
    """Two buyers, one unit: the second buyer's confirm is refused; the callback reports it,
    the server checks it with i'mport, and the order keeps the failed attempt."""
    product = await shop.product("flash", stock=1)
    async with buyer_client(shop) as first, buyer_client(shop) as second:
        one = (await place(first, product["id"])).json()
        two = (await place(second, product["id"])).json()
        paid = window.pay_card(one["request_pay"])
        refused = window.pay_card(two["request_pay"])
        assert paid["status"] == "paid" and refused["status"] == "failed"
        assert "sold out" in refused["error_msg"]
        report = {"imp_uid": refused["imp_uid"], "merchant_uid": refused["merchant_uid"]}
        assert (await second.post("/iamport/complete", json=report)).status_code == 200
        page = await second.get(two["order_url"])
    order = await shop.order_state(two["request_pay"]["merchant_uid"])
    assert order["status"] == "failed"
    [attempt] = order["payments"]
    assert attempt["imp_uid"] == refused["imp_uid"] and attempt["status"] == "failed"
    assert "sold out" in attempt["fail_reason"]
    assert "품절되었습니다" in page.text
    assert (await shop.stock(product["id"]))["available"] == 0  # the first buyer's unit


async def test_escrow_is_offered_for_cash_payments_on_pgs_that_ship_through_the_api(
    shop: Shop,
) -> None:
    product = await shop.product("safe", stock=5, price=80_000)
    async with buyer_client(shop) as buyer:
        answer = await place(buyer, product["id"], method="vbank", pg="kcp", escrow=True)
        assert answer.status_code == 201, answer.text
        placed = answer.json()
        assert placed["request_pay"]["escrow"] is True
        plain = (await place(buyer, product["id"], method="trans", pg="kcp")).json()
        assert "escrow" not in plain["request_pay"]
        refused = [
            await place(buyer, product["id"], method=m, pg=pg, escrow=True)
            for m, pg in (("card", "html5_inicis"), ("trans", "nice"), ("phone", "danal"))
        ]
        bad = await place(buyer, product["id"], method="trans", escrow="true")
        page = await buyer.get(placed["order_url"])
        plain_page = await buyer.get(plain["order_url"])
    for answer in refused:
        assert (answer.status_code, answer.json()["rule"]) == (422, "escrow_not_offered")
        assert "에스크로(구매안전)" in answer.json()["detail"]
    assert bad.status_code == 422
    assert (await shop.order_state(placed["merchant_uid"]))["escrow"] is True
    assert len((await shop.http.get("/api/orders")).json()["items"]) == 2  # no refused one
    assert "에스크로(구매안전) 결제" in page.text and 'id="escrow"' not in plain_page.text
