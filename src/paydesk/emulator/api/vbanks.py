"""Virtual accounts by API: issue (``POST /vbanks``), edit, revoke, and the holder lookup.

An issued account is a Payment in ``ready`` with its ``vbank_*`` fields and a
``ready`` webhook; the buyer's deposit (played by the control API,
``deposits.deposit_into_vbank``) makes it ``paid``.

Emulator rules where the platform is silent (reference §13):

* ``DELETE /vbanks/{imp_uid}`` leaves the payment ``failed`` with
  ``fail_reason`` "계좌말소" and sends no webhook.  The release note of
  2024-01-25 says the console classifies a revoked account as failed with that
  reason; the console reads the same record the REST API returns, so ``failed``
  is the most faithful REST status.  The account then refuses deposits.
* ``fixed_unlimited_vbank: true`` (Hecto, pg ``settle``) marks a fixed
  "unlimited" account: only such an account lists its deposits in
  ``deposit_history`` (§3: "deposits into a fixed 'unlimited' vbank"); every
  other account leaves it empty, as the live API does.
* ``GET /vbanks/holder`` derives a holder name deterministically from the bank
  code and account number; an account number containing ``0000`` (or an
  unknown bank code) is an account the bank cannot find: 404.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..gateway import Gateway, pg_rules
from ..gateway.channel_choice import choose_channel
from ..gateway.code_tables import VBANK_CODES_BY_PG, bank_name
from ..gateway.errors import ApiFault, Messages
from ..gateway.merchants import Channel, Merchant
from ..gateway.params import Amount, Params, custom_data_text
from ..gateway.records import Payment
from .routing import Call, RouteTable

__all__ = ["REVOKED_REASON", "holder_for", "routes"]

routes = RouteTable()

REVOKED_REASON = "계좌말소"
DUPLICATE = "이미 결제가 완료된 merchant_uid입니다. ({merchant_uid})"
NOT_VBANK = "가상계좌 결제건이 아닙니다."
NOT_READY = "입금대기 상태의 가상계좌가 아닙니다."
NOT_SUPPORTED = "{pg} 가상계좌는 해당 기능을 지원하지 않습니다."
UNKNOWN_BANK = "vbank_code 파라메터가 올바르지 않습니다. ({code}: {pg} 미지원 은행)"
HOLDER_NOT_FOUND = "계좌 예금주 조회에 실패하였습니다."
#: Hecto (settle) offers fixed "unlimited" accounts (``fixed_unlimited_vbank``, §2.8).
FIXED_UNLIMITED_PGS = frozenset({"settle"})
HOLDER_IGNORED = frozenset({"tosspayments", "ksnet", "welcome"})
_TEXT_LIMITS = {
    "name": 40, "buyer_name": 16, "buyer_email": 64, "buyer_tel": 16, "buyer_addr": 128,
    "buyer_postcode": 8, "vbank_holder": 16, "vbank_key": 13,
}  # fmt: skip


@routes.op("POST", "/vbanks")
def issue_vbank(call: Call) -> dict[str, Any]:
    """Issue a virtual account awaiting deposit (status ``ready``)."""
    params = call.params
    merchant_uid = params.need_text("merchant_uid", max_len=40)
    amount = params.need_amount("amount")
    code = params.need_text("vbank_code")
    due = params.need_integer("vbank_due")
    channel = choose_channel(call.merchant, params, ("api_payment", "payment"))
    pg = channel.pg_provider
    if not pg_rules.supports(pg, "vbank_issue"):
        raise params.fail(Messages.VBANK_CONTRACT)
    _check_issue_fields(params, pg)
    name = _vbank_bank(params, pg, code)
    if due <= call.now:
        raise params.fail(Messages.invalid("vbank_due", "현재 시각 이후여야 합니다"))
    if call.gateway.has_paid_attempt(call.merchant, merchant_uid):
        raise params.fail(DUPLICATE.format(merchant_uid=merchant_uid))
    payment = _open_account(call, channel, merchant_uid, amount)
    payment.vbank_code, payment.vbank_name, payment.vbank_date = code, name, due
    payment.vbank_num = _account_number(call.gateway, params, pg)
    payment.vbank_holder = _holder(call.merchant, pg, params.text("vbank_holder"))
    payment.vbank_issued_at = call.now
    payment.vbank_fixed_unlimited = pg in FIXED_UNLIMITED_PGS and params.flag(
        "fixed_unlimited_vbank"
    )
    payment.pg_tid = call.gateway.new_pg_tid(pg)
    call.gateway.announce(payment, "ready")
    return payment.wire()


def _check_issue_fields(params: Params, pg: str) -> None:
    for name, limit in _TEXT_LIMITS.items():
        params.text(name, max_len=limit)
    missing = pg_rules.missing_fields(pg, "vbank_issue", params.data)
    if pg == "html5_inicis" and not params.has("pg_api_key"):
        missing.append("pg_api_key")
    if missing:
        raise params.fail(Messages.missing(missing[0]))


def _vbank_bank(params: Params, pg: str, code: str) -> str:
    name = bank_name(code)
    allowed = VBANK_CODES_BY_PG.get(pg)
    if name is None or (allowed is not None and code not in allowed):
        raise params.fail(UNKNOWN_BANK.format(code=code, pg=pg))
    return name


def _open_account(call: Call, channel: Channel, merchant_uid: str, amount: Amount) -> Payment:
    params = call.params
    tax_free = params.amount("tax_free") or 0
    vat_amount = params.amount("vat_amount")
    if tax_free > amount:
        raise params.fail(Messages.invalid("tax_free", "amount 이하여야 합니다"))
    if vat_amount is not None and channel.pg_provider == "welcome" and vat_amount * 10 > amount:
        raise params.fail(Messages.invalid("vat_amount", "결제금액의 10% 이하여야 합니다"))
    return call.gateway.start_payment(
        call.merchant,
        channel,
        merchant_uid=merchant_uid,
        amount=amount,
        pay_method="vbank",
        origin="api",
        name=params.text("name"),
        buyer_name=params.text("buyer_name"),
        buyer_email=params.text("buyer_email"),
        buyer_tel=params.text("buyer_tel"),
        buyer_addr=params.text("buyer_addr"),
        buyer_postcode=params.text("buyer_postcode"),
        custom_data=custom_data_text(params.raw("custom_data")),
        notice_urls=params.strings("notice_url"),
        tax_free=tax_free,
        vat_amount=vat_amount,
        vat_explicit=vat_amount is not None,
    )


def _account_number(gateway: Gateway, params: Params, pg: str) -> str:
    fixed = params.text("vbank_num") if pg in ("smartro_v2", "settle") else None
    if fixed:
        return fixed
    key = params.text("vbank_key") if pg == "tosspayments" else None
    if key:  # a fixed account: the same key always maps to the same number
        return str(int(hashlib.sha256(key.encode()).hexdigest(), 16))[:14]
    return gateway.digits(14)


def _holder(merchant: Merchant, pg: str, given: str | None) -> str | None:
    """tosspayments answers null; ksnet and welcome use the merchant's name (§3, §9.4)."""
    if pg == "tosspayments":
        return None
    if pg in HOLDER_IGNORED:
        return merchant.name
    return given or merchant.name


@routes.op("PUT", "/vbanks/{imp_uid}")
def edit_vbank(call: Call) -> dict[str, Any]:
    """Change the amount and/or deadline of an undeposited account (settle only)."""
    params = call.params
    payment = _open_vbank(call, "vbank_edit")
    amount = params.amount("amount", positive=True)
    due = params.integer("vbank_due")
    if amount is None and due is None:
        raise params.fail(Messages.missing("amount 또는 vbank_due"))
    if due is not None and due <= call.now:
        raise params.fail(Messages.invalid("vbank_due", "현재 시각 이후여야 합니다"))
    if amount is not None:
        payment.amount = amount
    if due is not None:
        payment.vbank_date = due
    payment.updated_at = call.now
    call.gateway.touch()
    return payment.wire()


@routes.op("DELETE", "/vbanks/{imp_uid}")
def revoke_vbank(call: Call) -> dict[str, Any]:
    """Close an undeposited account: ``failed`` / "계좌말소", no more deposits."""
    payment = _open_vbank(call, "vbank_revoke")
    if payment.pg_provider == "html5_inicis" and not call.params.has("pg_api_key"):
        raise call.params.fail(Messages.missing("pg_api_key"))
    payment.vbank_revoked = True
    call.gateway.fail(payment, REVOKED_REASON)
    return payment.wire()


def _open_vbank(call: Call, operation: str) -> Payment:
    """The path's payment, which must be an undeposited vbank of a PG offering ``operation``."""
    payment = call.gateway.require_payment(call.merchant, call.path["imp_uid"])
    if payment.pay_method != "vbank" or not payment.vbank_num:
        raise ApiFault(400, NOT_VBANK)
    if payment.status != "ready" or payment.vbank_revoked:
        raise ApiFault(400, NOT_READY)
    if not pg_rules.supports(payment.pg_provider, operation):
        raise ApiFault(400, NOT_SUPPORTED.format(pg=payment.pg_provider))
    return payment


@routes.op("GET", "/vbanks/holder")
def vbank_holder(call: Call) -> dict[str, str]:
    """The holder of a bank account (see the module docstring for the emulator's rule)."""
    params = call.params
    code = params.need_text("bank_code")
    digits = re.sub(r"\D", "", params.need_text("bank_num"))
    if not digits:
        raise params.fail(Messages.invalid("bank_num", "숫자로 된 계좌번호여야 합니다"))
    if bank_name(code) is None or "0000" in digits:
        raise ApiFault(404, HOLDER_NOT_FOUND)
    return {"bank_holder": holder_for(code, digits)}


_SURNAMES = "김이박최정강조윤장임한오서신권황안송류홍"
_SYLLABLES = "민서준지현우예도하은수영진성혜윤재희주원"


def holder_for(bank_code: str, digits: str) -> str:
    """A Korean name derived from the account, the same on every call."""
    seed = hashlib.sha256(f"{bank_code}:{digits}".encode()).digest()
    return (
        _SURNAMES[seed[0] % len(_SURNAMES)]
        + _SYLLABLES[seed[1] % len(_SYLLABLES)]
        + _SYLLABLES[seed[2] % len(_SYLLABLES)]
    )
