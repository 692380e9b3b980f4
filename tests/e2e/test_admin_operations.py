"""The admin console's operations pages over HTTP, against a running shop and the emulator,
on both databases: the retry queue (re-attempt, dismiss), subscriptions and billing keys,
virtual accounts, cash receipts, escrow shipments and the launch checklist.

The data is made the way production makes it: payments in the emulator's window or
seeded there and settled by our completion call, keys, plans, receipts and escrow
deliveries through the merchant API, jobs failed by the real queue. Pages are read
as a logged-in staff user with a cookie-keeping client; every form carries the
session's CSRF token.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio

from paydesk.core.launch_checklist import CHECKLIST
from paydesk.store import NewJob
from paydesk.store.jobs import JobEntry
from tests.support.admin import csrf_of, http_login, make_staff
from tests.support.emulator import EmulatorClient
from tests.support.window_http import WindowClient

from .harness import Shop, delivered
from .test_escrow import paid as escrow_paid
from .test_receipts import paid as transfer_paid
from .test_subscriptions import issue_key, plan, subscribe
from .test_vbank_lifecycle import vbank_by_window

pytestmark = pytest.mark.asyncio
LEASE_SECONDS = 20


@pytest_asyncio.fixture
async def admin(shop: Shop) -> AsyncIterator[httpx.AsyncClient]:
    """A staff user's browser, logged in to the shop's admin console."""
    await make_staff(shop.services)
    async with httpx.AsyncClient(base_url=shop.url, timeout=60) as client:
        assert (await http_login(client)).status_code == 303
        yield client


async def page(admin: httpx.AsyncClient, path: str) -> str:
    answer = await admin.get(path)
    assert answer.status_code == 200, answer.text
    assert 'aria-label="메뉴"' in answer.text  # the console's frame, with its navigation
    return answer.text


async def post(admin: httpx.AsyncClient, path: str, form_page: str, **data: str) -> str:
    """Send a form of ``form_page`` with its CSRF token; the flash of the page it leads to."""
    token = csrf_of((await admin.get(form_page)).text)
    answer = await admin.post(path, data={"csrf_token": token, **data})
    assert answer.status_code == 303, answer.text
    landed = await admin.get(answer.headers["location"])
    found = re.search(r'<p class="flash flash--(ok|error)" role="status">([^<]*)</p>', landed.text)
    assert found is not None, landed.text
    return f"{found[1]}: {found[2]}"


def row(html: str, marker: str) -> str:
    """The table row carrying ``marker`` (e.g. ``data-job-id="3"``), or ''."""
    found = re.search(rf"<tr [^>]*{re.escape(marker)}[^>]*>.*?</tr>", html, re.S)
    return found[0] if found else ""


def section(html: str, testid: str) -> str:
    found = re.search(rf'<(table|section)[^>]*data-testid="{testid}".*?</\1>', html, re.S)
    return found[0] if found else ""


# -- retry queue ---------------------------------------------------------------------------
async def failed_job(shop: Shop, *, attempts: int, inbox_id: int) -> int:
    """A webhook job that failed once; ``attempts`` 1 makes it dead, more leaves it retrying."""
    now = datetime.now(UTC)
    key = f"admin-test:{inbox_id}"
    job = NewJob("webhook.process", {"inbox_id": inbox_id}, now, dedupe_key=key,
                 max_attempts=attempts)  # fmt: skip
    async with shop.database.transaction() as uow:
        await uow.jobs.enqueue([job], now)
        claimed = await uow.jobs.claim_keyed(key, "w", now, timedelta(seconds=20))
        assert claimed is not None
        assert await uow.jobs.fail(claimed, "w", "OrderNotFound: no order for the webhook", now)
    return claimed.id


async def job(shop: Shop, job_id: int) -> JobEntry:
    return await shop.services.retries.get(job_id)


async def test_the_retry_queue_re_attempts_and_dismisses(
    shop: Shop, admin: httpx.AsyncClient
) -> None:
    dead = await failed_job(shop, attempts=1, inbox_id=9001)
    retrying = await failed_job(shop, attempts=5, inbox_id=9002)
    before = await job(shop, retrying)
    assert (await job(shop, dead)).state == "dead" and before.retrying

    html = await page(admin, "/admin/retries")
    assert "<h1>재시도 큐</h1>" in html
    assert 'data-state="dead"' in row(html, f'data-job-id="{dead}"')
    assert 'data-state="retrying"' in row(html, f'data-job-id="{retrying}"')
    assert "OrderNotFound: no order for the webhook" in row(html, f'data-job-id="{dead}"')
    dead_only = await page(admin, "/admin/retries?state=dead")
    assert row(dead_only, f'data-job-id="{dead}"') and not row(
        dead_only, f'data-job-id="{retrying}"'
    )

    flash = await post(admin, f"/admin/retries/{dead}/retry", "/admin/retries")
    assert flash.startswith("ok:") and str(dead) in flash
    requeued = await job(shop, dead)
    assert (requeued.state, requeued.attempts) == ("queued", 0)

    flash = await post(admin, f"/admin/retries/{retrying}/retry", "/admin/retries")
    hastened = await job(shop, retrying)
    assert flash.startswith("ok:") and hastened.attempts == before.attempts
    assert hastened.run_at <= datetime.now(UTC) and hastened.run_at >= before.updated_at

    flash = await post(admin, f"/admin/retries/{retrying}/dismiss?state=retrying", "/admin/retries")
    assert flash.startswith("ok:") and (await job(shop, retrying)).state == "dismissed"
    dismissed = await page(admin, "/admin/retries?state=dismissed")
    assert 'data-state="dismissed"' in row(dismissed, f'data-job-id="{retrying}"')

    again = await post(admin, f"/admin/retries/{retrying}/dismiss", "/admin/retries")
    assert again.startswith("error:") and "dismissed" in again  # told what the job is now
    assert (await job(shop, retrying)).state == "dismissed"
    missing = await post(admin, "/admin/retries/987654/retry", "/admin/retries")
    assert missing == "error: 그런 작업이 없습니다."

    token = csrf_of((await admin.get("/admin/retries")).text)
    refused = await admin.post(f"/admin/retries/{dead}/dismiss", data={"csrf_token": "x" + token})
    assert refused.status_code == 403 and (await job(shop, dead)).state == "queued"
    bad = await admin.get("/admin/retries?state=nonsense")
    assert 400 <= bad.status_code < 500


# -- subscriptions and billing keys ----------------------------------------------------------
async def test_subscriptions_show_the_first_charge_and_masked_keys(
    shop: Shop, admin: httpx.AsyncClient
) -> None:
    assert (await issue_key(shop, "cust_admin")).status_code == 201
    made = await subscribe(shop, (await plan(shop))["id"], "cust_admin")
    [charge] = made["charges"]
    assert charge["state"] == "paid"

    html = await page(admin, "/admin/subscriptions")
    line = row(html, f'data-subscription-id="{made["id"]}"')
    assert "cust_admin" in line and "이용 중" in line and "월간 구독" in line
    assert 'data-charge-state="paid"' in line and charge["imp_uid"] in line and "9,900 KRW" in line
    key = row(html, 'data-customer-uid="cust_admin"')
    assert "**** 1111" in key and "신한카드" in key and "nice" in key
    assert "4111" not in html and "880315" not in html  # no card number, no birth date

    filtered = await page(admin, "/admin/subscriptions?status=cancelled")
    assert not row(filtered, f'data-subscription-id="{made["id"]}"')


# -- virtual accounts ------------------------------------------------------------------------
async def test_a_deposit_moves_the_account_from_waiting_to_paid(
    shop: Shop, emu: EmulatorClient, window: WindowClient, admin: httpx.AsyncClient
) -> None:
    product = await shop.product("desk", stock=2, price=120_000)
    rsp = await vbank_by_window(shop, emu, window, product["id"])
    imp_uid = rsp["imp_uid"]

    html = await page(admin, "/admin/vbanks")
    waiting = row(section(html, "vbanks-waiting"), f'data-imp-uid="{imp_uid}"')
    assert rsp["vbank_num"] in waiting and "120,000 KRW" in waiting
    order = await shop.order_state(rsp["merchant_uid"])
    assert f'href="/admin/orders/{order["id"]}"' in waiting
    assert not section(html, "vbanks-paid")

    emu.control("POST", f"/vbanks/{imp_uid}/deposit", json={})
    await delivered(emu, imp_uid, count=2)
    assert (await shop.order_state(rsp["merchant_uid"]))["status"] == "paid"
    html = await page(admin, "/admin/vbanks")
    assert not section(html, "vbanks-waiting") and "입금을 기다리는 가상계좌가 없습니다" in html
    assert "입금 완료" in row(section(html, "vbanks-paid"), f'data-imp-uid="{imp_uid}"')


# -- cash receipts -----------------------------------------------------------------------------
async def test_receipts_of_payments_and_external_ones_are_shown_apart(
    shop: Shop, emu: EmulatorClient, admin: httpx.AsyncClient
) -> None:
    imp_uid = await transfer_paid(shop, emu, "receipt-1")
    ours = await shop.http.post("/api/receipts", json={
        "imp_uid": imp_uid, "identifier_type": "phone", "identifier": "010-9876-5432"})  # fmt: skip
    assert ours.status_code == 201, ours.text
    external = await shop.http.post("/api/external-receipts", json={
        "merchant_uid": "store_0001", "name": "매장 판매", "amount": 11_000,
        "identifier_type": "business", "identifier": "123-45-67890", "pg": "html5_inicis",
        "pay_method": "trans"})  # fmt: skip
    assert external.status_code == 201, external.text

    html = await page(admin, "/admin/receipts")
    iamport, elsewhere = section(html, "receipts-iamport"), section(html, "receipts-external")
    line = row(iamport, f'data-key="{imp_uid}"')
    assert "발급됨" in line and "33,000 KRW" in line and ours.json()["apply_num"] in line
    assert "*******5432" in line and "store_0001" not in iamport
    other = row(elsewhere, 'data-key="store_0001"')
    assert "매장 판매" in other and "11,000 KRW" in other and imp_uid not in elsewhere
    assert "9876-5432" not in html and "123-45-67890" not in html  # only the masked identifier

    cancelled = await page(admin, "/admin/receipts?state=cancelled")
    assert not row(cancelled, f'data-key="{imp_uid}"')


# -- escrow --------------------------------------------------------------------------------------
PARTY = {"name": "홍길동", "tel": "010-1234-5678", "addr": "서울시 중구 세종대로 110",
         "postcode": "04524"}  # fmt: skip


def delivery_form(imp_uid: str, **changes: str) -> dict[str, str]:
    form = {"imp_uid": imp_uid, "company": "CJGLS", "invoice": "123456789012",
            "sent_at": "2026-01-05T14:30"}  # fmt: skip
    for who in ("sender", "receiver"):
        form |= {f"{who}_{field}": value for field, value in PARTY.items()}
    return form | changes


async def test_an_escrow_delivery_registered_from_the_console(
    shop: Shop, emu: EmulatorClient, admin: httpx.AsyncClient
) -> None:
    imp_uid = await escrow_paid(shop, emu, "escrow-1")
    found = await page(admin, f"/admin/payments?q={imp_uid}")
    [order_id] = re.findall(r'href="/admin/orders/(\d+)" data-testid="order-link"', found)
    summary = await page(admin, f"/admin/orders/{order_id}")
    assert re.search(r'data-testid="escrow">에스크로 결제<', summary)
    bad = await post(admin, "/admin/escrows", "/admin/escrows",
                     **delivery_form(imp_uid, company="NOPE"))  # fmt: skip
    assert bad == "error: 택배사를 목록에서 고르세요."
    stranger = await post(admin, "/admin/escrows", "/admin/escrows",
                          **delivery_form("imp_000000000999"))  # fmt: skip
    assert stranger.startswith("error:") and "imp_000000000999" in stranger
    assert not row(await page(admin, "/admin/escrows"), f'data-imp-uid="{imp_uid}"')

    done = await post(admin, "/admin/escrows", "/admin/escrows", **delivery_form(imp_uid))
    assert done == f"ok: {imp_uid}의 배송 정보를 등록했습니다."
    at_iamport = emu.get(f"/escrows/logis/{imp_uid}").json()["response"]
    assert (at_iamport["company"], at_iamport["invoice"]) == ("CJGLS", "123456789012")
    html = await page(admin, "/admin/escrows")
    line = row(html, f'data-imp-uid="{imp_uid}"')
    assert "CJGLS" in line and "123456789012" in line and "2026-01-05 05:30:00Z" in line
    assert "010-1234-5678" not in html  # sender and receiver are not shown

    again = await post(admin, "/admin/escrows", "/admin/escrows", **delivery_form(imp_uid))
    assert again.startswith("error:") and "already registered" in again


# -- launch checklist ------------------------------------------------------------------------
async def test_the_checklist_shows_the_last_run_and_runs_now(
    shop: Shop, admin: httpx.AsyncClient
) -> None:
    html = await page(admin, "/admin/checklist")
    assert 'data-testid="never-ran"' in html
    assert shop.services.doctor is not None and await shop.services.doctor.last_run() is None

    flash = await post(admin, "/admin/checklist/run", "/admin/checklist")
    assert flash.split(":")[0] in ("ok", "error") and "점검을 마쳤습니다" in flash
    last = await shop.services.doctor.last_run()
    assert last is not None and not last.production
    html = await page(admin, "/admin/checklist")
    assert last.ran_at.strftime("%Y-%m-%d %H:%M:%S") in html
    assert f'data-status="{last.status}"' in section(html, "last-run")
    shown = re.findall(r'<tr data-key="([a-z0-9_]+)" data-status="([a-z]+)"', html)
    assert [key for key, _ in shown] == [item.key for item in CHECKLIST]
    stored = {r["key"]: r for r in last.results}
    assert all(stored[key]["status"] == status for key, status in shown)
    some = next(r for r in last.results if r["detail"])
    assert some["detail"].replace("'", "&#39;").replace('"', "&#34;")[:40] in html

    flash = await post(admin, "/admin/checklist/run", "/admin/checklist", production="1")
    newest = await shop.services.doctor.last_run()
    assert newest is not None and newest.id != last.id and newest.production
    assert "운영 환경 기준" in await page(admin, "/admin/checklist")


# -- language ----------------------------------------------------------------------------------
async def test_the_pages_speak_english_after_the_switch(admin: httpx.AsyncClient) -> None:
    token = csrf_of((await admin.get("/admin/retries")).text)
    switched = await admin.post("/admin/lang", data={"csrf_token": token, "lang": "en",
                                                     "next": "/admin/retries"})  # fmt: skip
    assert switched.status_code == 303
    for path, heading in (("/admin/retries", "Retry queue"),
                          ("/admin/subscriptions", "Subscriptions and billing keys"),
                          ("/admin/vbanks", "Virtual accounts"), ("/admin/receipts", "Cash receipts"),
                          ("/admin/escrows", "Escrow shipments"),
                          ("/admin/checklist", "Launch checklist")):  # fmt: skip
        answer = await admin.get(path)
        assert answer.status_code == 200 and f"<h1>{heading}</h1>" in answer.text, path
