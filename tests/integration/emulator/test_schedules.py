"""Scheduled payments over real HTTP: create, list, get, move, unschedule, reschedule,
retry, and execution (paid and failed, with webhooks) when the emulator clock moves."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import DEMO_CODE, EmulatorClient

APPROVE = "4111-1111-1111-1111"
DECLINE = "4000-0000-0000-0002"
HOOK = "http://127.0.0.1:9/scheduled-hook"


def issue(emu: EmulatorClient, customer_uid: str, card: str = APPROVE, **fields: Any) -> None:
    body = {"card_number": card, "expiry": "2030-12", "pg": "nice", **fields}
    answer = emu.post(f"/subscribe/customers/{customer_uid}", json=body)
    assert answer.json()["code"] == 0, answer.text


def schedule(emu: EmulatorClient, customer_uid: str, *entries: dict, **top: Any) -> dict:
    answer = emu.post(
        "/subscribe/payments/schedule",
        json={"customer_uid": customer_uid, "schedules": list(entries), **top},
    )
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()
    return result


def entry(merchant_uid: str, at: int, amount: int = 9900, **fields: Any) -> dict:
    return {"merchant_uid": merchant_uid, "schedule_at": at, "amount": amount,
            "name": "정기구독", **fields}  # fmt: skip


def get_schedule(emu: EmulatorClient, merchant_uid: str) -> dict:
    answer = emu.get(f"/subscribe/payments/schedule/{merchant_uid}")
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()["response"]
    return result


def merchant_webhook_url(emu: EmulatorClient) -> str | None:
    merchants = emu.control("GET", "/merchants")
    url: str | None = next(m["webhook_url"] for m in merchants if m["imp_code"] == DEMO_CODE)
    return url


# -- create ---------------------------------------------------------------------------
def test_create_returns_plain_array_with_buyer_fallback(emu: EmulatorClient) -> None:
    issue(emu, "cust_s", customer_name="홍길동", customer_email="hong@example.kr")
    now = emu.now()
    body = schedule(emu, "cust_s", entry("s_1", now + 100),
                    entry("s_2", now + 200, buyer_name="김대리"))  # fmt: skip
    assert body["code"] == 0
    first, second = body["response"]
    assert first["merchant_uid"] == "s_1" and first["customer_uid"] == "cust_s"
    assert first["schedule_at"] == now + 100 and first["amount"] == 9900
    assert first["schedule_status"] == "scheduled" and first["payment_status"] is None
    assert first["imp_uid"] is None and first["executed_at"] == 0 and first["revoked_at"] == 0
    assert first["pg_provider"] == "nice" and first["currency"] == "KRW"
    assert first["buyer_name"] == "홍길동" and first["buyer_email"] == "hong@example.kr"
    assert second["buyer_name"] == "김대리"
    assert "notice_url" not in first and "imp_code" not in first


def test_create_issues_the_key_from_card_data(emu: EmulatorClient) -> None:
    now = emu.now()
    body = schedule(emu, "cust_new", entry("n_1", now + 100), card_number=APPROVE,
                    expiry="2030-12", pg="kcp", customer_id="member-1")  # fmt: skip
    assert body["code"] == 0 and body["response"][0]["pg_provider"] == "kcp"
    assert body["response"][0]["customer_id"] == "member-1"
    key = emu.get("/subscribe/customers/cust_new").json()["response"]
    assert key["pg_provider"] == "kcp" and key["customer_id"] == "member-1"


def test_unknown_key_without_card_is_code_1(emu: EmulatorClient) -> None:
    body = schedule(emu, "ghost", entry("g_1", emu.now() + 100))
    assert body["code"] == 1 and "등록된 고객정보가 없습니다." in body["message"]


def test_invalid_card_on_create_is_code_minus_1_and_stores_nothing(emu: EmulatorClient) -> None:
    body = schedule(emu, "cust_bad", entry("b_1", emu.now() + 100),
                    card_number="1234-1234-1234-1234", expiry="2030-12")  # fmt: skip
    assert body["code"] == -1 and "유효하지않은 카드번호" in body["message"]
    assert emu.get("/subscribe/payments/schedule/b_1").status_code == 404
    assert emu.get("/subscribe/customers/cust_bad").status_code == 404


def test_merchant_uids_must_be_unique_and_a_refused_request_stores_nothing(
    emu: EmulatorClient,
) -> None:
    issue(emu, "cust_u")
    now = emu.now()
    assert schedule(emu, "cust_u", entry("u_1", now + 100))["code"] == 0
    existing = schedule(emu, "cust_u", entry("u_2", now + 100), entry("u_1", now + 200))
    assert existing["code"] == 1 and "u_1" in existing["message"]
    assert emu.get("/subscribe/payments/schedule/u_2").status_code == 404
    twice = schedule(emu, "cust_u", entry("u_3", now + 100), entry("u_3", now + 200))
    assert twice["code"] == 1


def test_schedule_at_must_be_in_the_future_and_fields_present(emu: EmulatorClient) -> None:
    issue(emu, "cust_f")
    now = emu.now()
    past = schedule(emu, "cust_f", entry("f_1", now - 1))
    assert past["code"] == 1 and "schedule_at" in past["message"]
    no_amount = schedule(emu, "cust_f", {"merchant_uid": "f_2", "schedule_at": now + 10})
    assert no_amount["code"] == 1 and "amount" in no_amount["message"]
    assert schedule(emu, "cust_f")["code"] == 1  # no schedules at all


def test_per_pg_required_fields_of_the_key_pg(emu: EmulatorClient) -> None:
    issue(emu, "cust_ini", pg="html5_inicis")
    body = schedule(emu, "cust_ini", {"merchant_uid": "i_1", "schedule_at": emu.now() + 100,
                                      "amount": 1000})  # fmt: skip
    assert body["code"] == 1 and "name" in body["message"]


# -- read ------------------------------------------------------------------------------
def test_get_one_and_404(emu: EmulatorClient) -> None:
    issue(emu, "cust_g")
    created = schedule(emu, "cust_g", entry("g_ok", emu.now() + 100))["response"][0]
    assert get_schedule(emu, "g_ok") == created
    missing = emu.get("/subscribe/payments/schedule/nope")
    assert missing.status_code == 404 and missing.json()["code"] != 0


def test_range_listing_filters_pages_and_sorts(emu: EmulatorClient) -> None:
    issue(emu, "cust_l")
    now = emu.now()
    schedule(emu, "cust_l", *[entry(f"l_{i}", now + 100 * (i + 1)) for i in range(5)])
    emu.post("/subscribe/payments/unschedule", json={"merchant_uid": ["l_0"]})
    window = {"schedule_from": now + 100, "schedule_to": now + 500}  # l_4 at +500 excluded
    newest = emu.get("/subscribe/payments/schedule", params=window).json()["response"]
    assert newest["total"] == 4
    assert [s["merchant_uid"] for s in newest["list"]] == ["l_3", "l_2", "l_1", "l_0"]
    oldest = emu.get("/subscribe/payments/schedule",
                     params={**window, "sorting": "scheduled", "limit": 3}).json()["response"]  # fmt: skip
    assert [s["merchant_uid"] for s in oldest["list"]] == ["l_0", "l_1", "l_2"]
    assert oldest["next"] == 2 and oldest["previous"] == 0
    revoked = emu.get("/subscribe/payments/schedule",
                      params={**window, "schedule_status": "revoked"}).json()["response"]  # fmt: skip
    assert [s["merchant_uid"] for s in revoked["list"]] == ["l_0"]


@pytest.mark.parametrize(
    "params",
    [
        {"schedule_to": 2_000_000_000},
        {"schedule_from": 1_900_000_000},
        {"schedule_from": 1_900_000_000, "schedule_to": 1_900_000_000 + 93 * 86400},
        {"schedule_from": 1_900_000_000, "schedule_to": 1_800_000_000},
        {"schedule_from": 1_900_000_000, "schedule_to": 1_900_000_100, "schedule_status": "x"},
    ],
)
def test_range_listing_rejects_bad_windows_with_400(
    emu: EmulatorClient, params: dict[str, Any]
) -> None:
    answer = emu.get("/subscribe/payments/schedule", params=params)
    assert answer.status_code == 400 and answer.json()["code"] != 0


# -- change ------------------------------------------------------------------------------
def test_put_moves_a_pending_schedule_only_to_the_future(emu: EmulatorClient) -> None:
    issue(emu, "cust_p")
    now = emu.now()
    schedule(emu, "cust_p", entry("p_1", now + 100))
    moved = emu.put("/subscribe/payments/schedule/p_1", json={"schedule_at": now + 900})
    assert moved.status_code == 200 and moved.json()["response"]["schedule_at"] == now + 900
    past = emu.put("/subscribe/payments/schedule/p_1", json={"schedule_at": now - 10})
    assert past.status_code == 400
    assert emu.put("/subscribe/payments/schedule/p_1", json={}).status_code == 400
    emu.post("/subscribe/payments/unschedule", json={"customer_uid": "cust_p"})
    revoked = emu.put("/subscribe/payments/schedule/p_1", json={"schedule_at": now + 1000})
    assert revoked.status_code == 400
    unknown = emu.put("/subscribe/payments/schedule/p_x", json={"schedule_at": now + 1000})
    assert unknown.status_code == 404


def test_unschedule_by_customer_or_merchant_uids(emu: EmulatorClient) -> None:
    issue(emu, "cust_un")
    now = emu.now()
    schedule(emu, "cust_un", *[entry(f"un_{i}", now + 100 + i) for i in range(3)])
    one = emu.post("/subscribe/payments/unschedule",
                   json={"customer_uid": "cust_un", "merchant_uid": ["un_0"]})  # fmt: skip
    revoked = one.json()["response"]
    assert [s["merchant_uid"] for s in revoked] == ["un_0"]
    assert revoked[0]["schedule_status"] == "revoked" and revoked[0]["revoked_at"] >= now
    rest = emu.post("/subscribe/payments/unschedule", json={"customer_uid": "cust_un"})
    assert sorted(s["merchant_uid"] for s in rest.json()["response"]) == ["un_1", "un_2"]
    nothing = emu.post("/subscribe/payments/unschedule", json={"customer_uid": "cust_un"})
    assert nothing.status_code == 200 and nothing.json()["code"] == 1
    assert "취소할 예약결제 기록이 존재하지 않습니다." in nothing.json()["message"]


# -- execution ----------------------------------------------------------------------------
def test_due_schedule_is_paid_and_announced_to_its_notice_url(emu: EmulatorClient) -> None:
    issue(emu, "cust_run")
    now = emu.now()
    schedule(emu, "cust_run", entry("run_1", now + 60, notice_url=HOOK, custom_data="c1"))
    emu.advance(30)
    assert get_schedule(emu, "run_1")["schedule_status"] == "scheduled"
    emu.advance(31)
    done = get_schedule(emu, "run_1")
    assert done["schedule_status"] == "executed" and done["payment_status"] == "paid"
    assert done["executed_at"] >= now + 60 and done["imp_uid"]
    payment = emu.get(f"/payments/{done['imp_uid']}").json()["response"]
    assert payment["status"] == "paid" and payment["amount"] == 9900
    assert payment["customer_uid"] == "cust_run"
    assert payment["customer_uid_usage"] == "payment.scheduled"
    assert payment["custom_data"] == "c1" and payment["name"] == "정기구독"
    hooks = emu.webhooks(done["imp_uid"])
    assert [(h["payload"]["status"], h["url"]) for h in hooks] == [("paid", HOOK)]
    assert hooks[0]["payload"]["merchant_uid"] == "run_1"


def test_due_schedule_with_declining_key_fails_and_is_announced(emu: EmulatorClient) -> None:
    issue(emu, "cust_fail", card=DECLINE)
    schedule(emu, "cust_fail", entry("fail_1", emu.now() + 10))
    emu.advance(11)
    done = get_schedule(emu, "fail_1")
    assert done["schedule_status"] == "executed" and done["payment_status"] == "failed"
    assert done["fail_reason"] and done["imp_uid"]
    payment = emu.get(f"/payments/{done['imp_uid']}").json()["response"]
    assert payment["status"] == "failed" and payment["fail_reason"] == done["fail_reason"]
    hooks = emu.webhooks(done["imp_uid"])
    assert [(h["payload"]["status"], h["url"]) for h in hooks] == [
        ("failed", merchant_webhook_url(emu))
    ]


def test_revoked_schedule_never_runs(emu: EmulatorClient) -> None:
    issue(emu, "cust_rev")
    schedule(emu, "cust_rev", entry("rev_1", emu.now() + 10))
    emu.post("/subscribe/payments/unschedule", json={"merchant_uid": ["rev_1"]})
    emu.advance(20)
    assert get_schedule(emu, "rev_1")["schedule_status"] == "revoked"
    assert get_schedule(emu, "rev_1")["imp_uid"] is None


# -- reschedule & retry ------------------------------------------------------------------------
def test_reschedule_only_failed_or_revoked_and_to_the_future(emu: EmulatorClient) -> None:
    issue(emu, "cust_rs")
    now = emu.now()
    schedule(emu, "cust_rs", entry("rs_1", now + 100), entry("rs_2", now + 10))
    pending = emu.post("/subscribe/payments/schedule/rs_1/reschedule",
                       json={"schedule_at": now + 500})  # fmt: skip
    assert pending.status_code == 400
    emu.post("/subscribe/payments/unschedule", json={"merchant_uid": ["rs_1"]})
    past = emu.post("/subscribe/payments/schedule/rs_1/reschedule", json={"schedule_at": now})
    assert past.status_code == 400
    again = emu.post("/subscribe/payments/schedule/rs_1/reschedule",
                     json={"schedule_at": now + 500})  # fmt: skip
    body = again.json()["response"]
    assert again.status_code == 200 and body["schedule_status"] == "scheduled"
    assert body["schedule_at"] == now + 500 and body["revoked_at"] == 0
    emu.advance(11)  # rs_2 is paid
    assert get_schedule(emu, "rs_2")["payment_status"] == "paid"
    paid = emu.post("/subscribe/payments/schedule/rs_2/reschedule",
                    json={"schedule_at": now + 900})  # fmt: skip
    assert paid.status_code == 400
    unknown = emu.post("/subscribe/payments/schedule/none/reschedule",
                       json={"schedule_at": now + 900})  # fmt: skip
    assert unknown.status_code == 404


def test_retry_runs_a_failed_schedule_now_and_returns_the_payment(emu: EmulatorClient) -> None:
    issue(emu, "cust_rt", card=DECLINE)
    schedule(emu, "cust_rt", entry("rt_1", emu.now() + 10))
    pending = emu.post("/subscribe/payments/schedule/rt_1/retry")
    assert pending.status_code == 400
    emu.advance(11)
    first = get_schedule(emu, "rt_1")
    assert first["payment_status"] == "failed"
    issue(emu, "cust_rt", card=APPROVE)  # the customer registered a working card
    retried = emu.post("/subscribe/payments/schedule/rt_1/retry")
    assert retried.status_code == 200 and retried.json()["code"] == 0
    payment = retried.json()["response"]
    assert payment["status"] == "paid" and payment["merchant_uid"] == "rt_1"
    assert payment["imp_uid"] != first["imp_uid"]
    after = get_schedule(emu, "rt_1")
    assert after["payment_status"] == "paid" and after["imp_uid"] == payment["imp_uid"]
    assert emu.post("/subscribe/payments/schedule/rt_1/retry").status_code == 400


def test_retry_of_revoked_schedule_and_of_a_deleted_key(emu: EmulatorClient) -> None:
    issue(emu, "cust_rr")
    now = emu.now()
    schedule(emu, "cust_rr", entry("rr_1", now + 100), entry("rr_2", now + 100))
    emu.post("/subscribe/payments/unschedule", json={"customer_uid": "cust_rr"})
    payment = emu.post("/subscribe/payments/schedule/rr_1/retry").json()["response"]
    assert payment["status"] == "paid"
    emu.delete("/subscribe/customers/cust_rr")
    gone = emu.post("/subscribe/payments/schedule/rr_2/retry")
    assert gone.status_code == 404
