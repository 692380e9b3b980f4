"""The admin console's dashboard, transaction search and export, order page and actions over
HTTP: the real server on a socket with a worker, paying and refunding at the emulator, on
both databases.

Each test logs a staff user in through the real login form and reads pages as a person
would; what was done is checked in our books (the API) and at the emulator.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio

from paydesk.services.transaction_csv import KST
from tests.support.admin import csrf_of, http_login, make_staff
from tests.support.emulator import EmulatorClient, seed

from .harness import Shop, underpaid_by_webhook, webhook_jobs_settled

pytestmark = pytest.mark.asyncio
FLASH = re.compile(r'<p class="flash flash--(ok|error)" role="status">([^<]*)</p>')
ORDER_LINK = re.compile(r'href="/admin/orders/(\d+)" data-testid="order-link"')


@pytest_asyncio.fixture
async def staff(shop: Shop) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client logged in to the admin console of ``shop``."""
    await make_staff(shop.services)
    async with httpx.AsyncClient(base_url=shop.url, timeout=30) as http:
        assert (await http_login(http)).status_code == 303
        yield http


async def paid_order(
    shop: Shop, emu: EmulatorClient, *, sku: str = "lamp", price: int = 30_000,
    buyer: dict[str, str] | None = None, **payment: Any,
) -> dict[str, Any]:  # fmt: skip
    """An order paid at the emulator and settled by the completion call; the API's order."""
    product = await shop.product(sku, stock=5, price=price)
    placed = await shop.order((product["id"], 1), buyer=buyer or {"name": "홍길동",
                                                                   "email": "hong@example.com"})  # fmt: skip
    merchant_uid = placed["request_pay"]["merchant_uid"]
    made = seed(emu, merchant_uid=merchant_uid, amount=price, **payment)
    done = await shop.http.post("/iamport/complete", json={"imp_uid": made["imp_uid"]})
    assert done.json()["order"]["status"] == "paid", done.text
    return await shop.order_state(merchant_uid)


def flash(html: str) -> tuple[str, str]:
    found = FLASH.search(html)
    assert found, "no flash message on the page"
    return found[1], found[2]


def order_ids(html: str) -> list[int]:
    return [int(found) for found in ORDER_LINK.findall(html)]


async def refund_form(staff: httpx.AsyncClient, order_id: int) -> dict[str, str]:
    """The order page's refund form fields (its CSRF token and form key)."""
    page = await staff.get(f"/admin/orders/{order_id}")
    assert page.status_code == 200, page.text
    key = re.search(r'name="form_key" value="([^"]+)"', page.text)
    assert key
    return {"csrf_token": csrf_of(page.text), "form_key": key[1]}


def cancelled_at_emulator(emu: EmulatorClient, imp_uid: str) -> int:
    amount: int = emu.get(f"/payments/{imp_uid}").json()["response"]["cancel_amount"]
    return amount


async def test_every_page_renders_and_the_search_finds_a_payment_by_each_of_its_ids(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    order = await paid_order(shop, emu)
    [payment] = order["payments"]
    assert payment["apply_num"] and payment["pg_tid"]
    board = await staff.get("/admin")
    assert board.status_code == 200
    assert 'data-testid="today-sales"' in board.text and "30,000원" in board.text
    assert '<script type="application/json" id="dashboard-data">' in board.text
    assert '<script src="/static/vendor/chart-4.4.7.umd.js">' in board.text
    assert re.search(r"\son[a-z]+=", board.text) is None  # no inline event handlers

    today = shop.clock.now().astimezone(KST).date()
    for query in ({"apply_num": payment["apply_num"]}, {"pg_tid": payment["pg_tid"]},
                  {"imp_uid": payment["imp_uid"]}, {"merchant_uid": order["merchant_uid"]},
                  {"buyer": "길동"}, {"buyer": "HONG@EXAMPLE"}, {"status": "paid"},
                  {"method": "card"}, {"date_from": today.isoformat(), "date_to": today.isoformat()}):  # fmt: skip
        page = await staff.get("/admin/payments", params=query)
        assert page.status_code == 200, (query, page.text)
        assert order_ids(page.text) == [order["id"]], query
    for query in ({"apply_num": "00000000"}, {"status": "refunded"}, {"method": "vbank"},
                  {"date_to": (today - timedelta(days=1)).isoformat()}):  # fmt: skip
        page = await staff.get("/admin/payments", params=query)
        assert page.status_code == 200 and order_ids(page.text) == [], query
        assert 'data-testid="none"' in page.text

    detail = await staff.get(f"/admin/orders/{order['id']}")
    assert detail.status_code == 200
    for value in (payment["imp_uid"], payment["apply_num"], payment["pg_tid"],
                  order["merchant_uid"], "hong@example.com"):  # fmt: skip
        assert value in detail.text, value
    assert 'data-kind="payment"' in detail.text and 'data-kind="call"' in detail.text
    assert (await staff.get("/admin/orders/999999")).status_code == 404

    await staff.post("/admin/lang", data={"lang": "en", "next": "/admin/payments",
                                          "csrf_token": csrf_of(board.text)})  # fmt: skip
    english = await staff.get("/admin/payments")
    assert "Approval number" in english.text and "승인번호" not in english.text


async def test_paging_keeps_the_filters(shop: Shop, staff: httpx.AsyncClient) -> None:
    product = await shop.product("pen", stock=50, price=1_000)
    for i in range(5):
        await shop.order((product["id"], 1), buyer={"name": f"페이지{i}"})
    await shop.order((product["id"], 1), buyer={"name": "다른 사람"})
    seen: list[int] = []
    url: str | None = "/admin/payments?buyer=%ED%8E%98%EC%9D%B4%EC%A7%80&per_page=2"
    while url is not None:
        page = await staff.get(url)
        assert page.status_code == 200, page.text
        seen += order_ids(page.text)
        found = re.search(r'href="(/admin/payments\?[^"]+)" rel="next"', page.text)
        url = found[1].replace("&amp;", "&") if found else None
        if url:
            assert "buyer=" in url and "per_page=2" in url
    assert len(seen) == 5 and len(set(seen)) == 5
    assert "3 / 3" in page.text


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-13-01"},
        {"date_from": "2026-02-10", "date_to": "2026-02-01"},
        {"status": "nope"},
        {"attention": "everything"},
        {"page": "x"},
        {"page": "0"},
        {"per_page": "1000"},
        {"imp_uid": "imp_" + "9" * 40},
        {"buyer": "a\x00b"},
    ],
)
async def test_a_bad_filter_is_a_readable_400(
    shop: Shop, staff: httpx.AsyncClient, query: dict[str, str]
) -> None:
    paging = {"page", "per_page"} & set(query)  # the export has no pages
    for path in ("/admin/payments",) if paging else ("/admin/payments", "/admin/payments.csv"):
        page = await staff.get(path, params=query)
        assert page.status_code == 400, (path, query, page.text)
        assert (
            'data-testid="filter-error"' in page.text
            and "검색 조건이 올바르지 않습니다" in page.text
        )


async def test_injection_looking_input_is_plain_text(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    odd = "Robert'); DROP TABLE orders;--<script>x</script>"
    order = await paid_order(shop, emu, buyer={"name": odd, "email": "=1+2@example.com"})
    await paid_order(shop, emu, sku="other", buyer={"name": "평범한 구매자"})
    for attack in ("' OR '1'='1", "%", "_", '" OR 1=1 --', "'; DELETE FROM orders; --"):
        page = await staff.get("/admin/payments", params={"buyer": attack})
        assert page.status_code == 200 and order_ids(page.text) == [], attack
        page = await staff.get("/admin/payments", params={"merchant_uid": attack})
        assert page.status_code == 200 and order_ids(page.text) == [], attack
    page = await staff.get("/admin/payments", params={"buyer": "DROP TABLE"})
    assert order_ids(page.text) == [order["id"]]
    assert "<script>x</script>" not in page.text and "&lt;script&gt;x&lt;/script&gt;" in page.text
    assert len(order_ids((await staff.get("/admin/payments")).text)) == 2  # nothing dropped

    export = await staff.get("/admin/payments.csv", params={"buyer": "robert"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith('attachment; filename="paydesk-')
    assert export.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r["merchant_uid"] for r in rows] == [order["merchant_uid"]]
    assert rows[0]["buyer_email"] == "'=1+2@example.com"  # no formula in a spreadsheet
    assert rows[0]["buyer_name"] == odd and rows[0]["status"] == "paid"
    everything = await staff.get("/admin/payments.csv")
    assert len(list(csv.DictReader(io.StringIO(everything.content.decode("utf-8-sig"))))) == 2


async def test_the_refund_form_refuses_what_it_cannot_do_and_sends_nothing(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    order = await paid_order(shop, emu)
    imp_uid = order["payments"][0]["imp_uid"]
    form = await refund_form(staff, order["id"])
    cases = [
        ({"amount": "40000", "reason": "고객 요청"}, "환불 가능 금액을 넘었습니다"),
        ({"amount": "abc", "reason": "고객 요청"}, "환불 금액은 1 이상의 정수"),
        ({"amount": "0", "reason": "고객 요청"}, "환불 금액은 1 이상의 정수"),
        ({"amount": "1000", "reason": ""}, "환불 사유를 입력하세요"),
        ({"amount": "1000", "reason": "x", "tax_free": "-5"}, "면세 금액과 부가세는"),
        ({"amount": "1000", "reason": "x", "tax_free": "2000"}, "면세 금액이 맞지 않습니다"),
        ({"amount": "1000", "reason": "x", "refund_bank": "004"}, "환불 계좌는 예금주"),
    ]
    for fields, message in cases:
        answer = await staff.post(f"/admin/orders/{order['id']}/refunds", data={**form, **fields})
        assert answer.status_code == 422, (fields, answer.status_code)
        assert 'data-testid="refund-error"' in answer.text and message in answer.text, fields
        assert f'value="{fields["amount"]}"' in answer.text  # the form keeps what was typed
    answer = await staff.post(f"/admin/orders/{order['id']}/refunds",
                              data={**form, "form_key": "short", "reason": "x"})  # fmt: skip
    assert answer.status_code == 422 and "새로 고친 뒤" in answer.text
    assert (await shop.order_state(order["merchant_uid"]))["refunds"] == []
    assert cancelled_at_emulator(emu, imp_uid) == 0


async def test_one_refund_form_submitted_twice_refunds_once(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    order = await paid_order(shop, emu)
    imp_uid = order["payments"][0]["imp_uid"]
    url = f"/admin/orders/{order['id']}/refunds"
    fields = {**await refund_form(staff, order["id"]), "amount": "10,000", "reason": "부분 환불"}

    first = await staff.post(url, data=fields)
    assert first.status_code == 303 and first.headers["location"].endswith("#timeline")
    kind, text = flash((await staff.get(first.headers["location"])).text)
    assert kind == "ok" and "10,000원" in text and "환불 완료" in text, text
    again = await staff.post(url, data=fields)  # the browser's second click, or a reload
    assert again.status_code == 303
    page = await staff.get(again.headers["location"])
    assert "이미 제출된 환불 양식입니다" in flash(page.text)[1]
    assert page.text.count('data-testid="refund-state"') == 1

    both = {**await refund_form(staff, order["id"]), "amount": "5000", "reason": "동시 제출"}
    answers = await asyncio.gather(staff.post(url, data=both), staff.post(url, data=both))
    assert [a.status_code for a in answers] == [303, 303]
    await shop.run_worker()
    state = await shop.order_state(order["merchant_uid"])
    assert sorted(r["amount"] for r in state["refunds"]) == [5_000, 10_000]
    assert state["refunded_amount"] == 15_000 == cancelled_at_emulator(emu, imp_uid)


async def test_a_virtual_account_order_asks_for_the_refund_account(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    order = await paid_order(shop, emu, pay_method="vbank")
    page = await staff.get(f"/admin/orders/{order['id']}")
    assert 'data-testid="refund-account"' in page.text and 'name="refund_holder"' in page.text
    form = await refund_form(staff, order["id"])
    missing = await staff.post(f"/admin/orders/{order['id']}/refunds",
                               data={**form, "reason": "고객 요청"})  # fmt: skip
    assert missing.status_code == 422 and "환불 계좌가 필요하거나" in missing.text
    bad = {**form, "reason": "x", "refund_holder": "홍길동", "refund_bank": "004",
           "refund_account": "12", "refund_tel": "010"}  # fmt: skip
    answer = await staff.post(f"/admin/orders/{order['id']}/refunds", data=bad)
    assert answer.status_code == 422
    assert "환불 계좌는 예금주" in answer.text and "연락처는 숫자와" in answer.text
    assert (await shop.order_state(order["merchant_uid"]))["refunds"] == []
    card = await paid_order(shop, emu, sku="card")
    assert 'name="refund_holder"' not in (await staff.get(f"/admin/orders/{card['id']}")).text


async def test_a_webhook_is_replayed_from_the_order_page(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    order = await paid_order(shop, emu)
    imp_uid = order["payments"][0]["imp_uid"]
    body = {"imp_uid": imp_uid, "merchant_uid": order["merchant_uid"], "status": "paid"}
    assert (await shop.http.post("/iamport/webhook", json=body)).status_code == 200
    page = await staff.get(f"/admin/orders/{order['id']}")
    found = re.search(r'action="(/admin/orders/\d+/webhooks/(\d+)/replay)"', page.text)
    assert found, "no replay form on the webhook entry"
    assert "<details" in page.text and "&#34;imp_uid&#34;" in page.text  # the raw body, escaped
    answer = await staff.post(found[1], data={"csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303
    kind, text = flash((await staff.get(answer.headers["location"])).text)
    assert kind == "ok" and f"#{found[2]}" in text, text
    assert (await shop.order_state(order["merchant_uid"]))["status"] == "paid"

    other = await paid_order(shop, emu, sku="other")
    elsewhere = found[1].replace(f"/orders/{order['id']}/", f"/orders/{other['id']}/")
    answer = await staff.post(elsewhere, data={"csrf_token": csrf_of(page.text)})
    kind, text = flash((await staff.get(answer.headers["location"])).text)
    assert kind == "error" and "이 주문의 웹훅이 아닙니다" in text


async def test_a_reconciliation_is_run_from_the_dashboard(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    await paid_order(shop, emu)
    board = await staff.get("/admin")
    assert "아직 대사 기록이 없습니다" in board.text
    token = {"csrf_token": csrf_of(board.text)}
    answer = await staff.post("/admin/reconcile", data=token)
    assert (answer.status_code, answer.headers["location"]) == (303, "/admin")
    assert flash((await staff.get("/admin")).text) == (
        "ok",
        "대사를 예약했습니다. 워커가 곧 실행합니다.",
    )
    answer = await staff.post("/admin/reconcile", data=token)
    assert flash((await staff.get("/admin")).text)[0] == "error"  # one is queued already
    await shop.run_worker()
    board = await staff.get("/admin")
    assert "마지막 완료" in board.text and "불일치 없음" in board.text


async def test_an_unknown_refund_is_counted_and_its_link_finds_the_order(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    order = await paid_order(shop, emu)
    await paid_order(shop, emu, sku="calm")
    emu.fault(path="/payments/cancel", kind="no_answer", times=1)
    fields = {**await refund_form(staff, order["id"]), "amount": "5000", "reason": "고객 요청"}
    answer = await staff.post(f"/admin/orders/{order['id']}/refunds", data=fields)
    assert answer.status_code == 303
    page = await staff.get(answer.headers["location"])
    assert flash(page.text)[1].endswith(("결과 확인 중", "전송 중")), flash(page.text)
    board = await staff.get("/admin")
    assert re.search(r'data-testid="count-unknown">1<', board.text)
    assert 'href="/admin/payments?attention=unknown"' in board.text
    found = await staff.get("/admin/payments", params={"attention": "unknown"})
    assert order_ids(found.text) == [order["id"]]
    assert order_ids((await staff.get("/admin/payments?attention=needs_refund_account")).text) == []


async def test_a_refund_waiting_for_an_account_is_given_one_on_the_order_page(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    product = await shop.product("rug", stock=1, price=50_000)
    placed = await shop.order((product["id"], 1), pay_method="vbank")
    merchant_uid = placed["request_pay"]["merchant_uid"]
    payment = seed(emu, merchant_uid=merchant_uid, amount=200, pay_method="vbank")
    body = {"imp_uid": payment["imp_uid"], "merchant_uid": merchant_uid, "status": "paid"}
    assert (await shop.http.post("/iamport/webhook", json=body)).status_code == 200
    await webhook_jobs_settled(shop.database)  # the server runs it after answering
    await shop.run_worker()  # the refund owed for the wrong amount has no account to go to
    order = await shop.order_state(merchant_uid)
    [owed] = order["refunds"]
    assert (order["status"], owed["state"]) == ("flagged", "needs_refund_account")
    assert 'data-testid="count-needs-input">1<' in (await staff.get("/admin")).text
    found = await staff.get("/admin/payments", params={"attention": "needs_refund_account"})
    assert order_ids(found.text) == [order["id"]]

    page = await staff.get(f"/admin/orders/{order['id']}")
    action = f"/admin/orders/{order['id']}/refunds/{owed['id']}/account"
    assert f'action="{action}"' in page.text
    holder = emu.get("/vbanks/holder", params={"bank_code": "088", "bank_num": "11122233344"})
    account = {"csrf_token": csrf_of(page.text), "refund_holder": "",
               "refund_bank": "088", "refund_account": "111-222-333-44"}  # fmt: skip
    answer = await staff.post(action, data=account)
    assert flash((await staff.get(answer.headers["location"])).text)[0] == "error"
    account["refund_holder"] = holder.json()["response"]["bank_holder"]
    answer = await staff.post(action, data=account)
    kind, text = flash((await staff.get(answer.headers["location"])).text)
    assert kind == "ok" and "환불 완료" in text, text
    again = await staff.post(action, data=account)  # a second click: nothing more to do
    kind, text = flash((await staff.get(again.headers["location"])).text)
    assert kind == "error" and "기다리고 있지 않습니다" in text
    assert cancelled_at_emulator(emu, payment["imp_uid"]) == 200
    [done] = (await shop.order_state(merchant_uid))["refunds"]
    assert done["state"] == "succeeded"


async def test_an_old_smartro_card_order_is_refunded_with_only_the_holders_phone(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    """Old smartro needs refund_tel on a card's cancel and no account: the form asks for the
    phone alone, checks its shape, and the cancel goes with it."""
    order = await paid_order(shop, emu, pay_method="card", pg="smartro")
    page = await staff.get(f"/admin/orders/{order['id']}")
    assert 'data-testid="refund-tel"' in page.text and 'name="refund_tel"' in page.text
    assert 'name="refund_holder"' not in page.text
    url = f"/admin/orders/{order['id']}/refunds"
    form = await refund_form(staff, order["id"])
    missing = await staff.post(url, data={**form, "reason": "고객 요청"})
    assert missing.status_code == 422 and "예금주 연락처가 필요합니다" in missing.text
    for bad in ("12", "010-1234-567a", "+1-212-555-0100"):
        form = await refund_form(staff, order["id"])
        answer = await staff.post(url, data={**form, "reason": "x", "refund_tel": bad})
        assert answer.status_code == 422 and "연락처는 숫자와" in answer.text, bad
    assert (await shop.order_state(order["merchant_uid"]))["refunds"] == []

    form = await refund_form(staff, order["id"])
    answer = await staff.post(url, data={**form, "reason": "고객 요청",
                                         "refund_tel": "+82 10-2718-2818"})  # fmt: skip
    assert answer.status_code == 303
    page = await staff.get(answer.headers["location"])
    kind, text = flash(page.text)
    assert kind == "ok" and "환불 완료" in text, text
    assert "2718" not in page.text and "***18" in page.text  # masked in the attempt's request
    assert cancelled_at_emulator(emu, order["payments"][0]["imp_uid"]) == 30_000


async def test_a_refund_waiting_for_the_holders_phone_is_given_it_on_the_order_page(
    shop: Shop, emu: EmulatorClient, staff: httpx.AsyncClient
) -> None:
    merchant_uid, imp_uid = await underpaid_by_webhook(
        shop, emu, "mug", amount=200, pay_method="card", pg="smartro"
    )
    await shop.run_worker()  # the refund owed for the wrong amount has no phone to go with
    order = await shop.order_state(merchant_uid)
    [owed] = order["refunds"]
    assert (order["status"], owed["state"]) == ("flagged", "needs_refund_tel")
    board = (await staff.get("/admin")).text
    assert 'data-testid="count-needs-tel">1<' in board
    assert 'data-testid="count-needs-input">0<' in board
    assert 'href="/admin/payments?attention=needs_refund_tel"' in board
    found = await staff.get("/admin/payments", params={"attention": "needs_refund_tel"})
    assert order_ids(found.text) == [order["id"]]
    found = await staff.get("/admin/payments", params={"attention": "needs_refund_account"})
    assert order_ids(found.text) == []

    page = await staff.get(f"/admin/orders/{order['id']}")
    assert "예금주 연락처 필요" in page.text and 'data-testid="supply-account"' not in page.text
    action = f"/admin/orders/{order['id']}/refunds/{owed['id']}/tel"
    assert f'action="{action}"' in page.text
    for bad in ("", "010-12"):
        answer = await staff.post(action, data={"csrf_token": csrf_of(page.text),
                                                "refund_tel": bad})  # fmt: skip
        kind, text = flash((await staff.get(answer.headers["location"])).text)
        assert kind == "error" and "연락처는 숫자와" in text, text
    no_csrf = await staff.post(action, data={"refund_tel": "010-1618-0339"})
    assert no_csrf.status_code in (400, 403)
    given = {"csrf_token": csrf_of(page.text), "refund_tel": "010-1618-0339"}
    answer = await staff.post(action, data=given)
    page = await staff.get(answer.headers["location"])
    kind, text = flash(page.text)
    assert kind == "ok" and "환불 완료" in text, text
    assert "1618" not in page.text and "***39" in page.text
    again = await staff.post(action, data=given)  # a second click: nothing more to do
    kind, text = flash((await staff.get(again.headers["location"])).text)
    assert kind == "error" and "기다리고 있지 않습니다" in text
    assert cancelled_at_emulator(emu, imp_uid) == 200
