"""Cash receipts over real HTTP: for i'mport cash payments and for external sales."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.emulator import EmulatorClient, seed

PHONE = "010-1234-5678"


def cash_payment(emu: EmulatorClient, **fields: Any) -> dict[str, Any]:
    return seed(emu, pay_method="trans", pg="html5_inicis", **fields)


def issue(emu: EmulatorClient, imp_uid: str, **body: Any) -> httpx.Response:
    return emu.post(f"/receipts/{imp_uid}", json={"identifier": PHONE, **body})


def ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    assert answer.json()["code"] == 0, answer.text
    result: dict[str, Any] = answer.json()["response"]
    return result


def refused(answer: httpx.Response, status: int) -> str:
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] != 0 and answer.json()["response"] is None
    message: str = answer.json()["message"]
    return message


# -- receipts of i'mport payments -----------------------------------------------------


def test_receipt_for_a_transfer_takes_amount_and_vat_from_the_payment(
    emu: EmulatorClient,
) -> None:
    payment = cash_payment(emu, amount=10000)
    receipt = ok(issue(emu, payment["imp_uid"]))
    assert receipt["imp_uid"] == payment["imp_uid"]
    assert receipt["amount"] == 10000 and receipt["vat"] == 909
    assert receipt["type"] == "person" and receipt["cancelled_at"] == 0
    assert receipt["apply_num"] and receipt["receipt_url"]
    assert abs(receipt["applied_at"] - emu.now()) <= 1
    assert ok(emu.get(f"/receipts/{payment['imp_uid']}")) == receipt
    assert ok(emu.get(f"/payments/{payment['imp_uid']}"))["cash_receipt_issued"] is True


def test_tax_free_part_and_explicit_vat(emu: EmulatorClient) -> None:
    first = cash_payment(emu, amount=10000)
    assert ok(issue(emu, first["imp_uid"], tax_free=1000, type="company"))["vat"] == 818
    second = seed(emu, pay_method="vbank", pg="html5_inicis", amount=22000)
    assert ok(issue(emu, second["imp_uid"], vat_amount=1500))["vat"] == 1500
    third = cash_payment(emu, amount=5000)
    refused(issue(emu, third["imp_uid"], tax_free=6000), 400)
    refused(issue(emu, third["imp_uid"], vat_amount=6000), 400)


def test_receipt_after_a_partial_cancel_covers_the_remaining_amount(emu: EmulatorClient) -> None:
    payment = cash_payment(emu, amount=10000)
    cancel = emu.post("/payments/cancel", json={"imp_uid": payment["imp_uid"], "amount": 3000})
    assert cancel.json()["code"] == 0, cancel.text
    receipt = ok(issue(emu, payment["imp_uid"]))
    assert receipt["amount"] == 7000 and receipt["vat"] == 636


def test_issue_refusals(emu: EmulatorClient) -> None:
    payment = cash_payment(emu)
    assert "identifier" in refused(emu.post(f"/receipts/{payment['imp_uid']}", json={}), 400)
    refused(issue(emu, payment["imp_uid"], identifier="not-a-number"), 400)
    refused(issue(emu, "imp_000000000000"), 400)
    refused(issue(emu, seed(emu)["imp_uid"]), 400)  # a card payment
    ready = seed(emu, pay_method="vbank", status="ready", pg="html5_inicis")
    refused(issue(emu, ready["imp_uid"]), 400)
    refused(issue(emu, cash_payment(emu, status="failed")["imp_uid"]), 400)
    ok(issue(emu, payment["imp_uid"]))
    assert "이미" in refused(issue(emu, payment["imp_uid"]), 400)


def test_pg_without_cash_receipts_answers_501(emu: EmulatorClient) -> None:
    payment = seed(emu, pay_method="trans", pg="uplus")
    refused(issue(emu, payment["imp_uid"]), 501)


@pytest.mark.parametrize(
    ("pg", "field"),
    [("settle", "identifier_type"), ("daou", "company_tel"), ("smartro_v2", "type")],
)
def test_per_pg_required_fields(emu: EmulatorClient, pg: str, field: str) -> None:
    payment = seed(emu, pay_method="trans", pg=pg)
    assert field in refused(issue(emu, payment["imp_uid"]), 400)


def test_revoke_then_reissue(emu: EmulatorClient) -> None:
    payment = cash_payment(emu)
    refused(emu.delete(f"/receipts/{payment['imp_uid']}"), 400)
    ok(issue(emu, payment["imp_uid"]))
    revoked = ok(emu.delete(f"/receipts/{payment['imp_uid']}"))
    assert revoked["cancelled_at"] > 0
    assert ok(emu.get(f"/receipts/{payment['imp_uid']}"))["cancelled_at"] == revoked["cancelled_at"]
    assert ok(emu.get(f"/payments/{payment['imp_uid']}"))["cash_receipt_issued"] is False
    refused(emu.delete(f"/receipts/{payment['imp_uid']}"), 400)
    again = ok(issue(emu, payment["imp_uid"]))
    assert again["cancelled_at"] == 0
    assert ok(emu.get(f"/payments/{payment['imp_uid']}"))["cash_receipt_issued"] is True


def test_revoke_through_a_pg_that_cannot_answers_501(emu: EmulatorClient) -> None:
    payment = seed(emu, pay_method="trans", pg="kicc")
    ok(issue(emu, payment["imp_uid"], identifier_type="phone"))
    refused(emu.delete(f"/receipts/{payment['imp_uid']}"), 501)


def test_lookup_of_missing_receipts_is_404(emu: EmulatorClient) -> None:
    refused(emu.get(f"/receipts/{cash_payment(emu)['imp_uid']}"), 404)
    refused(emu.get("/receipts/imp_000000000000"), 404)
    refused(emu.delete("/receipts/imp_000000000000"), 400)


# -- external receipts ------------------------------------------------------------------


def external(emu: EmulatorClient, merchant_uid: str, **overrides: Any) -> httpx.Response:
    body = {
        "channel_key": "channel-key-demo-nice-api",
        "name": "현장 판매",
        "amount": 11000,
        "identifier": PHONE,
        **overrides,
    }
    return emu.post(
        f"/receipts/external/{merchant_uid}",
        json={k: v for k, v in body.items() if v is not None},
    )


def test_external_receipt_issue_lookup_revoke(emu: EmulatorClient) -> None:
    receipt = ok(external(emu, "shop_1"))
    assert receipt["merchant_uid"] == "shop_1"
    assert receipt["amount"] == 11000 and receipt["vat"] == 1000
    assert receipt["type"] == "person" and receipt["cancelled_at"] == 0
    assert ok(emu.get("/receipts/external/shop_1")) == receipt
    assert "이미" in refused(external(emu, "shop_1"), 400)
    revoked = ok(emu.delete("/receipts/external/shop_1"))
    assert revoked["cancelled_at"] > 0
    refused(emu.delete("/receipts/external/shop_1"), 400)
    assert ok(external(emu, "shop_1", amount=5000))["amount"] == 5000


def test_external_receipt_accepts_pg_of_older_clients(emu: EmulatorClient) -> None:
    assert ok(external(emu, "shop_2", channel_key=None, pg="kcp"))["merchant_uid"] == "shop_2"


@pytest.mark.parametrize("field", ["name", "amount", "identifier"])
def test_external_required_fields(emu: EmulatorClient, field: str) -> None:
    assert field in refused(external(emu, "shop_3", **{field: None}), 400)


def test_external_per_pg_fields_and_unsupported_pg(emu: EmulatorClient) -> None:
    welcome = {"channel_key": None, "pg": "welcome"}
    assert "type" in refused(external(emu, "shop_4", **welcome), 400)
    full = {**welcome, "type": "person", "buyer_tel": "01012345678", "corp_reg_no": "1234567890"}
    assert "pay_method" in refused(external(emu, "shop_4", **full), 400)
    ok(external(emu, "shop_4", **full, pay_method="trans"))
    refused(external(emu, "shop_5", channel_key=None, pg="daou"), 501)


def test_external_revoke_through_a_pg_that_cannot_answers_501(emu: EmulatorClient) -> None:
    ok(external(emu, "shop_6", channel_key=None, pg="kicc", identifier_type="phone"))
    refused(emu.delete("/receipts/external/shop_6"), 501)


def test_external_lookups_of_unknown_merchant_uid_are_404(emu: EmulatorClient) -> None:
    refused(emu.get("/receipts/external/nope"), 404)
    refused(emu.delete("/receipts/external/nope"), 404)
