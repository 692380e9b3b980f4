"""Money that arrives after the merchant's call: vbank deposits, late approvals.

An issued account stays ``ready`` until the buyer deposits (the control API
plays the bank).  At ``vbank_date`` the account closes: later deposits are
refused and the payment stays ``ready``, which is how V1 reports an expired,
unpaid account (no webhook, no status change: reference §13 records no
expiry webhook).

A late approval is the card-side twin: a payment first reported as failed is
approved later and announced with a ``paid`` webhook, as Paymentwall and
PayPal can do (reference §5).  Only a failed payment can be flipped, and never
a virtual account (revoked or not): its money only ever arrives as a deposit.

``deposit_history`` lists deposits only for fixed "unlimited" accounts (§3);
an ordinary account is paid by its one deposit and keeps the list empty.
"""

from __future__ import annotations

from .errors import ApiFault
from .gateway import Gateway
from .params import Amount
from .records import Deposit, Payment

__all__ = ["approve_late", "deposit_into_vbank", "find_any_payment", "vbank_open"]

REVOKED = "말소된 가상계좌는 승인될 수 없습니다."
NOT_LATE_VBANK = "가상계좌는 입금으로만 결제됩니다: 뒤늦은 승인 대상이 아닙니다."
NOT_FAILED = "실패 상태의 결제건만 뒤늦은 승인으로 바꿀 수 있습니다. (현재: {status})"


def find_any_payment(gateway: Gateway, imp_uid: str) -> Payment:
    for ledger in gateway.state.ledgers.values():
        if imp_uid in ledger.payments:
            return ledger.payments[imp_uid]
    raise ApiFault(404, "존재하지 않는 결제정보입니다.")


def vbank_open(payment: Payment, now: int) -> bool:
    return (
        payment.pay_method == "vbank"
        and payment.status == "ready"
        and bool(payment.vbank_num)
        and not payment.vbank_revoked
        and (payment.vbank_date == 0 or now <= payment.vbank_date)
    )


def deposit_into_vbank(
    gateway: Gateway,
    imp_uid: str,
    *,
    amount: Amount | None = None,
    depositor_name: str | None = None,
) -> Payment:
    """The buyer pays the whole amount into the account: ``paid`` plus a webhook."""
    payment = find_any_payment(gateway, imp_uid)
    now = gateway.now()
    if payment.pay_method != "vbank" or not payment.vbank_num:
        raise ApiFault(400, "가상계좌 결제건이 아닙니다.")
    if payment.vbank_revoked or payment.status != "ready":
        raise ApiFault(400, "입금대기 상태의 가상계좌가 아닙니다.")
    if payment.vbank_date and now > payment.vbank_date:
        raise ApiFault(400, "입금기한이 지난 가상계좌입니다.")
    paid = payment.amount if amount is None else amount
    if paid != payment.amount:
        raise ApiFault(400, f"입금액({paid})이 결제금액({payment.amount})과 다릅니다.")
    if payment.vbank_fixed_unlimited:  # only those list their deposits (§3, §9.4)
        payment.deposit_history = [
            *payment.deposit_history,
            Deposit(
                pg_tid=gateway.new_pg_tid(payment.pg_provider),
                amount=paid,
                depositor_name=depositor_name or payment.buyer_name or "입금자",
                deposited_at=now,
            ),
        ]
    return gateway.approve(payment)


def approve_late(gateway: Gateway, payment: Payment) -> Payment:
    """Flip a failed payment to paid and announce it (the late-approval scenario).

    Only a payment a PG could still approve: a virtual account is paid by a
    deposit, never approved late, and a revoked one ("계좌말소") is closed for good.
    """
    if payment.status != "failed":
        raise ApiFault(400, NOT_FAILED.format(status=payment.status))
    if payment.vbank_revoked:
        raise ApiFault(400, REVOKED)
    if payment.pay_method == "vbank":
        raise ApiFault(400, NOT_LATE_VBANK)
    return gateway.approve(payment)
