"""Refunds: the rules a cancel must pass, and the one place a cancel is applied.

Two doors cancel a payment: ``POST /payments/cancel`` and the emulator console.
Both call ``cancel_payment`` so a refund is checked, booked and announced the
same way.  The checks are pure functions of the payment, the request and "now"
(``refusal`` names the first rule that refuses and why; ``plan_cancel`` works
out the amounts), so each rule of reference §4 / §9.3 / §9.4 is testable alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from . import pg_rules
from .errors import ApiFault, Messages
from .gateway import Gateway
from .params import Amount, normalize_amount
from .records import CancelEntry, Payment

__all__ = [
    "KST",
    "CancelPlan",
    "CancelRequest",
    "Refusal",
    "accepts_vat",
    "cancel_payment",
    "payment_vat",
    "plan_cancel",
    "refusal",
    "remaining_tax_free",
    "remaining_vat",
]

KST = timezone(timedelta(hours=9))
CancelSource = Literal["api", "console"]
_CENT = 0.001  # tolerance when comparing fractional (non-KRW) amounts
_REFUND_ACCOUNT = ("refund_holder", "refund_bank", "refund_account")


@dataclass(frozen=True)
class CancelRequest:
    """What the caller asked for; ``None`` means "not sent" (§2.3)."""

    amount: Amount | None = None
    tax_free: Amount | None = None
    vat_amount: Amount | None = None
    checksum: Amount | None = None
    reason: str | None = None
    refund_holder: str | None = None
    refund_bank: str | None = None
    refund_account: str | None = None
    refund_tel: str | None = None
    enable_webhook: bool = False
    extra: Mapping[str, Any] | None = None
    retain_promotion: bool = False


@dataclass(frozen=True)
class CancelPlan:
    """The amounts a cancel would book if no rule refuses it."""

    amount: Amount
    tax_free: Amount
    vat_amount: Amount
    empties: bool  # cancels the whole refundable balance
    partial: bool  # cancels less than the original amount (the PGs' "부분취소")


@dataclass(frozen=True)
class Refusal:
    """Why a cancel is refused: the rule's name and the server message."""

    rule: str
    message: str


def failed(detail: str) -> str:
    """A cancel refusal in the server's style: ``결제취소에 실패하였습니다.(<detail>)``."""
    return f"{Messages.CANCEL_FAILED_PREFIX}({detail})"


# -- tax accounting -------------------------------------------------------------
def _money(value: float) -> Amount:
    return normalize_amount(round(value, 2))


def _vat_of(taxable: Amount, currency: str) -> Amount:
    """VAT included in a taxable amount: 1/11, rounded half up (to cents if not KRW)."""
    if currency == "KRW":
        return math.floor(taxable / 11 + 0.5)
    return _money(taxable / 11)


def remaining_tax_free(payment: Payment) -> Amount:
    """Tax-free money not yet refunded."""
    return _money(payment.tax_free - payment.cancelled_tax_free)


def payment_vat(payment: Payment) -> Amount:
    """The payment's VAT: as given at payment time, else 1/11 of the taxable part."""
    if payment.vat_amount is not None:
        return payment.vat_amount
    return _vat_of(payment.amount - payment.tax_free, payment.currency)


def remaining_vat(payment: Payment) -> Amount:
    """VAT not yet refunded."""
    return _money(payment_vat(payment) - payment.cancelled_vat)


def plan_cancel(payment: Payment, request: CancelRequest) -> CancelPlan:
    """Amounts of the cancel: absent/0 ``amount`` = the whole remaining balance.

    Absent ``tax_free``/``vat_amount`` default to what is left when the cancel
    empties the balance, else to 0 tax-free and 1/11 VAT of the cancelled part.
    A ``vat_amount`` sent to a PG that takes none (§2.3: only nice, html5_inicis,
    welcome, nice_v2; tosspay_v2 by §4.3) is ignored, as the real platform
    ignores a parameter the PG does not use: it is neither refused nor booked.
    """
    balance = payment.balance
    amount = request.amount or balance
    empties = abs(amount - balance) < _CENT
    tax_free = request.tax_free
    if tax_free is None:
        tax_free = remaining_tax_free(payment) if empties else 0
    vat = request.vat_amount if accepts_vat(payment) else None
    if vat is None:
        taxable_vat = _vat_of(amount - tax_free, payment.currency)
        vat = remaining_vat(payment) if empties else min(taxable_vat, remaining_vat(payment))
    partial = amount < payment.amount - _CENT
    return CancelPlan(_money(amount), _money(tax_free), _money(max(vat, 0)), empties, partial)


def accepts_vat(payment: Payment) -> bool:
    """Whether the payment's PG takes a ``vat_amount`` on cancels."""
    return (payment.pg_provider or "") in pg_rules.cancel_vat_pgs()


# -- rules ------------------------------------------------------------------------
@dataclass(frozen=True)
class _Case:
    payment: Payment
    request: CancelRequest
    plan: CancelPlan
    now: int

    @property
    def pg(self) -> str:
        return self.payment.pg_provider or ""

    @property
    def method(self) -> str:
        return self.payment.pay_method or ""

    def has_refund_account(self) -> bool:
        return all(getattr(self.request, name) for name in _REFUND_ACCOUNT)


Rule = Callable[[_Case], str | None]


def _already_cancelled(case: _Case) -> str | None:
    payment = case.payment
    if payment.status == "cancelled" and payment.balance <= _CENT:
        return Messages.ALREADY_CANCELLED
    return None


def _not_paid(case: _Case) -> str | None:
    payment = case.payment
    if payment.status == "failed":
        return failed("결제실패 상태의 결제건은 취소할 수 없습니다")
    if payment.status == "ready" and payment.pay_method == "vbank" and payment.vbank_num:
        return failed(
            "입금 전인 가상계좌는 취소할 수 없습니다. "
            "가상계좌 발급취소(DELETE /vbanks/{imp_uid})를 이용해주세요"
        )
    if payment.status == "ready":
        return failed("결제완료되지 않은 결제건은 취소할 수 없습니다")
    return None


def _reason(case: _Case) -> str | None:
    if case.pg in pg_rules.REASON_REQUIRED_PGS and not case.request.reason:
        return failed("네이버페이 결제 취소에는 취소사유(reason)가 필요합니다")
    requester = (case.request.extra or {}).get("requester")
    if requester is not None and requester not in ("customer", "admin"):
        return failed("extra.requester는 customer 또는 admin이어야 합니다")
    return None


def _checksum(case: _Case) -> str | None:
    checksum = case.request.checksum
    balance = case.payment.balance
    if checksum is not None and abs(checksum - balance) >= _CENT:
        return failed(
            f"취소가능잔액 검증에 실패하였습니다. 요청 checksum {checksum}, "
            f"실제 취소가능잔액 {balance}"
        )
    return None


def _amount(case: _Case) -> str | None:
    balance = case.payment.balance
    if case.plan.amount - balance >= _CENT:
        return failed(f"취소요청금액 {case.plan.amount}이 취소가능잔액 {balance}보다 큽니다")
    return None


def _tax_free(case: _Case) -> str | None:
    payment, plan, given = case.payment, case.plan, case.request.tax_free
    left = remaining_tax_free(payment)
    if given is None and payment.tax_free > 0:
        if case.pg in pg_rules.TAX_FREE_EXPLICIT_PGS:
            return failed("면세금액이 있는 결제건은 취소 시 tax_free를 지정해야 합니다")
        if case.pg in pg_rules.TAX_FREE_ON_PARTIAL_PGS and not plan.empties:
            return failed("면세금액이 있는 결제건의 부분취소에는 tax_free가 필요합니다")
    if plan.tax_free - left >= _CENT:
        return failed(f"취소 면세금액 {plan.tax_free}이 남은 면세금액 {left}보다 큽니다")
    if plan.tax_free - plan.amount >= _CENT:
        return failed("취소 면세금액이 취소요청금액보다 큽니다")
    taxable_left = payment.balance - left
    if (plan.amount - plan.tax_free) - taxable_left >= _CENT:
        return failed(f"취소 과세금액이 남은 과세금액 {_money(taxable_left)}보다 큽니다")
    return None


def _vat(case: _Case) -> str | None:
    payment, plan = case.payment, case.plan
    accepted = accepts_vat(payment)
    given = case.request.vat_amount if accepted else None  # ignored elsewhere (plan_cancel)
    needed = accepted and payment.vat_explicit
    if case.pg in pg_rules.VAT_ON_PARTIAL_PGS:
        needed = needed and not plan.empties
    if needed and given is None:
        return failed("결제 시 부가세를 지정한 결제건은 취소 시 vat_amount가 필요합니다")
    if given is not None and given - remaining_vat(payment) >= _CENT:
        return failed(f"취소 부가세 {given}이 남은 부가세 {remaining_vat(payment)}보다 큽니다")
    if given is not None and given - (plan.amount - plan.tax_free) >= _CENT:
        return failed("취소 부가세가 취소 과세금액보다 큽니다")
    return None


def _refund_account(case: _Case) -> str | None:
    if case.method not in pg_rules.refund_account_methods(case.pg):
        return None
    missing = [name for name in _REFUND_ACCOUNT if not getattr(case.request, name)]
    if missing:
        return failed(f"환불계좌 정보가 필요합니다: {', '.join(missing)}")
    return None


def _refund_tel(case: _Case) -> str | None:
    methods = pg_rules.refund_tel_methods(case.pg)
    if ("*" in methods or case.method in methods) and not case.request.refund_tel:
        return failed("환불계좌 예금주 연락처(refund_tel)가 필요합니다")
    return None


def _month_index(moment: datetime) -> int:
    return moment.year * 12 + moment.month - 1


def _kst(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, KST)


def _phone_month(case: _Case) -> str | None:
    if case.method != "phone":
        return None
    if _month_index(_kst(case.now)) == _month_index(_kst(case.payment.paid_at)):
        return None
    if case.pg in pg_rules.PHONE_NEXT_MONTH_REFUND_PGS:
        if case.has_refund_account():
            return None
        return failed(
            "휴대폰 소액결제 익월 환불에는 환불계좌 정보"
            "(refund_holder, refund_bank, refund_account)가 필요합니다"
        )
    return failed("휴대폰 소액결제는 결제한 달에만 취소할 수 있습니다")


def _phone_partial(case: _Case) -> str | None:
    if case.method != "phone" or not case.plan.partial:
        return None
    if case.pg in pg_rules.PHONE_PARTIAL_CANCEL_PGS:
        return None
    return failed("휴대폰 소액결제는 부분취소를 지원하지 않습니다")


def _partial_limit(case: _Case) -> str | None:
    limit = pg_rules.PARTIAL_CANCEL_LIMIT.get(case.pg)
    if limit is not None and case.plan.partial and len(case.payment.cancel_history) >= limit:
        return failed(f"부분취소는 최대 {limit}회까지 가능합니다")
    return None


def _cancel_period(case: _Case) -> str | None:
    months = pg_rules.CANCEL_MONTH_LIMIT.get(case.pg)
    if months is None or not case.payment.paid_at:
        return None
    paid, now = _kst(case.payment.paid_at), _kst(case.now)
    elapsed = _month_index(now) - _month_index(paid)
    late_in_month = (now.day, now.time()) >= (paid.day, paid.time())
    if elapsed > months or (elapsed == months and late_in_month):
        return failed(f"결제일로부터 {months}개월이 지난 결제건은 취소할 수 없습니다")
    return None


def _vbank_quiet_hours(case: _Case) -> str | None:
    hours = pg_rules.VBANK_REFUND_QUIET_HOURS.get(case.pg)
    if hours is None or case.method != "vbank":
        return None
    start, end = hours
    if _kst(case.now).hour >= start or _kst(case.now).hour < end:
        return failed(f"가상계좌 환불은 {start:02d}:00~{end:02d}:00에는 요청할 수 없습니다")
    return None


RULES: tuple[tuple[str, Rule], ...] = (
    ("already_cancelled", _already_cancelled),
    ("not_paid", _not_paid),
    ("reason", _reason),
    ("checksum", _checksum),
    ("amount", _amount),
    ("tax_free", _tax_free),
    ("vat_amount", _vat),
    ("refund_account", _refund_account),
    ("refund_tel", _refund_tel),
    ("phone_month", _phone_month),
    ("phone_partial", _phone_partial),
    ("partial_limit", _partial_limit),
    ("cancel_period", _cancel_period),
    ("vbank_quiet_hours", _vbank_quiet_hours),
)


def refusal(payment: Payment, request: CancelRequest, now: int) -> Refusal | None:
    """The first rule that refuses this cancel at unix time ``now``, or ``None``."""
    case = _Case(payment, request, plan_cancel(payment, request), now)
    for name, rule in RULES:
        message = rule(case)
        if message is not None:
            return Refusal(name, message)
    return None


# -- the shell ----------------------------------------------------------------------
def cancel_payment(
    gateway: Gateway,
    payment: Payment,
    request: CancelRequest,
    *,
    source: CancelSource = "api",
) -> Payment:
    """Cancel (part of) ``payment`` and return it updated.

    Raises ``ApiFault`` (HTTP 200, code 1, §4.10) when a rule refuses; nothing
    changes then.  Console cancels always send a ``cancelled`` webhook; API
    cancels only with ``enable_webhook`` on a payment that used webhooks (§4.8).
    """
    now = gateway.now()
    refused = refusal(payment, request, now)
    if refused is not None:
        raise ApiFault(200, refused.message, code=1)
    entry = _book(gateway, payment, request, plan_cancel(payment, request), source, now)
    if source == "console" or (request.enable_webhook and payment.uses_webhook):
        gateway.announce(payment, "cancelled", cancellation_id=entry.cancellation_id)
    gateway.touch()
    return payment


def _book(
    gateway: Gateway,
    payment: Payment,
    request: CancelRequest,
    plan: CancelPlan,
    source: CancelSource,
    now: int,
) -> CancelEntry:
    cancellation_id = gateway.new_cancellation_id()
    whole = plan.empties and not payment.cancel_history
    entry = CancelEntry(
        pg_tid=(payment.pg_tid if whole and payment.pg_tid else None)
        or gateway.new_pg_tid(payment.pg_provider),
        amount=plan.amount,
        cancelled_at=now,
        reason=request.reason,
        cancellation_id=cancellation_id,
        receipt_url=gateway.receipt_url("cancel", cancellation_id),
        tax_free=plan.tax_free,
        vat_amount=plan.vat_amount,
        source=source,
    )
    payment.cancel_history = [*payment.cancel_history, entry]
    payment.cancel_amount = _money(payment.cancel_amount + plan.amount)
    payment.status = "cancelled"
    payment.cancelled_at = now
    payment.cancel_reason = request.reason or payment.cancel_reason
    payment.updated_at = now
    return entry
