"""What each PG allows a refund to be, checked before a cancel is sent.

i'mport refuses a cancel that breaks a PG's rule, but only after the request
left (and some refusals arrive as a bare message). Checking first gives the
merchant a clear answer naming the rule, and keeps a refund that can never
succeed from being retried. The facts are the reference's §9.3/§9.4 and the
cancel section (§2.3); they are read independently of the emulator's copy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Final

from .money import Money

__all__ = [
    "BILLING_KEY_API_PGS",
    "BILLING_KEY_WINDOW_PGS",
    "CANCEL_MONTH_LIMIT",
    "KST",
    "PARTIAL_CANCEL_LIMIT",
    "PHONE_PARTIAL_CANCEL_PGS",
    "VBANK_REFUND_WITHOUT_CONTRACT_PGS",
    "RefundCase",
    "RuleRefusal",
    "domestic_tel",
    "refund_refusal",
]

KST: Final = timezone(timedelta(hours=9))

#: Phone payments may be partly cancelled only with KG Inicis and NHN KCP (§9.3).
PHONE_PARTIAL_CANCEL_PGS: Final = frozenset({"html5_inicis", "inicis", "kcp"})
#: PGs that allow a limited number of partial cancels per payment (§9.3).
PARTIAL_CANCEL_LIMIT: Final[dict[str, int]] = {"ksnet": 9}
#: PGs whose virtual-account refunds may not be asked for in these KST hours [start, end).
VBANK_REFUND_QUIET_HOURS: Final[dict[str, tuple[int, int]]] = {"ksnet": (23, 6)}
#: PGs that cancel a payment only within this many months of its payment (KST calendar):
#: KSNET's notes, the page §9.3 cites ("취소는 결제일 기준 6개월 이내에만 가능합니다").
CANCEL_MONTH_LIMIT: Final[dict[str, int]] = {"ksnet": 6}
#: PGs that need a reason with every cancel.
REASON_REQUIRED_PGS: Final = frozenset({"naverpay"})
#: The refund holder's phone (``refund_tel``), by PG and the pay methods whose refunds need
#: it (None: every cancel). The spec's per-PG notes on ``/payments/cancel`` (§2.3): Smartro's
#: old module requires it on every cancel, not only a virtual account's; smartro_v2 with the
#: refund account of a virtual-account or account-transfer refund.
REFUND_TEL_METHODS: Final[dict[str, frozenset[str] | None]] = {
    "smartro": None,
    "smartro_v2": frozenset({"vbank", "trans"}),
}
#: PGs that need ``refund_tel`` on some refunds.
REFUND_TEL_PGS: Final = frozenset(REFUND_TEL_METHODS)
#: A Korean phone number as ``refund_tel`` takes it: digits, hyphens optional between the
#: groups (010-1234-5678, 01012345678, 02-123-4567, 031-1234-5678, 0504-1234-5678,
#: 1588-1234); at most 14 characters, within i'mport's 16.
REFUND_TEL_PATTERN: Final = r"^(?:0[0-9]{1,3}-?[0-9]{3,4}|1[0-9]{3})-?[0-9]{4}$"
#: Korea's country code as people write it before a number: +82, 0082, +82 (0).
_COUNTRY_CODE: Final = re.compile(r"^(?:\+|00)82[-\s]*(?:\(0\)[-\s]*)?")


def domestic_tel(raw: str) -> str:
    """A phone as ``refund_tel`` takes it: Korea's country code written as the domestic
    leading 0 (``+82 10-1234-5678``, ``+821012345678``, ``0082-2-123-4567`` become
    ``010-1234-5678``, ``01012345678``, ``02-123-4567``), spaces dropped. PGs take the
    domestic form only. Not validated: check it against ``REFUND_TEL_PATTERN``."""
    tel = raw.strip()
    if (code := _COUNTRY_CODE.match(tel)) is not None:
        rest = tel[code.end() :]
        tel = rest if rest.startswith("0") else "0" + rest
    return "".join(tel.split())


#: PGs that issue billing keys in their window / through the REST API (§9.2).
BILLING_KEY_WINDOW_PGS: Final = frozenset(
    "tosspayments kcp_billing html5_inicis danal_tpay danal kicc mobilians smartro_v2 welcome "
    "kakaopay naverpay payco tosspay_v2 settle_acc paymentwall paypal_v2".split()
)
BILLING_KEY_API_PGS: Final = frozenset(
    "nice nice_v2 tosspayments kcp inicis danal settle daou ksnet welcome".split()
)
#: Every PG refunds a virtual account only under its refund contract (가상계좌 환불 특약),
#: except these, which refund without it (fees not returned) (§9.4).
VBANK_REFUND_WITHOUT_CONTRACT_PGS: Final = frozenset({"tosspayments"})
#: Pay methods whose refunds go to an account the buyer names (§9.4): a virtual account's
#: on every PG, and on smartro_v2 an account transfer's too (§2.3, the spec's per-PG notes
#: on refund_holder, refund_bank and refund_account).
ACCOUNT_REFUND_METHODS: Final = frozenset({"vbank"})
ACCOUNT_REFUND_METHODS_BY_PG: Final[dict[str, frozenset[str]]] = {
    "smartro_v2": frozenset({"vbank", "trans"}),
}


@dataclass(frozen=True)
class RuleRefusal:
    """Why a refund cannot be sent: the rule's name (stable, for programs) and a message."""

    rule: str
    message: str
    #: The refund can proceed once the merchant supplies more (a refund account).
    needs_input: bool = False
    #: The rule only holds for now (quiet hours): the same refund may be sent later.
    later: bool = False
    #: When a ``later`` rule stops holding.
    until: datetime | None = None


@dataclass(frozen=True)
class RefundCase:
    """A refund about to be asked for, with what we know of its payment."""

    pg: str | None
    pay_method: str | None
    paid_at: datetime | None
    amount: Money
    balance: Money  # what is left to refund, by our books
    cancels_so_far: int
    reason: str
    now: datetime
    has_refund_account: bool = False
    has_refund_tel: bool = False
    tax_free: Money | None = None
    vat_amount: Money | None = None

    @property
    def partial(self) -> bool:
        return self.amount < self.balance or self.cancels_so_far > 0


def refund_refusal(case: RefundCase) -> RuleRefusal | None:
    """The first rule the refund breaks, or None when it may be sent."""
    for rule in _RULES:
        refused = rule(case)
        if refused is not None:
            return refused
    return None


def _amount(case: RefundCase) -> RuleRefusal | None:
    if not case.amount.is_positive():
        return RuleRefusal("amount", "The refund amount must be positive.")
    if case.amount > case.balance:
        return RuleRefusal("balance", f"Only {case.balance} is left to refund.")
    return None


def _parts(case: RefundCase) -> RuleRefusal | None:
    tax_free = case.tax_free or Money.zero(case.amount.currency)
    if tax_free > case.amount:
        return RuleRefusal("tax_free", "The tax-free part is larger than the refund.")
    if case.vat_amount is not None and case.vat_amount > case.amount - tax_free:
        return RuleRefusal("vat_amount", "The VAT part is larger than the taxable part.")
    return None


def _reason(case: RefundCase) -> RuleRefusal | None:
    if case.pg in REASON_REQUIRED_PGS and not case.reason.strip():
        return RuleRefusal("reason", f"{case.pg} needs a reason for every cancel.")
    return None


def _phone(case: RefundCase) -> RuleRefusal | None:
    if case.pay_method != "phone":
        return None
    if case.partial and case.pg not in PHONE_PARTIAL_CANCEL_PGS:
        return RuleRefusal(
            "phone_partial",
            "Phone payments can be partly cancelled only with KG Inicis and NHN KCP.",
        )
    if case.paid_at is not None and _month(case.paid_at) != _month(case.now):
        if case.pg == "kcp" and case.has_refund_account:  # KCP's next-month refund contract
            return None
        return RuleRefusal("phone_month", "Phone payments can be cancelled only in the month paid.")
    return None


def _partial_limit(case: RefundCase) -> RuleRefusal | None:
    limit = PARTIAL_CANCEL_LIMIT.get(case.pg or "")
    if limit is not None and case.partial and case.cancels_so_far >= limit:
        return RuleRefusal("partial_limit", f"{case.pg} allows at most {limit} partial cancels.")
    return None


def _refund_account(case: RefundCase) -> RuleRefusal | None:
    methods = ACCOUNT_REFUND_METHODS_BY_PG.get(case.pg or "", ACCOUNT_REFUND_METHODS)
    if case.pay_method not in methods or case.has_refund_account:
        return None
    kind = "virtual-account" if case.pay_method == "vbank" else f"{case.pay_method} ({case.pg})"
    return RuleRefusal(
        "refund_account",
        f"A {kind} refund needs refund_holder, refund_bank and refund_account.",
        needs_input=True,
    )


def _refund_tel(case: RefundCase) -> RuleRefusal | None:
    """After ``_refund_account``: a refund that lacks both is asked for its account first."""
    if case.has_refund_tel or case.pg not in REFUND_TEL_METHODS:
        return None
    methods = REFUND_TEL_METHODS[case.pg]
    if methods is None:
        return RuleRefusal("refund_tel", f"{case.pg} needs refund_tel with every cancel.",
                           needs_input=True)  # fmt: skip
    if case.pay_method in methods:
        return RuleRefusal("refund_tel", f"{case.pg} needs refund_tel with the refund account.",
                           needs_input=True)  # fmt: skip
    return None


def _quiet_hours(case: RefundCase) -> RuleRefusal | None:
    hours = VBANK_REFUND_QUIET_HOURS.get(case.pg or "")
    if hours is None or case.pay_method != "vbank":
        return None
    start, end = hours
    local = case.now.astimezone(KST)
    if local.hour >= start or local.hour < end:
        until = local.replace(hour=end, minute=0, second=0, microsecond=0)
        if until <= local:
            until += timedelta(days=1)
        return RuleRefusal(
            "vbank_quiet_hours",
            f"{case.pg} takes no virtual-account refunds {start:02d}:00-{end:02d}:00 KST.",
            later=True,
            until=until,
        )
    return None


def _cancel_period(case: RefundCase) -> RuleRefusal | None:
    months = CANCEL_MONTH_LIMIT.get(case.pg or "")
    if months is None or case.paid_at is None:
        return None
    paid, now = case.paid_at.astimezone(KST), case.now.astimezone(KST)
    elapsed = (now.year - paid.year) * 12 + now.month - paid.month
    if elapsed > months or (elapsed == months and (now.day, now.time()) >= (paid.day, paid.time())):
        return RuleRefusal(
            "cancel_period", f"{case.pg} cancels a payment only within {months} months of it."
        )
    return None


def _month(moment: datetime) -> tuple[int, int]:
    local = moment.astimezone(KST)
    return local.year, local.month


_RULES = (
    _amount,
    _parts,
    _reason,
    _phone,
    _partial_limit,
    _cancel_period,
    _refund_account,
    _refund_tel,
    _quiet_hours,
)
