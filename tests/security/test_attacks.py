"""The attacks of issue [5/12], replayed against the real server on both databases.

Each must be refused, and each must leave no stored body and no state change
beyond what the rule says: prices stay, stock stays available, the inbox does
not grow, nothing answers 5xx.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from paydesk.store import Database
from paydesk.store.ledger_records import InboxRecord
from paydesk.store.tables import confirm_decisions, orders, webhook_inbox
from tests.support.emulator import EmulatorClient
from tests.support.raw_http import post_streaming
from tests.support.window_http import WindowClient

from .conftest import Server

pytestmark = pytest.mark.asyncio
MB = 1024 * 1024
IAMPORT = "52.78.100.19"
ATTACKER = "198.51.100.66"


async def _inbox(server: Server) -> list[InboxRecord]:
    database = Database(server.database_url)
    try:
        async with database.reading() as uow:
            rows = await uow.connection.execute(select(webhook_inbox).order_by(webhook_inbox.c.id))
            return [InboxRecord.from_row(row) for row in rows]
    finally:
        await database.dispose()


async def _count(server: Server, table: Any) -> int:
    database = Database(server.database_url)
    try:
        async with database.reading() as uow:
            return int(
                (await uow.connection.execute(select(func.count()).select_from(table))).scalar_one()
            )
    finally:
        await database.dispose()


async def _database_bytes(server: Server) -> int:
    """How much room the database takes: the SQLite files, or PostgreSQL's inbox table."""
    if server.database_url.startswith("sqlite"):
        path = Path(server.database_url.split("///", 1)[1])
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    database = Database(server.database_url)
    try:
        async with database.reading() as uow:
            size = "SELECT pg_total_relation_size('webhook_inbox')"
            return int((await uow.connection.execute(text(size))).scalar_one())
    finally:
        await database.dispose()


async def _product(http: httpx.AsyncClient, sku: str, price: int, stock: int) -> dict[str, Any]:
    answer = await http.post("/api/products",
                             json={"sku": sku, "name": sku, "price": price, "stock": stock})  # fmt: skip
    assert answer.status_code == 201, answer.text
    product: dict[str, Any] = answer.json()
    return product


async def _order(http: httpx.AsyncClient, product_id: int) -> dict[str, Any]:
    body = {"items": [{"product_id": product_id, "quantity": 1}], "pg": "html5_inicis",
            "buyer": {"name": "홍길동", "tel": "010-1234-5678"}}  # fmt: skip
    answer = await http.post("/api/orders", json=body)
    assert answer.status_code == 201, answer.text
    request_pay: dict[str, Any] = answer.json()["request_pay"]
    return request_pay


# -- anyone can call anything ------------------------------------------------------------


async def test_repricing_without_a_key_is_refused_and_the_price_stays(server: Server) -> None:
    async with server.client() as merchant, server.client(None) as anonymous, \
            server.client("read") as reader:  # fmt: skip
        tv = await _product(merchant, "tv", 990_000, 1)
        assert (
            await anonymous.patch(f"/api/products/{tv['id']}", json={"price": 100})
        ).status_code == 401
        assert (
            await reader.patch(f"/api/products/{tv['id']}", json={"price": 100})
        ).status_code == 403
        assert (await merchant.get(f"/api/products/{tv['id']}")).json()["price"] == 990_000
        # nor can the anonymous buyer order it, or walk the orders and payments
        order = {"items": [{"product_id": tv["id"], "quantity": 1}]}
        assert (await anonymous.post("/api/orders", json=order)).status_code == 401
        for path in ("/api/orders/1", "/api/payments", "/api/payments/imp_1", "/api/products"):
            assert (await anonymous.get(path)).status_code == 401, path
    assert await _count(server, orders) == 0


async def test_confirm_flooding_holds_nothing_and_the_real_buyer_gets_the_stock(
    server: Server, emu: EmulatorClient, window: WindowClient
) -> None:
    async with server.client() as merchant:
        product = await _product(merchant, "limited", 30_000, 3)
        placed = [await _order(merchant, product["id"]) for _ in range(3)]
    other_token = placed[0]["confirm_url"].split("token=")[1]
    async with server.client(None) as attacker:
        for i, request_pay in enumerate(placed):
            body = {"imp_uid": f"imp_fake{i}", "merchant_uid": request_pay["merchant_uid"],
                    "amount": 30_000}  # fmt: skip
            for path in ("/iamport/confirm", "/iamport/confirm?token=forged",
                         f"/iamport/confirm?token={other_token}" if i else "/iamport/confirm?token="):  # fmt: skip
                answer = await attacker.post(path, json=body)
                assert (answer.status_code, answer.json()) == (403, {"reason": "forbidden"}), path
    async with server.client() as merchant:
        stock = (await merchant.get(f"/api/products/{product['id']}")).json()["stock"]
    assert stock == {"available": 3, "held": 0, "sold": 0}
    assert await _count(server, confirm_decisions) == 0  # the floods left no trace to replay

    # the real buyer pays through i'mport, which posts to the signed confirm_url
    rsp = window.pay_card({k: v for k, v in placed[0].items() if v is not None})
    assert rsp["status"] == "paid", rsp
    assert [c["status"] for c in emu.control("GET", "/confirms")] == [200]


# -- bad input breaks the store-first rule -----------------------------------------------


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_a_fifty_megabyte_webhook_is_refused_unread_and_nothing_grows(
    server: Server, chunked: bool
) -> None:
    before = await _database_bytes(server)
    for path in ("/iamport/webhook", "/iamport/complete", "/iamport/confirm?token=x"):
        answer = post_streaming(server.url + path, 50 * MB, chunked=chunked)
        assert answer.status == 413, path
    confirm = post_streaming(server.url + "/iamport/confirm?token=x", 50 * MB, chunked=chunked)
    assert json.loads(confirm.body) == {"reason": "request too large"}  # what i'mport shows
    problem = json.loads(post_streaming(server.url + "/iamport/webhook", 50 * MB).body)
    assert (problem["status"], problem["title"]) == (413, "Content Too Large")
    assert await _inbox(server) == []
    assert await _database_bytes(server) - before < 64 * 1024


DEEP = b"[" * 100_000 + b"]" * 100_000


async def test_nesting_beyond_the_body_limit_is_refused_unread(server: Server) -> None:
    async with server.client(None) as http:
        for path in ("/iamport/webhook", "/iamport/complete"):
            answer = await http.post(
                path, content=DEEP, headers={"content-type": "application/json"}
            )
            assert answer.status_code == 413, path
    assert await _inbox(server) == []


@pytest.mark.parametrize("server_options", [{"max_body_bytes_gateway": 4 * MB}], indirect=True)
async def test_nesting_within_the_body_limit_is_stored_and_refused_4xx(server: Server) -> None:
    deep_object = b'{"imp_uid": ' * 100_000 + b"1" + b"}" * 100_000
    async with server.client(None) as http:
        for body in (DEEP, deep_object):
            webhook = await http.post("/iamport/webhook", content=body,
                                      headers={"content-type": "application/json"})  # fmt: skip
            assert webhook.status_code == 400, webhook.text
            complete = await http.post("/iamport/complete", content=body,
                                       headers={"content-type": "application/json"})  # fmt: skip
            assert complete.status_code == 400, complete.text
            assert complete.headers["content-type"] == "application/problem+json"
    stored = await _inbox(server)  # a delivery that can be stored is stored, verbatim
    assert [(r.body, r.outcome) for r in stored] == [
        (DEEP, "unreadable"),
        (deep_object, "unreadable"),
    ]


async def test_nesting_on_the_api_and_the_shop_is_a_400_problem_and_changes_nothing(
    server: Server,
) -> None:
    """Every surface has a JSON depth limit, not only the callbacks: a body nested past
    ``MAX_JSON_DEPTH`` is answered 400 before it is parsed, whatever its size."""
    async with server.client() as merchant:
        product = await _product(merchant, "lamp", 20_000, 2)
    just_past = b'{"items": ' + b"[" * 40 + b"]" * 40 + b"}"  # small, but 41 levels
    json_headers = {"content-type": "application/json"}
    writes = [
        ("POST", "/api/products", "all", {}),
        ("PATCH", f"/api/products/{product['id']}", "all", {}),
        ("POST", "/api/orders", "all", {}),
        ("POST", "/shop/orders", None, {"origin": server.url}),
    ]
    for method, path, key, extra in writes:
        limit = 8 * 1024 if path.startswith("/shop/") else 256 * 1024
        levels = limit // 2 - 16
        for body in (b"[" * levels + b"]" * levels, just_past):
            async with server.client(key, **json_headers, **extra) as http:
                answer = await http.request(method, path, content=body)
            assert answer.status_code == 400, (method, path, len(body), answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
            assert "nested" in answer.json()["detail"], answer.text
    for path in ("/api/orders", "/shop/orders"):  # the depth check reads no more than the limit
        streamed = post_streaming(server.url + path, 50 * MB, chunked=True)
        assert (streamed.status, streamed.sent < 50 * MB // 4) == (413, True), path
    async with server.client() as merchant:
        after = (await merchant.get(f"/api/products/{product['id']}")).json()
        assert (after["price"], after["stock"]["available"]) == (20_000, 2)
        assert [p["sku"] for p in (await merchant.get("/api/products")).json()["items"]] == ["lamp"]
    assert await _count(server, orders) == 0


@pytest.mark.parametrize(
    ("body", "imp_uid"),
    [
        (
            b'{"imp_uid": "imp_\\ud800", "merchant_uid": "ord_\\udfff", "status": "paid"}',
            "imp_\\ud800",
        ),
        (b'{"imp_uid": "imp_\\u0000", "status": "paid"}', "imp_\\x00"),
        (b'{"imp_uid": "imp_\xff\xfe", "status": "paid"}', "imp_\ufffd\ufffd"),
    ],
    ids=["lone-surrogate", "nul", "invalid-utf8"],
)
async def test_unstorable_text_is_stored_escaped_never_a_5xx(
    server: Server, body: bytes, imp_uid: str
) -> None:
    json_headers = {"content-type": "application/json"}
    async with server.client(None) as http:
        webhook = await http.post("/iamport/webhook", content=body, headers=json_headers)
        complete = await http.post("/iamport/complete", content=body, headers=json_headers)
        confirm = await http.post("/iamport/confirm?token=x", content=body, headers=json_headers)
    assert webhook.status_code == 200, webhook.text  # stored: i'mport must not redeliver forever
    assert complete.status_code < 500, complete.text
    assert confirm.status_code in (400, 403), confirm.text
    [row] = await _inbox(server)
    assert (row.body, row.imp_uid) == (body, imp_uid)
    assert row.imp_uid is not None
    row.imp_uid.encode("utf-8")  # strict: a real, storable string


@pytest.mark.parametrize(
    "path",
    [
        "/api/orders?pg=%1F%00",
        "/api/orders?status=paid&pay_method=%00",
        "/api/orders/by-merchant-uid/ord_%00",
        "/api/payments?merchant_uid=%00",
        "/api/payments/imp_%00",
        "/api/products?after=1%00",
        "/iamport/complete?merchant_uid=ord_%00",
        "/iamport/complete?imp_uid=imp_%ED%A0%80",
    ],
)
async def test_nul_and_broken_text_in_parameters_are_never_500(server: Server, path: str) -> None:
    """PostgreSQL refuses NUL in any text (400 then); SQLite just finds nothing (200/404)."""
    async with server.client() as http:
        answer = await http.get(path)
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400 and path.startswith("/api/"):
        assert answer.headers["content-type"] == "application/problem+json"


async def test_form_bodies_with_broken_percent_escapes_are_stored(server: Server) -> None:
    body = b"imp_uid=imp_%ED%A0%80%00&status=paid&merchant_uid=%FF"
    async with server.client(None) as http:
        answer = await http.post("/iamport/webhook", content=body,
                                 headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    [row] = await _inbox(server)
    assert row.body == body and row.imp_uid is not None


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/orders/18446744073709551617", 422),
        ("/api/orders/9223372036854775808", 422),
        ("/api/orders/9223372036854775807", 404),
        ("/api/orders/0", 422),
        ("/api/products/18446744073709551617", 422),
        ("/api/products/-1", 422),
        ("/api/products?after=18446744073709551617", 422),
        ("/api/products?after=9223372036854775807", 200),
        ("/api/payments?offset=18446744073709551617", 422),
        ("/api/payments?offset=9223372036854775807", 200),
        ("/api/payments?limit=18446744073709551617", 422),
    ],
)
async def test_integers_out_of_range_are_4xx_never_500(
    server: Server, path: str, status: int
) -> None:
    async with server.client() as http:
        answer = await http.get(path)
    assert answer.status_code == status, answer.text
    if status >= 400:
        assert answer.headers["content-type"] == "application/problem+json"


async def test_an_order_total_beyond_any_column_is_refused(
    server: Server, emu: EmulatorClient
) -> None:
    async with server.client() as http:
        dear = await _product(http, "dear", 2**53, 10_000)
        for items in (
            [{"product_id": dear["id"], "quantity": 10_000}],  # 9 × 10^19: past int64
            [{"product_id": dear["id"], "quantity": 1}],  # past the 10^12 cap
            [{"product_id": 2**64, "quantity": 1}],
        ):
            answer = await http.post("/api/orders", json={"items": items})
            assert answer.status_code == 422, answer.text
            assert answer.headers["content-type"] == "application/problem+json"
        patch = await http.patch(f"/api/products/{dear['id']}", json={"price": 2**63})
        assert patch.status_code == 422
    assert await _count(server, orders) == 0
    assert emu.control("GET", "/confirms") == []


# -- the two-line X-Forwarded-For bypass ---------------------------------------------------


BEHIND_PROXY = {"trusted_proxies": "127.0.0.1/32", "webhook_allowed_ips": IAMPORT,
                "confirm_allowed_ips": IAMPORT}  # fmt: skip


@pytest.mark.parametrize("server_options", [BEHIND_PROXY], indirect=True)
async def test_a_forged_first_forwarded_line_passes_no_allow_list(server: Server) -> None:
    async with server.client() as merchant:
        product = await _product(merchant, "fan", 60_000, 1)
        request_pay = await _order(merchant, product["id"])
    confirm_path = request_pay["confirm_url"].removeprefix(server.url)
    body = {"imp_uid": "imp_bypass", "merchant_uid": request_pay["merchant_uid"], "amount": 60_000}
    two_lines = [("X-Forwarded-For", IAMPORT), ("X-Forwarded-For", ATTACKER)]
    async with server.client(None) as http:
        webhook = await http.post("/iamport/webhook", json=body, headers=two_lines)
        confirm = await http.post(confirm_path, json=body, headers=two_lines)
        assert webhook.status_code == 403
        assert (confirm.status_code, confirm.json()) == (403, {"reason": "forbidden"})
        # what the proxy says for i'mport itself still gets through
        honest = await http.post(confirm_path, json=body, headers={"X-Forwarded-For": IAMPORT})
        assert honest.status_code == 200, honest.text
    [refused] = await _inbox(server)
    assert (refused.source_ip, refused.outcome, refused.body) == (ATTACKER, "forbidden source", b"")
    assert refused.body_size == len(webhook.request.content)
