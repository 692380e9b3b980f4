"""Seeding payments through the control API (``POST /_emulator/payments`` and ``/payments/bulk``).

A test, or a person at the console, can put a payment in any state the real
platform could hold (a phone payment from last month, an escrow card payment,
a vbank awaiting deposit, a sub-merchant's with ``tier``) without driving a
window.  The payment goes through the same ``Gateway`` transitions, so it is
announced by webhook as usual.

``POST /_emulator/payments/bulk`` seeds many at once (a benchmark's 100,000
payments in a few dozen calls): ``{"payments": [spec, ...], "brief": bool}``
with each spec as for one payment. Specs are seeded in order; the first bad one
stops the call with its index in the message, and those before it stay seeded
(``response.seeded`` says how many).
"""

from __future__ import annotations

from typing import Any

from ..gateway import Gateway, pg_rules
from ..gateway.cards import card_profile, mask_card, normalize_card
from ..gateway.errors import ApiFault
from ..gateway.gateway import UNKNOWN_TIER
from ..gateway.params import Params
from ..gateway.records import Payment

__all__ = ["BULK_MAX", "seed_payment", "seed_payments"]

_PGS_FOR_METHOD = {"phone": "danal", "vbank": "html5_inicis", "trans": "html5_inicis"}
#: Most specs one bulk call takes.
BULK_MAX = 10_000


def seed_payments(gateway: Gateway, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Seed every spec of ``data["payments"]`` in order; their wire forms (``brief``: ids only)."""
    specs = data.get("payments")
    if not isinstance(specs, list) or not specs:
        raise ApiFault(400, "payments는 결제 정보 객체의 배열이어야 합니다.", code=1)
    if len(specs) > BULK_MAX:
        raise ApiFault(400, f"한 번에 최대 {BULK_MAX}건까지 등록할 수 있습니다.", code=1)
    brief = Params(data).flag("brief")
    seeded: list[dict[str, Any]] = []
    for index, spec in enumerate(specs):
        try:
            if not isinstance(spec, dict):
                raise ApiFault(400, "결제 정보는 JSON 객체여야 합니다.", code=1)
            payment = seed_payment(gateway, spec)
        except ApiFault as fault:
            gateway.flush()  # keep what was seeded before the bad spec
            raise ApiFault(fault.http_status, f"payments[{index}]: {fault.message}",
                           code=fault.code, response={"seeded": index}) from fault  # fmt: skip
        seeded.append(
            {"imp_uid": payment.imp_uid, "merchant_uid": payment.merchant_uid}
            if brief
            else payment.wire()
        )
    return seeded


def seed_payment(gateway: Gateway, data: dict[str, Any]) -> Payment:
    params = Params(data)
    imp_code = params.text("imp_code") or next(iter(gateway.merchants))
    merchant = gateway.merchants.get(imp_code)
    if merchant is None:
        raise ApiFault(404, "존재하지 않는 가맹점입니다.")
    tier = params.text("tier")
    if tier:  # a payment of one of the merchant's sub-merchants, in its books
        acting = merchant.as_tier(tier)
        if acting is None:
            raise ApiFault(404, UNKNOWN_TIER.format(tier=tier))
        merchant = acting
    pay_method = params.text("pay_method") or "card"
    pg = params.text("pg") or _PGS_FOR_METHOD.get(pay_method, "html5_inicis")
    channel = merchant.pick(pg, "payment")
    if channel is None:
        raise ApiFault(400, f"{pg} 채널이 없습니다.")
    escrow = params.flag("escrow")
    if escrow and not pg_rules.supports(pg, "escrow"):
        raise ApiFault(400, f"에스크로를 지원하지 않는 PG사입니다. ({pg})")
    status = params.text("status", choices=("ready", "paid", "failed")) or "paid"
    started_at = params.integer("started_at")
    payment = gateway.start_payment(
        merchant,
        channel,
        merchant_uid=params.text("merchant_uid") or f"seed_{gateway.next_sequence()}",
        amount=params.need_amount("amount"),
        pay_method=pay_method,
        origin=params.text("channel", choices=("pc", "mobile", "api")) or "pc",
        name=params.text("name") or "시드 결제",
        currency=params.text("currency") or "KRW",
        buyer_name=params.text("buyer_name"),
        buyer_email=params.text("buyer_email"),
        buyer_tel=params.text("buyer_tel"),
        escrow=escrow,
        tax_free=params.amount("tax_free") or 0,
        vat_amount=params.amount("vat_amount"),
        vat_explicit=params.has("vat_amount"),
        notice_urls=params.strings("notice_url"),
        custom_data=params.text("custom_data"),
    )
    if started_at is not None:
        payment.started_at = started_at
    if params.flag("sandbox"):
        payment.sandbox = True  # as if made on a test channel
    payment.uses_webhook = params.flag("uses_webhook", True)
    if pay_method == "vbank":
        now = gateway.now()
        payment.vbank_code = params.text("vbank_code") or "004"
        payment.vbank_name = params.text("vbank_name") or "KB국민은행"
        payment.vbank_num = params.text("vbank_num") or "T" + gateway.digits(13)
        payment.vbank_holder = params.text("vbank_holder") or merchant.name
        payment.vbank_date = params.integer("vbank_due") or now + 3 * 86400
        payment.vbank_issued_at = now
        if status == "ready":
            gateway.announce(payment, "ready")
    if status == "paid":
        extra: dict[str, Any] = {}
        if pay_method == "card":
            digits = normalize_card(params.text("card_number") or "4111111111111111")
            profile = card_profile(digits)
            if profile is not None:
                extra = {
                    "card_code": profile.card_code,
                    "card_name": profile.card_name,
                    "card_type": profile.card_type,
                    "card_number": mask_card(digits),
                    "card_quota": params.integer("card_quota") or 0,
                }
        elif pay_method == "trans":
            extra = {"bank_code": "004", "bank_name": "KB국민은행"}
        gateway.approve(payment, **extra)
        paid_at = params.integer("paid_at")
        if paid_at is not None:
            payment.paid_at = paid_at
    elif status == "failed":
        gateway.fail(payment, params.text("fail_reason") or "[시드] 결제 실패")
    return payment
