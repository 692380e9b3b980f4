"""Security regressions the other files do not hold yet, each attack as a test.

- Session fixation: a session cookie planted before the login is never the one
  the login hands out, and a planted one opens nothing.
- SQL injection on every API lookup that takes text (path and query): a 4xx or
  an empty answer, never a 5xx, and the tables keep their rows.
- Forged webhooks: a webhook for a payment i'mport never made, or claiming
  another order's merchant_uid, changes no order.
- Fuzzed gateway callbacks (Hypothesis): webhook, confirm and complete get
  malformed JSON and form bodies, wrong content types, unicode edge cases
  (lone surrogates, NUL, RTL marks), huge numbers and deep nesting: a 4xx with a
  readable body or a 200 the rule allows, never a 5xx, and nothing paid.

Amount tampering leading to an automatic cancel is ``tests/e2e/test_outcomes.py``
and ``tests/e2e/test_reconcile.py`` (``amount_mismatch``); oversized bodies, NUL in parameters and
out-of-range integers are ``test_attacks.py``; the login limit and CSRF are
``test_admin_access.py``; secrets, card data and PII in logs at DEBUG are
``tests/e2e/test_logs.py`` and in the database ``test_pii_absent_after_a_full_flow`` here.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from paydesk.store import Database
from paydesk.store.tables import metadata, orders, products
from tests.support.admin import http_login, make_staff
from tests.support.emulator import EmulatorClient, seed
from tests.support.window_http import WindowClient

from .conftest import Server

pytestmark = pytest.mark.asyncio

INJECTIONS = ["' OR '1'='1", "1; DROP TABLE orders; --", "x' UNION SELECT * FROM api_keys --",
              "%' OR 1=1 --", '"; DELETE FROM products; --', "\\'; SELECT pg_sleep(0); --"]  # fmt: skip
BUYER = {"name": "김비밀", "tel": "010-9876-5432", "email": "secret.buyer@example.com",
         "addr": "서울특별시 비밀구 숨김로 12", "postcode": "04524"}  # fmt: skip


async def count(server: Server, table: Any) -> int:
    database = Database(server.database_url)
    try:
        async with database.reading() as uow:
            return int((await uow.connection.execute(
                select(func.count()).select_from(table))).scalar_one())  # fmt: skip
    finally:
        await database.dispose()


async def dump(server: Server) -> str:
    database = Database(server.database_url)
    try:
        async with database.reading() as uow:
            rows = [repr(tuple(r)) for t in metadata.sorted_tables
                    for r in await uow.connection.execute(select(t))]  # fmt: skip
    finally:
        await database.dispose()
    return "\n".join(rows)


async def an_order(server: Server, **fields: Any) -> dict[str, Any]:
    async with server.client() as http:
        product = await http.post("/api/products", json={"sku": "sec-1", "name": "보안 상품",
                                                          "price": 12_000, "stock": 5})  # fmt: skip
        assert product.status_code == 201, product.text
        body = {"items": [{"product_id": product.json()["id"], "quantity": 1}],
                "buyer": BUYER, "pay_method": "card", "pg": "html5_inicis", **fields}  # fmt: skip
        placed = await http.post("/api/orders", json=body)
        assert placed.status_code == 201, placed.text
        made: dict[str, Any] = placed.json()
        return made


# -- session fixation ------------------------------------------------------------------------
async def test_a_planted_session_cookie_is_never_the_one_a_login_gives(server: Server) -> None:
    await make_staff(server.database_url)
    planted = "attacker-chosen-session-value-0123456789"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        http.cookies.set("paydesk_admin", planted, path="/admin")
        assert (await http.get("/admin")).status_code == 303  # a planted value opens nothing
        answer = await http_login(http)
        assert answer.status_code == 303, answer.text
        given_cookie = [c for c in answer.headers.get_list("set-cookie")
                        if c.startswith("paydesk_admin=")]  # fmt: skip
        assert given_cookie and planted not in given_cookie[0]
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as other:
        other.cookies.set("paydesk_admin", planted, path="/admin")
        assert (await other.get("/admin")).status_code == 303  # still nothing after the login


# -- SQL injection ---------------------------------------------------------------------------
@pytest.mark.parametrize("attack", INJECTIONS)
async def test_sql_injection_on_every_text_lookup_is_inert(server: Server, attack: str) -> None:
    await an_order(server)
    before = (await count(server, orders), await count(server, products))
    quoted = quote(attack, safe="")
    paths = [f"/api/orders/by-merchant-uid/{quoted}", f"/api/payments/{quoted}",
             f"/api/orders?status={quoted}", f"/api/subscriptions?customer_uid={quoted}",
             f"/api/subscriptions?status={quoted}", f"/api/customers/{quoted}/billing-key",
             f"/api/products?sku={quoted}", f"/api/orders?merchant_uid={quoted}"]  # fmt: skip
    async with server.client() as http:
        for path in paths:
            answer = await http.get(path)
            assert answer.status_code < 500, (path, answer.text)
            if answer.status_code == 200:
                body = answer.json()
                items = body.get("items", body) if isinstance(body, dict) else body
                assert not items or path.startswith("/api/products") or "status" not in path, (
                    path, body)  # fmt: skip
    assert (await count(server, orders), await count(server, products)) == before


# -- forged webhooks -------------------------------------------------------------------------
async def test_forged_webhooks_change_no_order(server: Server, emu: EmulatorClient) -> None:
    placed = await an_order(server)
    merchant_uid = placed["request_pay"]["merchant_uid"]
    other = seed(emu, amount=12_000)  # a real payment, of another merchant_uid
    async with server.client(key=None) as http:
        for forged in ({"imp_uid": "imp_000000000000", "merchant_uid": merchant_uid,
                        "status": "paid"},
                       {"imp_uid": other["imp_uid"], "merchant_uid": merchant_uid,
                        "status": "paid"}):  # fmt: skip
            answer = await http.post("/iamport/webhook", json=forged)
            assert answer.status_code < 500, answer.text
    async with server.client() as http:
        order = (await http.get(f"/api/orders/by-merchant-uid/{merchant_uid}")).json()
    assert order["status"] == "pending" and order["paid_amount"] == 0, order


# -- PII and card data in the database -------------------------------------------------------
async def test_pii_absent_after_a_full_flow(
    server: Server, emu: EmulatorClient, window: WindowClient
) -> None:
    """Card numbers never reach the database; the buyer's details only the order's own row."""
    placed = await an_order(server)
    params = {k: v for k, v in placed["request_pay"].items() if v is not None}
    rsp = window.pay_card(params, "4111-1111-1111-1111")
    assert rsp["status"] == "paid", rsp
    async with server.client() as http:
        done = await http.post("/iamport/complete", json={"imp_uid": rsp["imp_uid"],
                                                          "merchant_uid": rsp["merchant_uid"]})  # fmt: skip
        assert done.json()["order"]["status"] == "paid", done.text
        refunded = await http.post(f"/api/orders/{placed['order']['id']}/refunds",
                                   json={"reason": "보안 점검"})  # fmt: skip
        assert refunded.status_code == 201, refunded.text
    rows = await dump(server)
    for card in ("4111111111111111", "4111-1111-1111-1111", "12/30"):
        assert card not in rows
    # the buyer's details live in the order's buyer column alone (and i'mport's raw copy)
    database = Database(server.database_url)
    try:
        async with database.reading() as uow:
            other = [repr(tuple(r)) for t in metadata.sorted_tables
                     if t.name not in ("orders", "payments", "gateway_calls")
                     for r in await uow.connection.execute(select(t))]  # fmt: skip
    finally:
        await database.dispose()
    for secret in (BUYER["email"], BUYER["tel"], BUYER["addr"]):
        assert not [r for r in other if secret in r], secret


# -- fuzzed gateway callbacks ----------------------------------------------------------------
UNICODE = st.sampled_from(["\ud800", "\udfff", "\x00", "\u202e", "\u200f", "\ufeff", "𝕏",
                           "a\x00b", "\u202egnp.exe", "\U0010ffff"])  # fmt: skip
SCALAR = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), UNICODE,
)  # fmt: skip
JSONISH = st.recursive(SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["imp_uid", "merchant_uid", "status", "amount", "x"]), inner, max_size=4)),
    max_leaves=12)  # fmt: skip


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """A request body and its content type: valid-looking, broken or hostile."""
    kind = draw(st.sampled_from(["json", "broken-json", "form", "deep", "wrong-type", "bytes"]))
    fields = draw(st.dictionaries(st.sampled_from(["imp_uid", "merchant_uid", "status", "amount"]),
                                  SCALAR, max_size=4))  # fmt: skip
    if kind == "json":
        return json.dumps(draw(JSONISH) if draw(st.booleans()) else fields,
                          default=str).encode("utf-8", "surrogatepass"), "application/json"  # fmt: skip
    if kind == "broken-json":
        return b'{"imp_uid": "imp_1", "amount": 1' + draw(st.binary(max_size=8)), "application/json"
    if kind == "form":
        text = "&".join(f"{k}={quote(str(v), safe='')}" for k, v in fields.items())
        return text.encode("utf-8", "surrogatepass"), "application/x-www-form-urlencoded"
    if kind == "deep":
        depth = draw(st.integers(50, 400))
        return b"[" * depth + b"]" * depth, "application/json"
    if kind == "wrong-type":
        return json.dumps(fields, default=str).encode(), draw(st.sampled_from(
            ["text/plain", "application/xml", "multipart/form-data", "", "application/json; charset=utf-16"]))  # fmt: skip
    return draw(st.binary(max_size=64)), draw(st.sampled_from(["application/json",
                                                                 "application/x-www-form-urlencoded"]))  # fmt: skip


@pytest.mark.slow
async def test_gateway_callbacks_answer_every_fuzzed_body_with_a_4xx_or_their_rule(
    server: Server,
) -> None:
    placed = await an_order(server)
    confirm = placed["request_pay"]["confirm_url"].removeprefix(server.url)
    before = await count(server, orders)
    seen: list[tuple[str, int]] = []

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(path=st.sampled_from(["/iamport/webhook", confirm, "/iamport/complete"]), body=bodies())
    def probe(path: str, body: tuple[bytes, str]) -> None:
        content, content_type = body
        headers = {"content-type": content_type} if content_type else {}
        with httpx.Client(base_url=server.url, timeout=30) as http:
            answer = http.post(path, content=content, headers=headers)
        seen.append((path, answer.status_code))
        assert answer.status_code < 500, (path, content[:200], answer.text[:500])
        if answer.status_code >= 400:
            assert answer.content, "a refusal says why"

    await _in_thread(probe)
    assert {p for p, _ in seen} >= {"/iamport/webhook", "/iamport/complete"}
    assert await count(server, orders) == before  # nothing placed, and nothing paid:
    async with server.client() as http:
        order = (await http.get(f"/api/orders/by-merchant-uid/"
                                f"{placed['request_pay']['merchant_uid']}")).json()  # fmt: skip
    assert order["status"] in ("pending", "held", "failed") and order["paid_amount"] == 0, order


async def _in_thread(function: Any) -> None:
    import asyncio

    await asyncio.to_thread(function)
