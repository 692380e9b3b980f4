"""Amount pre-registration over real HTTP: register, duplicate, change, read."""

from __future__ import annotations

from typing import Any

from tests.support.emulator import OTHER_KEY, OTHER_SECRET, EmulatorClient

NOT_PREPARED = "사전등록된 결제정보가 존재하지 않습니다."


def body(answer: Any) -> dict[str, Any]:
    payload: dict[str, Any] = answer.json()
    return payload


def test_register_then_read(emu: EmulatorClient) -> None:
    answer = emu.post("/payments/prepare", json={"merchant_uid": "order_p1", "amount": 39000})
    assert answer.status_code == 200
    assert body(answer) == {
        "code": 0,
        "message": None,
        "response": {"merchant_uid": "order_p1", "amount": 39000, "currency": None},
    }
    read = emu.get("/payments/prepare/order_p1")
    assert read.status_code == 200 and body(read)["response"]["amount"] == 39000


def test_register_with_currency_as_a_form(emu: EmulatorClient) -> None:
    form = {"merchant_uid": "order_usd", "amount": "12.5", "currency": "USD"}
    answer = emu.post("/payments/prepare/", data=form)
    assert body(answer)["response"] == {
        "merchant_uid": "order_usd",
        "amount": 12.5,
        "currency": "USD",
    }


def test_second_registration_is_refused_with_code_1(emu: EmulatorClient) -> None:
    emu.post("/payments/prepare", json={"merchant_uid": "order_dup", "amount": 1000})
    again = emu.post("/payments/prepare", json={"merchant_uid": "order_dup", "amount": 2000})
    assert again.status_code == 200
    assert body(again) == {
        "code": 1,
        "message": "결제정보 사전등록에 실패하였습니다(이미 등록된 merchant_uid입니다).",
        "response": None,
    }
    assert body(emu.get("/payments/prepare/order_dup"))["response"]["amount"] == 1000


def test_register_needs_merchant_uid_up_to_40_chars_and_amount(emu: EmulatorClient) -> None:
    for request in (
        {"amount": 1000},
        {"merchant_uid": "order_x"},
        {"merchant_uid": "x" * 41, "amount": 1000},
        {"merchant_uid": "order_x", "amount": "many"},
    ):
        answer = emu.post("/payments/prepare", json=request)
        assert body(answer)["code"] != 0, request
        assert body(answer)["response"] is None
    ok = emu.post("/payments/prepare", json={"merchant_uid": "x" * 40, "amount": 1000})
    assert body(ok)["code"] == 0


def test_change_amount_keeps_currency_unless_given(emu: EmulatorClient) -> None:
    emu.post("/payments/prepare", json={"merchant_uid": "order_c", "amount": 10, "currency": "USD"})
    changed = emu.put("/payments/prepare", json={"merchant_uid": "order_c", "amount": 20})
    assert changed.status_code == 200
    assert body(changed)["response"] == {"merchant_uid": "order_c", "amount": 20, "currency": "USD"}
    changed = emu.put(
        "/payments/prepare", json={"merchant_uid": "order_c", "amount": 30000, "currency": "KRW"}
    )
    assert body(emu.get("/payments/prepare/order_c"))["response"]["currency"] == "KRW"


def test_change_or_read_unknown_is_404(emu: EmulatorClient) -> None:
    answer = emu.put("/payments/prepare", json={"merchant_uid": "order_none", "amount": 1000})
    assert answer.status_code == 404 and body(answer)["message"] == NOT_PREPARED
    answer = emu.get("/payments/prepare/order_none")
    assert answer.status_code == 404 and body(answer)["message"] == NOT_PREPARED
    assert body(answer)["code"] != 0 and body(answer)["response"] is None


def test_registrations_belong_to_one_merchant(emu: EmulatorClient) -> None:
    emu.post("/payments/prepare", json={"merchant_uid": "order_mine", "amount": 1000})
    token = emu.token(OTHER_KEY, OTHER_SECRET)
    theirs = emu.http.get("/payments/prepare/order_mine", headers={"Authorization": token})
    assert theirs.status_code == 404
