"""Virtual accounts over real HTTP: issue, deposit, edit, revoke and the holder lookup."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.emulator import EmulatorClient, seed

NICE_API = "channel-key-demo-nice-api"
SETTLE_API = "channel-key-demo-settle-api"


def issue(emu: EmulatorClient, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "channel_key": NICE_API,
        "merchant_uid": f"vbank_{uuid.uuid4().hex[:12]}",
        "amount": 25000,
        "vbank_code": "004",
        "vbank_due": emu.now() + 3 * 86400,
        "vbank_holder": "페이데스크",
        "name": "가상계좌 주문",
        "buyer_name": "홍길동",
        "buyer_email": "buyer@example.com",
        **overrides,
    }
    return emu.post("/vbanks", json={k: v for k, v in body.items() if v is not None})


def issued(emu: EmulatorClient, **overrides: Any) -> dict[str, Any]:
    answer = issue(emu, **overrides)
    assert answer.status_code == 200 and answer.json()["code"] == 0, answer.text
    result: dict[str, Any] = answer.json()["response"]
    return result


def deposit(emu: EmulatorClient, imp_uid: str, **body: Any) -> httpx.Response:
    return emu.http.post(f"/_emulator/vbanks/{imp_uid}/deposit", json=body)


def refused(answer: httpx.Response) -> str:
    """An i'mport refusal of POST /vbanks: HTTP 200, non-zero code, no payload."""
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["code"] != 0 and body["response"] is None, body
    message: str = body["message"]
    return message


# -- issue ------------------------------------------------------------------------------


def test_issue_returns_a_ready_vbank_payment_and_a_ready_webhook(emu: EmulatorClient) -> None:
    due = emu.now() + 86400
    payment = issued(emu, vbank_due=due, custom_data={"order": 7})
    assert payment["status"] == "ready"
    assert payment["pay_method"] == "vbank" and payment["channel"] == "api"
    assert payment["pg_provider"] == "nice" and payment["amount"] == 25000
    assert payment["vbank_code"] == "004" and payment["vbank_name"] == "국민은행"
    assert payment["vbank_num"] and payment["vbank_holder"] == "페이데스크"
    assert payment["vbank_date"] == due
    assert abs(payment["vbank_issued_at"] - emu.now()) <= 1
    assert payment["paid_at"] == 0 and payment["custom_data"] == '{"order":7}'
    hooks = emu.webhooks(payment["imp_uid"])
    assert [hook["payload"]["status"] for hook in hooks] == ["ready"]
    assert hooks[0]["payload"]["merchant_uid"] == payment["merchant_uid"]


def test_older_clients_may_name_the_pg_instead_of_a_channel_key(emu: EmulatorClient) -> None:
    payment = issued(emu, channel_key=None, pg="settle")
    assert payment["pg_provider"] == "settle"


def test_holder_is_the_merchant_name_for_ksnet_and_null_for_tosspayments(
    emu: EmulatorClient,
) -> None:
    ksnet = issued(emu, channel_key=None, pg="ksnet", product_type="real", vbank_holder="무시됨")
    assert ksnet["vbank_holder"] == "paydesk demo shop"
    toss = issued(emu, channel_key=None, pg="tosspayments", vbank_holder="무시됨")
    assert toss["vbank_holder"] is None


def test_pg_without_vbank_contract_is_refused(emu: EmulatorClient) -> None:
    message = refused(issue(emu, channel_key=None, pg="kcp"))
    assert message.endswith("계약이 필요합니다.")


@pytest.mark.parametrize("field", ["merchant_uid", "amount", "vbank_code", "vbank_due"])
def test_required_fields(emu: EmulatorClient, field: str) -> None:
    assert field in refused(issue(emu, **{field: None}))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"vbank_holder": None}, "vbank_holder"),  # nice requires a holder
        ({"channel_key": None, "pg": "tosspayments", "buyer_name": None}, "buyer_name"),
        ({"channel_key": None, "pg": "ksnet"}, "product_type"),
        ({"channel_key": None, "pg": "html5_inicis"}, "pg_api_key"),
    ],
)
def test_per_pg_required_fields(emu: EmulatorClient, overrides: dict, field: str) -> None:
    assert field in refused(issue(emu, **overrides))


def test_inicis_reads_its_api_key_from_the_query_string(emu: EmulatorClient) -> None:
    body = {"channel_key": None, "pg": "html5_inicis", "vbank_code": "088"}
    answer = emu.post(
        "/vbanks",
        params={"pg_api_key": "inicis-key"},
        json={
            "merchant_uid": "inicis_vbank_1",
            "amount": 1000,
            "vbank_due": emu.now() + 600,
            "vbank_holder": "페이데스크",
            "buyer_name": "홍길동",
            "buyer_email": "b@example.com",
            **{k: v for k, v in body.items() if v},
        },
    )
    assert answer.json()["code"] == 0, answer.text
    assert answer.json()["response"]["vbank_name"] == "신한은행"


def test_unknown_bank_past_deadline_and_unknown_channel_are_refused(emu: EmulatorClient) -> None:
    assert "vbank_code" in refused(issue(emu, vbank_code="999"))
    # welcome issues accounts only at some banks; Kakao Bank is not one of them
    assert "vbank_code" in refused(
        issue(emu, channel_key=None, pg="welcome", vbank_code="090", buyer_name="홍")
    )
    assert "vbank_due" in refused(issue(emu, vbank_due=emu.now() - 1))
    assert "channel_key" in refused(issue(emu, channel_key="no-such-channel"))


def test_merchant_uid_with_an_issued_or_paid_account_is_refused(emu: EmulatorClient) -> None:
    first = issued(emu, merchant_uid="order_dup")
    assert "order_dup" in refused(issue(emu, merchant_uid="order_dup"))
    assert deposit(emu, first["imp_uid"]).status_code == 200
    assert "order_dup" in refused(issue(emu, merchant_uid="order_dup"))


# -- deposits (control API) -------------------------------------------------------------


def test_deposit_pays_the_account_and_sends_a_paid_webhook(emu: EmulatorClient) -> None:
    payment = issued(emu)
    answer = deposit(emu, payment["imp_uid"], depositor_name="홍길동")
    assert answer.status_code == 200, answer.text
    paid = answer.json()["response"]
    assert paid["status"] == "paid" and paid["paid_at"] >= payment["vbank_issued_at"]
    assert paid["deposit_history"] == [], "only fixed unlimited accounts list deposits (§3)"
    statuses = [hook["payload"]["status"] for hook in emu.webhooks(payment["imp_uid"])]
    assert statuses == ["ready", "paid"]


def test_only_a_fixed_unlimited_account_lists_its_deposits(emu: EmulatorClient) -> None:
    fixed = issued(emu, channel_key=SETTLE_API, fixed_unlimited_vbank=True)
    paid = deposit(emu, fixed["imp_uid"], depositor_name="홍길동").json()["response"]
    [entry] = paid["deposit_history"]
    assert entry["depositor_name"] == "홍길동" and entry["amount"] == 25000
    assert entry["deposited_at"] == paid["paid_at"] and entry["pg_tid"]
    # the flag is Hecto's (settle): on another PG the account is an ordinary one
    nice = issued(emu, fixed_unlimited_vbank=True)
    assert deposit(emu, nice["imp_uid"]).json()["response"]["deposit_history"] == []


def test_deposit_of_a_wrong_amount_is_refused(emu: EmulatorClient) -> None:
    payment = issued(emu)
    assert deposit(emu, payment["imp_uid"], amount=1000).status_code == 400
    assert deposit(emu, payment["imp_uid"], amount=25000).status_code == 200


def test_deposit_after_the_deadline_is_refused(emu: EmulatorClient) -> None:
    payment = issued(emu, vbank_due=emu.now() + 3600)
    emu.advance(3601)
    answer = deposit(emu, payment["imp_uid"])
    assert answer.status_code == 400 and "기한" in answer.json()["message"]


# -- edit (settle only) -----------------------------------------------------------------


def test_settle_account_amount_and_deadline_can_be_changed(emu: EmulatorClient) -> None:
    payment = issued(emu, channel_key=SETTLE_API, vbank_code="088")
    due = emu.now() + 7 * 86400
    answer = emu.put(f"/vbanks/{payment['imp_uid']}", json={"amount": 30000, "vbank_due": due})
    assert answer.status_code == 200, answer.text
    changed = answer.json()["response"]
    assert changed["amount"] == 30000 and changed["vbank_date"] == due
    assert deposit(emu, payment["imp_uid"], amount=30000).status_code == 200


def test_edit_refusals(emu: EmulatorClient) -> None:
    settle = issued(emu, channel_key=SETTLE_API)
    assert emu.put(f"/vbanks/{settle['imp_uid']}", json={}).status_code == 400
    nice = issued(emu)
    assert emu.put(f"/vbanks/{nice['imp_uid']}", json={"amount": 1}).status_code == 400
    card = seed(emu, pg="settle")
    assert emu.put(f"/vbanks/{card['imp_uid']}", json={"amount": 1}).status_code == 400
    assert emu.put("/vbanks/imp_000000000000", json={"amount": 1}).status_code == 404
    deposit(emu, settle["imp_uid"])
    answer = emu.put(f"/vbanks/{settle['imp_uid']}", json={"amount": 1})
    assert answer.status_code == 400 and answer.json()["code"] != 0


# -- revoke -----------------------------------------------------------------------------


def test_revoke_fails_the_payment_and_refuses_later_deposits(emu: EmulatorClient) -> None:
    payment = issued(emu)
    answer = emu.delete(f"/vbanks/{payment['imp_uid']}")
    assert answer.status_code == 200, answer.text
    revoked = answer.json()["response"]
    assert revoked["status"] == "failed" and revoked["fail_reason"] == "계좌말소"
    assert revoked["failed_at"] > 0
    assert deposit(emu, payment["imp_uid"]).status_code == 400
    assert [hook["payload"]["status"] for hook in emu.webhooks(payment["imp_uid"])] == ["ready"]
    assert emu.delete(f"/vbanks/{payment['imp_uid']}").status_code == 400


def test_a_revoked_account_cannot_be_approved_late(emu: EmulatorClient) -> None:
    payment = issued(emu)
    assert emu.delete(f"/vbanks/{payment['imp_uid']}").status_code == 200
    late = emu.http.post(f"/_emulator/payments/{payment['imp_uid']}/late-paid")
    assert late.status_code == 400 and "가상계좌" in late.json()["message"]
    console = emu.http.post(f"/console/payments/{payment['imp_uid']}/late-paid")
    assert console.status_code == 303
    after = emu.get(f"/payments/{payment['imp_uid']}").json()["response"]
    assert (after["status"], after["fail_reason"]) == ("failed", "계좌말소")
    assert [hook["payload"]["status"] for hook in emu.webhooks(payment["imp_uid"])] == ["ready"]
    # a card payment that failed can still be (Paymentwall's scenario)
    card = seed(emu, status="failed", pg="paymentwall")
    assert emu.control("POST", f"/payments/{card['imp_uid']}/late-paid")["status"] == "paid"


def test_revoke_refusals(emu: EmulatorClient) -> None:
    assert emu.delete("/vbanks/imp_000000000000").status_code == 404
    card = seed(emu)
    assert emu.delete(f"/vbanks/{card['imp_uid']}").status_code == 400
    paid = issued(emu)
    deposit(emu, paid["imp_uid"])
    assert emu.delete(f"/vbanks/{paid['imp_uid']}").status_code == 400
    inicis = seed(emu, pay_method="vbank", status="ready", pg="html5_inicis")
    answer = emu.delete(f"/vbanks/{inicis['imp_uid']}")
    assert answer.status_code == 400 and "pg_api_key" in answer.json()["message"]
    answer = emu.delete(f"/vbanks/{inicis['imp_uid']}", params={"pg_api_key": "k"})
    assert answer.status_code == 200 and answer.json()["response"]["status"] == "failed"


# -- holder lookup ----------------------------------------------------------------------


def test_holder_lookup_is_deterministic(emu: EmulatorClient) -> None:
    query = {"bank_code": "004", "bank_num": "123-456-789012"}
    first = emu.get("/vbanks/holder", params=query)
    assert first.status_code == 200, first.text
    holder = first.json()["response"]["bank_holder"]
    assert len(holder) == 3
    assert emu.get("/vbanks/holder", params=query).json()["response"]["bank_holder"] == holder
    other = emu.get("/vbanks/holder", params={**query, "bank_num": "123456789013"})
    assert other.status_code == 200


def test_holder_lookup_errors(emu: EmulatorClient) -> None:
    assert emu.get("/vbanks/holder", params={"bank_code": "004"}).status_code == 400
    assert emu.get("/vbanks/holder", params={"bank_num": "1234"}).status_code == 400
    missing = emu.get("/vbanks/holder", params={"bank_code": "004", "bank_num": "1000-0012"})
    assert missing.status_code == 404 and missing.json()["code"] != 0
    unknown_bank = emu.get("/vbanks/holder", params={"bank_code": "999", "bank_num": "12345"})
    assert unknown_bank.status_code == 404
