"""Billing keys over real HTTP: issue, reissue, lookups (single, multiple, 207), delete,
payments and schedules of a key."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.emulator import EmulatorClient

APPROVE = "4111-1111-1111-1111"
BC_CHECK = "9410-0000-0000-0005"
DECLINE = "4000-0000-0000-0002"


def issue(emu: EmulatorClient, customer_uid: str, **fields: Any) -> dict:
    body = {"card_number": APPROVE, "expiry": "2030-12", "birth": "900101",
            "pwd_2digit": "00", "pg": "nice", **fields}  # fmt: skip
    answer = emu.post(
        f"/subscribe/customers/{customer_uid}",
        json={k: v for k, v in body.items() if v is not None},
    )
    assert answer.status_code == 200, answer.text
    result: dict = answer.json()
    return result


def test_issue_returns_the_customer_annotation(emu: EmulatorClient) -> None:
    body = issue(emu, "cust_1", customer_name="홍길동", customer_tel="010-1234-5678",
                 customer_email="hong@example.kr", customer_id="member-7")  # fmt: skip
    assert body["code"] == 0 and body["message"] is None
    key = body["response"]
    assert key["customer_uid"] == "cust_1"
    assert key["pg_provider"] == "nice" and key["pg_id"]
    assert key["sandbox"] is False
    assert key["card_name"] == "신한카드" and key["card_code"] == "366"
    assert key["card_number"] == "411111******1111" and key["card_type"] == 0
    assert key["customer_name"] == "홍길동" and key["customer_id"] == "member-7"
    assert key["inserted"] == key["updated"] > 0
    assert "card_outcome" not in key and "imp_code" not in key
    assert emu.get("/subscribe/customers/cust_1").json()["response"] == key


def test_channel_key_picks_the_channel(emu: EmulatorClient) -> None:
    channels = emu.get("/users/pg").json()["response"]
    kcp = next(c for c in channels if c["pg_provider"] == "kcp" and c["type"] == "api_payment")
    key = issue(emu, "cust_ck", pg=None, channel_key=kcp["channel_key"])["response"]
    assert key["pg_provider"] == "kcp" and key["pg_id"] == kcp["pg_id"]
    window = next(c for c in channels if c["type"] == "payment")
    body = issue(emu, "cust_ck2", pg=None, channel_key=window["channel_key"])
    assert body["code"] == 1 and body["message"] == "비인증결제모듈 사용정보를 찾을 수 없습니다."


def test_reissue_repoints_the_key_to_the_new_card(emu: EmulatorClient) -> None:
    first = issue(emu, "cust_re", customer_name="홍길동")["response"]
    emu.advance(60)
    second = issue(emu, "cust_re", card_number=BC_CHECK, pg="kcp")["response"]
    assert second["card_name"] == "BC카드" and second["card_type"] == 1
    assert second["pg_provider"] == "kcp"
    assert second["inserted"] == first["inserted"]
    assert second["updated"] >= first["updated"] + 60
    assert second["customer_name"] == "홍길동"  # kept when not sent again


@pytest.mark.parametrize("number", ["1234-1234-1234-1234", "0000"])
def test_invalid_card_is_code_minus_1(emu: EmulatorClient, number: str) -> None:
    body = issue(emu, "cust_bad", card_number=number)
    assert body["code"] == -1 and body["response"] is None
    assert body["message"].startswith("카드정보 인증 및 빌키 발급에 실패하였습니다.")
    assert "유효하지않은 카드번호를 입력하셨습니다." in body["message"]
    assert emu.get("/subscribe/customers/cust_bad").status_code == 404


def test_expired_card_gets_no_key(emu: EmulatorClient) -> None:
    body = issue(emu, "cust_old", expiry="2019-05")
    assert body["code"] == -1 and "유효기간" in body["message"]


def test_declining_card_still_gets_a_key(emu: EmulatorClient) -> None:
    key = issue(emu, "cust_dec", card_number=DECLINE)["response"]
    assert key["card_name"] == "삼성카드"


@pytest.mark.parametrize(
    ("pg", "fields", "missing"),
    [
        ("tosspayments", {}, "customer_id"),
        ("ksnet", {"birth": None}, "birth"),
        ("welcome", {}, "customer_name"),
        ("paymentwall", {}, "cvc"),
    ],
)
def test_per_pg_required_fields(
    emu: EmulatorClient, pg: str, fields: dict[str, Any], missing: str
) -> None:
    body = issue(emu, "cust_pg", pg=pg, **fields)
    assert body["code"] == 1 and missing in body["message"]


def test_super_billing_key_is_not_emulated(emu: EmulatorClient) -> None:
    answer = emu.post(
        "/subscribe/customers/cust_super",
        json={"card_number": APPROVE, "expiry": "2030-12", "channel_group_id": "grp"},
    )
    assert answer.status_code == 501 and answer.json()["code"] != 0


def test_unknown_customer_uid_is_404_code_1(emu: EmulatorClient) -> None:
    for method in ("GET", "DELETE"):
        answer = emu.call(method, "/subscribe/customers/ghost")
        assert answer.status_code == 404
        assert answer.json() == {
            "code": 1,
            "message": "요청하신 customer_uid(ghost)로 등록된 정보를 찾을 수 없습니다.",
            "response": None,
        }


def test_multiple_lookup_200_207_404(emu: EmulatorClient) -> None:
    issue(emu, "cust_a")
    issue(emu, "cust_b")
    both = emu.get("/subscribe/customers", params={"customer_uid[]": ["cust_a", "cust_b"]})
    assert both.status_code == 200
    assert [k["customer_uid"] for k in both.json()["response"]] == ["cust_a", "cust_b"]
    some = emu.get("/subscribe/customers", params={"customer_uid[]": ["cust_a", "cust_x"]})
    assert some.status_code == 207
    assert [k["customer_uid"] for k in some.json()["response"]] == ["cust_a"]
    assert "cust_x" in some.json()["message"]
    none = emu.get("/subscribe/customers", params={"customer_uid[]": ["cust_x", "cust_y"]})
    assert none.status_code == 404 and none.json()["code"] == 1


def test_delete_returns_the_key_and_leaves_schedules_alone(emu: EmulatorClient) -> None:
    key = issue(emu, "cust_del")["response"]
    at = emu.now() + 600
    emu.post("/subscribe/payments/schedule", json={
        "customer_uid": "cust_del",
        "schedules": [{"merchant_uid": "sched_del", "schedule_at": at, "amount": 1000}],
    })  # fmt: skip
    deleted = emu.delete("/subscribe/customers/cust_del", params={"reason": "탈퇴"})
    assert deleted.status_code == 200 and deleted.json()["response"] == key
    assert emu.get("/subscribe/customers/cust_del").status_code == 404
    schedule = emu.get("/subscribe/payments/schedule/sched_del").json()["response"]
    assert schedule["schedule_status"] == "scheduled"
    emu.advance(601)  # due now: the deleted key cannot pay
    schedule = emu.get("/subscribe/payments/schedule/sched_del").json()["response"]
    assert schedule["schedule_status"] == "executed" and schedule["payment_status"] == "failed"
    assert "등록되지 않은 구매자" in schedule["fail_reason"]


def test_payments_of_a_key_are_paged_newest_first(emu: EmulatorClient) -> None:
    issue(emu, "cust_pay")
    uids = []
    for index in range(22):
        uid = f"pay_{index}_{uuid.uuid4().hex[:6]}"
        answer = emu.post("/subscribe/payments/again", json={
            "customer_uid": "cust_pay", "merchant_uid": uid, "amount": 1000 + index,
            "name": "구독",
        })  # fmt: skip
        assert answer.json()["response"]["status"] == "paid"
        uids.append(uid)
        emu.advance(1)
    first = emu.get("/subscribe/customers/cust_pay/payments").json()["response"]
    assert first["total"] == 22 and first["previous"] == 0 and first["next"] == 2
    assert [p["merchant_uid"] for p in first["list"]] == uids[::-1][:20]
    second = emu.get("/subscribe/customers/cust_pay/payments", params={"page": 2})
    body = second.json()["response"]
    assert body["previous"] == 1 and body["next"] == 0
    assert [p["merchant_uid"] for p in body["list"]] == uids[1::-1]
    assert emu.get("/subscribe/customers/ghost/payments").status_code == 404


def test_schedules_of_a_key_accept_both_query_spellings(emu: EmulatorClient) -> None:
    issue(emu, "cust_sch")
    now = emu.now()
    emu.post("/subscribe/payments/schedule", json={
        "customer_uid": "cust_sch",
        "schedules": [
            {"merchant_uid": "cs_1", "schedule_at": now + 100, "amount": 1000},
            {"merchant_uid": "cs_2", "schedule_at": now + 200, "amount": 1000},
        ],
    })  # fmt: skip
    emu.post("/subscribe/payments/unschedule", json={"merchant_uid": ["cs_1"]})
    for path in ("/subscribe/customers/cust_sch/schedules",
                 "/subscribe/payments/schedule/customers/cust_sch"):  # fmt: skip
        spec = emu.get(path, params={"from": now, "to": now + 1000, "schedule-status": "revoked"})
        assert [s["merchant_uid"] for s in spec.json()["response"]["list"]] == ["cs_1"]
        java = emu.get(path, params={"schedule_from": now, "schedule_to": now + 1000})
        body = java.json()["response"]
        assert body["total"] == 2
        assert [s["merchant_uid"] for s in body["list"]] == ["cs_2", "cs_1"]
        missing = emu.get(path, params={"from": now})
        assert missing.status_code == 400
        too_wide = emu.get(path, params={"from": now, "to": now + 93 * 86400})
        assert too_wide.status_code == 400
