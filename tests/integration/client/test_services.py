"""Vbanks, cash receipts, identity verification, escrow delivery, codes and PG settings,
through both clients against the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from paydesk.iamport import (
    BadRequest,
    Conflict,
    EscrowParty,
    EscrowShipment,
    NotFound,
    NotSupported,
)
from tests.integration.client.conftest import Recorder
from tests.support.emulator import EmulatorClient, seed

NICE_API = "channel-key-demo-nice-api"
SETTLE_API = "channel-key-demo-settle-api"
DANAL = "channel-key-demo-danal-cert"
PHONE = "010-1234-5678"


def due(emu: EmulatorClient, days: int = 3) -> datetime:
    return datetime.fromtimestamp(emu.now(), UTC) + timedelta(days=days)


def test_vbank_issue_edit_deposit_and_revoke(emu: EmulatorClient, api: Any) -> None:
    issued = api.issue_vbank("vb_1", 25000, vbank_code="088", vbank_due=due(emu),
                             channel_key=SETTLE_API, vbank_holder="페이데스크", name="주문",
                             buyer_name="홍길동", buyer_email="a@b.kr")  # fmt: skip
    assert issued.status == "ready" and issued.awaiting_deposit and issued.vbank_num
    assert issued.vbank_date is not None and issued.vbank_date.tzinfo is UTC
    week = due(emu, 7)  # read the emulator's clock once: a second may pass before the check
    edited = api.edit_vbank(issued.imp_uid, amount=30000, vbank_due=week)
    assert edited.amount == 30000 and edited.vbank_date == week.replace(microsecond=0)
    other = api.issue_vbank("vb_2", 10000, vbank_code="004", vbank_due=due(emu),
                            channel_key=NICE_API, vbank_holder="페이데스크", name="주문",
                            buyer_name="홍길동", buyer_email="a@b.kr")  # fmt: skip
    revoked = api.revoke_vbank(other.imp_uid)
    assert revoked.imp_uid == other.imp_uid and not revoked.awaiting_deposit
    with pytest.raises(BadRequest):
        api.edit_vbank(other.imp_uid, amount=1)
    with pytest.raises(NotFound):
        api.revoke_vbank("imp_000000000000")
    assert api.vbank_holder("004", "123-456-789012").bank_holder


def test_cash_receipts(emu: EmulatorClient, api: Any) -> None:
    transfer = seed(emu, pay_method="trans", pg="html5_inicis", amount=11000)["imp_uid"]
    receipt = api.issue_receipt(transfer, identifier=PHONE)
    assert receipt.imp_uid == transfer and receipt.amount == 11000 and receipt.vat == 1000
    assert receipt.applied_at is not None and receipt.cancelled_at is None
    assert api.receipt(transfer).apply_num == receipt.apply_num
    assert api.cancel_receipt(transfer).cancelled_at is not None
    with pytest.raises(NotFound):
        api.receipt(seed(emu, pay_method="trans")["imp_uid"])
    external = api.issue_external_receipt("shop_1", name="현장 판매", amount=11000,
                                          identifier=PHONE, channel_key=NICE_API)  # fmt: skip
    assert external.merchant_uid == "shop_1" and external.amount == 11000
    assert api.external_receipt("shop_1").apply_num == external.apply_num
    assert api.cancel_external_receipt("shop_1").cancelled_at is not None
    with pytest.raises(NotSupported):
        api.issue_external_receipt("shop_2", name="n", amount=1000, identifier=PHONE, pg="daou")


def test_identity_verification_by_otp(emu: EmulatorClient, api: Any) -> None:
    started = api.request_otp(name="홍길동", phone="010-1234-5678", birth="900115",
                              gender_digit="1", carrier="SKT", channel_key=DANAL,
                              merchant_uid="cert_1")  # fmt: skip
    otp = emu.control("GET", f"/certifications/{started.imp_uid}/otp")["otp"]
    result = api.confirm_otp(started.imp_uid, otp)
    assert result.certified and result.name == "홍길동" and result.pg_provider == "danal"
    assert result.certified_at is not None and result.unique_key
    assert api.certification(started.imp_uid).merchant_uid == "cert_1"
    assert api.delete_certification(started.imp_uid).imp_uid == started.imp_uid
    with pytest.raises(NotFound):
        api.certification(started.imp_uid)


def test_escrow_delivery(emu: EmulatorClient, api: Any) -> None:
    imp_uid = seed(emu, escrow=True, pg="kcp")["imp_uid"]
    person = EscrowParty(
        name="홍길동", tel=PHONE, addr="서울시 중구 세종대로 110", postcode="04524"
    )
    sent_at = datetime.fromtimestamp(emu.now(), UTC)
    with pytest.raises(Conflict):
        api.escrow_logis(imp_uid)
    shipment = EscrowShipment(company="CJGLS", invoice="123456789012", sent_at=sent_at)
    registered = api.register_escrow_logis(imp_uid, sender=person, receiver=person, logis=shipment)
    assert registered.invoice == "123456789012" and registered.sent_at == sent_at
    with pytest.raises(Conflict):
        api.register_escrow_logis(imp_uid, sender=person, receiver=person, logis=shipment)
    changed = EscrowShipment(company="CJGLS", invoice="999", sent_at=sent_at)
    assert api.update_escrow_logis(imp_uid, sender=person, receiver=person,
                                   logis=changed).invoice == "999"  # fmt: skip
    assert api.escrow_logis(imp_uid).invoice == "999"


def test_codes_are_cached_and_pg_settings_listed(api: Any, recorder: Recorder) -> None:
    assert any(bank.code == "004" for bank in api.banks())
    assert api.bank_name("004") == api.bank("004").name
    assert api.bank_name("999") is None
    assert recorder.count("GET", "/banks") == 1  # the table was read once
    assert api.card_name("361") == api.card("361").name
    assert recorder.count("GET", "/cards") == 1
    with pytest.raises(NotFound):
        api.card("000")
    settings = api.pg_settings()
    assert {"payment", "api_payment", "certification"} <= {s.type for s in settings}
    assert all(s.pg_provider and s.pg_id for s in settings)
