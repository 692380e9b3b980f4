"""What the buyer's answer in the PG window does to the payment, per pay method.

Each page posts a form; its reader checks it (a mistake keeps the window open
with a message, like a real PG form), the Confirm Process runs (§6), then the
payment is approved, failed or (vbank) issued through the ``Gateway``.  Card
outcomes come from ``charging.decide`` — the same test-card rules as key-in
and billing charges — and window billing keys from ``charging.issue_billing_key``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from ..gateway.charging import (
    CardInput,
    CardRejected,
    Decision,
    decide,
    issue_billing_key,
    issuer_fields,
)
from ..gateway.code_tables import BANKS, VBANK_CODES_BY_PG
from ..gateway.errors import Messages
from ..gateway.records import BillingKey, Payment
from .confirm import ask_merchant, note_ignored
from .pay_request import installment_choices, parse_vbank_due
from .reply import ErrorCodes, Failure, pay_rsp
from .session import WindowDesk, WindowSession

__all__ = [
    "BANK_CHOICES",
    "BUYER_CANCELLED",
    "Outcome",
    "bank_choices",
    "cancel",
    "submit",
]

BUYER_CANCELLED = "사용자가 결제를 취소하셨습니다"
WRONG_PHONE_CODE = "000000"  # the one verification code the emulated carrier refuses
BANK_CHOICES = ("004", "088", "020", "081", "011", "003", "023", "071", "089", "090", "092")
_EXPIRY = re.compile(r"^\s*(\d{2})\s*/?\s*(\d{2})\s*$|^\s*(\d{4})-(\d{2})\s*$")


@dataclass(frozen=True, slots=True)
class Outcome:
    """Either the window is done (``rsp``) or it stays open showing ``retry``."""

    rsp: dict[str, Any] | None = None
    retry: str | None = None


Finisher = Callable[[WindowDesk, WindowSession, Payment], Awaitable[Outcome]]
Reader = Callable[[WindowDesk, WindowSession, Payment, dict[str, str]], Finisher | str]


def bank_choices(pg: str) -> list[tuple[str, str]]:
    """Banks the page offers (``VBANK_CODES_BY_PG`` narrows some PGs)."""
    allowed = VBANK_CODES_BY_PG.get(pg)
    return [(c, BANKS[c]) for c in BANK_CHOICES if c in BANKS and (not allowed or c in allowed)]


def done(session: WindowSession, payment: Payment, failure: Failure | None = None) -> Outcome:
    """Finish the window with the callback object of ``payment``."""
    custom = session.request.custom_data if session.request else None
    rsp = pay_rsp(payment, merchant_uid=payment.merchant_uid, failure=failure, custom_data=custom)
    session.rsp = rsp
    return Outcome(rsp=rsp)


# -- readers: check the form, return the finisher or a message ------------------
def _read_expiry(text: str) -> tuple[int, int] | None:
    match = _EXPIRY.match(text or "")
    if not match:
        return None
    if match.group(1):
        month, year = int(match.group(1)), 2000 + int(match.group(2))
    else:
        year, month = int(match.group(3)), int(match.group(4))
    return (year, month) if 1 <= month <= 12 else None


def read_card(
    desk: WindowDesk, session: WindowSession, payment: Payment, form: dict[str, str]
) -> Finisher | str:
    """Card number, expiry and installments; the test card decides the outcome."""
    expiry = _read_expiry(form.get("expiry", ""))
    if expiry is None:
        return "유효기간을 MM/YY 형식으로 입력해주세요."
    card = CardInput(
        number=re.sub(r"\D", "", form.get("card_number", "")),
        expiry_year=expiry[0],
        expiry_month=expiry[1],
    )
    try:
        decision = decide(card, desk.gateway.now())
    except CardRejected:
        return Messages.INVALID_CARD
    quota = int(form.get("card_quota") or 0)
    quota_offer = session.request.card_quota if session.request else None
    if quota not in installment_choices(payment.amount, quota_offer):
        return "선택할 수 없는 할부개월입니다."

    async def finish(desk: WindowDesk, session: WindowSession, payment: Payment) -> Outcome:
        return await _finish_card(desk, session, payment, card, decision, quota)

    return finish


def read_bank(
    desk: WindowDesk, session: WindowSession, payment: Payment, form: dict[str, str]
) -> Finisher | str:
    """The bank of an account transfer, or of the virtual account to issue."""
    code = form.get("bank_code", "")
    if code not in dict(bank_choices(session.channel.pg_provider)):
        return "은행을 선택해주세요."
    if session.page == "vbank":

        async def issue(desk: WindowDesk, session: WindowSession, payment: Payment) -> Outcome:
            return _issue_vbank(desk, session, payment, code)

        return issue
    return _approver({"bank_code": code, "bank_name": BANKS[code]})


def read_phone(
    desk: WindowDesk, session: WindowSession, payment: Payment, form: dict[str, str]
) -> Finisher | str:
    """Carrier, number and the SMS code (any 6 digits but ``000000``)."""
    if form.get("carrier") not in ("SKT", "KT", "LGT", "MVNO"):
        return "통신사를 선택해주세요."
    if not re.fullmatch(r"01\d{8,9}", re.sub(r"\D", "", form.get("phone", ""))):
        return "휴대폰 번호를 정확히 입력해주세요."
    code = form.get("code", "").strip()
    if not re.fullmatch(r"\d{6}", code) or code == WRONG_PHONE_CODE:
        return "인증번호가 일치하지 않습니다."
    return _approver({})


def read_app(
    desk: WindowDesk, session: WindowSession, payment: Payment, form: dict[str, str]
) -> Finisher | str:
    """Easy pays and other methods: the buyer approved in the app."""
    return _approver({})


READERS: dict[str, Reader] = {
    "card": read_card,
    "trans": read_bank,
    "vbank": read_bank,
    "phone": read_phone,
    "easy": read_app,
    "generic": read_app,
}


# -- finishers -------------------------------------------------------------------------
async def _finish_card(
    desk: WindowDesk,
    session: WindowSession,
    payment: Payment,
    card: CardInput,
    decision: Decision,
    quota: int,
) -> Outcome:
    gateway = desk.gateway
    fields = {
        **decision.card_fields,
        **issuer_fields(session.channel.pg_provider, decision.card_fields),
    }
    for name, value in fields.items():
        setattr(payment, name, value)
    if payment.customer_uid:
        try:
            issue_billing_key(
                gateway,
                session.merchant,
                session.channel,
                payment.customer_uid,
                card,
                _customer(payment),
            )
        except CardRejected as rejected:
            gateway.fail(payment, rejected.detail)
            return done(session, payment, Failure(ErrorCodes.PG_DECLINED, rejected.detail))
        if payment.amount == 0:  # key only: nothing is charged
            gateway.approve(payment, card_quota=0)
            return done(session, payment)
    if not decision.approved:
        reason = decision.fail_reason or "[PG 거절] 승인 거절"
        gateway.fail(payment, reason)
        return done(session, payment, Failure(ErrorCodes.PG_DECLINED, reason))
    gateway.approve(payment, card_quota=quota)
    if decision.outcome == "hang":  # committed, but the answer never reaches the browser
        await asyncio.sleep(gateway.hang_seconds)
    return done(session, payment)


def _customer(payment: Payment) -> dict[str, Any]:
    return {
        "customer_name": payment.buyer_name,
        "customer_tel": payment.buyer_tel,
        "customer_email": payment.buyer_email,
        "customer_addr": payment.buyer_addr,
        "customer_postcode": payment.buyer_postcode,
    }


def _store_key_without_card(desk: WindowDesk, session: WindowSession, payment: Payment) -> None:
    """Phone and easy-pay billing keys carry no card data."""
    now = desk.gateway.now()
    key = BillingKey(
        customer_uid=payment.customer_uid or "",
        pg_provider=session.channel.pg_provider,
        pg_id=session.channel.pg_id,
        sandbox=session.channel.sandbox,
        inserted=now,
        updated=now,
        imp_code=session.merchant.book,
        channel_key=session.channel.channel_key,
        **_customer(payment),
    )
    desk.gateway.ledger(session.merchant).billing_keys[key.customer_uid] = key


def _approver(fields: dict[str, Any]) -> Finisher:
    async def approve(desk: WindowDesk, session: WindowSession, payment: Payment) -> Outcome:
        if payment.customer_uid:
            _store_key_without_card(desk, session, payment)
        desk.gateway.approve(payment, **fields)
        return done(session, payment)

    return approve


def _issue_vbank(desk: WindowDesk, session: WindowSession, payment: Payment, code: str) -> Outcome:
    gateway, pg = desk.gateway, session.channel.pg_provider
    now = gateway.now()
    payment.vbank_code = code
    payment.vbank_name = BANKS[code]
    payment.vbank_num = gateway.digits(14)
    payment.vbank_holder = None if pg == "tosspayments" else session.merchant.name
    due = session.request.vbank_due if session.request else None
    payment.vbank_date = parse_vbank_due(due, now)
    payment.vbank_issued_at = now
    payment.pg_tid = gateway.new_pg_tid(pg)
    payment.updated_at = now
    gateway.announce(payment, "ready")
    return done(session, payment)


# -- the entry points ----------------------------------------------------------------------
def _finished(payment: Payment) -> bool:
    return payment.status != "ready" or bool(payment.vbank_num)


async def submit(desk: WindowDesk, session: WindowSession, form: dict[str, str]) -> Outcome:
    """Apply the buyer's form to the session's payment (a double submit gets the same result)."""
    async with session.lock:
        return await _submit(desk, session, form)


async def _submit(desk: WindowDesk, session: WindowSession, form: dict[str, str]) -> Outcome:
    payment = desk.payment(session)
    if payment is None:
        failure = Failure(ErrorCodes.BAD_REQUEST, Messages.PAYMENT_NOT_FOUND)
        session.rsp = pay_rsp(
            None, merchant_uid=str(session.params.get("merchant_uid")), failure=failure
        )
        return Outcome(rsp=session.rsp)
    if _finished(payment):
        return Outcome(rsp=session.rsp or done(session, payment).rsp)
    step = READERS[session.page](desk, session, payment, form)
    if isinstance(step, str):
        return Outcome(retry=step)
    merchant = desk.gateway.merchants.get(session.merchant.imp_code, session.merchant)
    if payment.confirm_url and not merchant.confirm_enabled:
        note_ignored(desk.gateway, payment, payment.confirm_url)
    elif payment.confirm_url:
        record = await ask_merchant(desk.gateway, desk.outbound, payment, payment.confirm_url)
        if record.fail_reason is not None:
            desk.gateway.fail(payment, record.fail_reason)
            return done(session, payment, Failure(ErrorCodes.CONFIRM_REFUSED, record.fail_reason))
        if _finished(payment):  # the buyer closed the window while the merchant was asked
            return Outcome(rsp=session.rsp or done(session, payment).rsp)
    return await step(desk, session, payment)


def cancel(desk: WindowDesk, session: WindowSession) -> dict[str, Any]:
    """The buyer closed or cancelled the window: a failed payment, no webhook."""
    payment = desk.payment(session)
    failure = Failure(ErrorCodes.BUYER_CANCEL, BUYER_CANCELLED)
    if payment is None:
        merchant_uid = str(session.params.get("merchant_uid"))
        session.rsp = session.rsp or pay_rsp(None, merchant_uid=merchant_uid, failure=failure)
        return session.rsp
    if _finished(payment):
        return session.rsp or pay_rsp(payment, merchant_uid=payment.merchant_uid)
    desk.gateway.fail(payment, BUYER_CANCELLED)
    outcome = done(session, payment, failure)
    assert outcome.rsp is not None
    return outcome.rsp
