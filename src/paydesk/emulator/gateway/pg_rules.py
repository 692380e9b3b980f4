"""Per-PG capabilities and field rules the real platform enforces (reference §9).

Data first: which PG supports which operation (``SUPPORT``, from the spec's
``x-portone-supported-pgs`` lists, §9.1), and which fields a PG requires for
an operation (``REQUIRED``, from ``x-portone-per-pg``, §9.6).  Handlers ask
``supports`` and ``missing_fields``.  The cancel rules' per-PG data (§4, §9.3,
§9.4) follows at the end; ``refunds.py`` holds the logic that reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "CANCEL_MONTH_LIMIT",
    "PARTIAL_CANCEL_LIMIT",
    "PHONE_NEXT_MONTH_REFUND_PGS",
    "PHONE_PARTIAL_CANCEL_PGS",
    "REASON_REQUIRED_PGS",
    "REFUND_ACCOUNT_METHODS",
    "REFUND_TEL_METHODS",
    "REQUIRED",
    "SUPPORT",
    "TAX_FREE_EXPLICIT_PGS",
    "TAX_FREE_ON_PARTIAL_PGS",
    "VAT_ON_PARTIAL_PGS",
    "VBANK_REFUND_QUIET_HOURS",
    "cancel_vat_pgs",
    "missing_fields",
    "refund_account_methods",
    "refund_tel_methods",
    "supports",
]

_ALL_BILLING = frozenset(
    "chai danal danal_tpay daou html5_inicis inicis kakaopay kcp kcp_billing kicc ksnet "
    "mobilians naverpay nice nice_v2 payco paymentwall settle settle_acc smartro_v2 "
    "tosspayments paypal_v2 welcome tosspay_v2".split()
)

SUPPORT: Mapping[str, frozenset[str]] = {
    "onetime": frozenset(
        "daou kcp nice nice_v2 html5_inicis inicis paymentwall settle tosspayments ksnet welcome".split()
    ),
    # [SPEC] lists html5_inicis and omits settle; the PG docs name inicis and settle
    # (reference §12).  Both readings are accepted.
    "customer_issue": frozenset(
        "nice kcp daou html5_inicis inicis tosspayments ksnet nice_v2 welcome settle paymentwall".split()
    ),
    "again": _ALL_BILLING,
    "schedule": _ALL_BILLING,
    "vbank_issue": frozenset(
        "settle nice nice_v2 html5_inicis ksnet smartro_v2 tosspayments welcome".split()
    ),
    "vbank_revoke": frozenset(
        "html5_inicis uplus danal nice kicc settle smartro tosspayments ksnet smartro_v2 "
        "nice_v2 welcome kcp".split()
    ),
    "vbank_edit": frozenset({"settle"}),
    "receipt_issue": frozenset(
        "html5_inicis kcp nice kicc settle daou tosspayments ksnet smartro smartro_v2 nice_v2 "
        "welcome".split()
    ),
    "receipt_get": frozenset(
        "nice daou html5_inicis kcp payco smartro uplus tosspayments ksnet smartro_v2 nice_v2 "
        "welcome kicc settle".split()
    ),
    "receipt_revoke": frozenset(
        "html5_inicis kcp settle nice daou tosspayments nice_v2 ksnet smartro_v2 welcome".split()
    ),
    "external_receipt": frozenset(
        "html5_inicis kcp settle nice kicc tosspayments nice_v2 ksnet smartro smartro_v2 "
        "welcome".split()
    ),
    # PGs with escrow at all (the window's ``escrow: true`` needs a PG escrow contract, §9.5):
    # those with the delivery API, plus those whose escrow runs without it (NICE, Toss
    # Payments and its predecessor uplus, KICC, Hecto, Smartro) and Naver Pay's own (§9.5).
    "escrow": frozenset(
        "html5_inicis inicis kcp daou ksnet smartro smartro_v2 nice nice_v2 welcome "
        "tosspayments uplus kicc settle naverpay".split()
    ),
    "escrow_logis": frozenset("html5_inicis kcp daou ksnet smartro_v2 nice_v2 welcome".split()),
    "escrow_logis_edit": frozenset("html5_inicis kcp daou ksnet smartro_v2 welcome".split()),
    "cancel_vat_amount": frozenset("nice html5_inicis welcome nice_v2".split()),
    "certification": frozenset("danal inicis_unified inicis kcp_v2".split()),
    "certification_otp": frozenset("danal kcp_v2".split()),
    "balance": frozenset({"payco"}),
}

REQUIRED: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "onetime": {
        "html5_inicis": ("name", "buyer_name", "buyer_email", "buyer_tel"),
        "ksnet": ("buyer_name", "product_type"),
        "welcome": ("buyer_name",),
        "paymentwall": ("cvc", "browser_ip"),
    },
    "again": {
        "html5_inicis": ("name",),
        "danal_tpay": ("name",),
        "smartro_v2": ("buyer_name", "buyer_email", "buyer_tel"),
        "ksnet": ("buyer_name", "product_type"),
        "paymentwall": ("buyer_email", "browser_ip"),
    },
    "customer_issue": {
        "tosspayments": ("customer_id",),
        "ksnet": ("birth", "pwd_2digit"),
        "paymentwall": ("cvc",),
        "welcome": ("customer_name",),
    },
    "receipt_issue": {
        "kicc": ("identifier_type",),
        "settle": ("identifier_type",),
        "nice_v2": ("identifier_type", "type"),
        "daou": ("company_tel", "company_name", "corp_reg_no"),
        "welcome": ("corp_reg_no", "buyer_tel", "type"),
        "ksnet": ("product_type", "buyer_name"),
        "smartro_v2": ("type", "buyer_name", "buyer_tel"),
    },
    "vbank_issue": {
        "html5_inicis": ("vbank_holder", "buyer_name", "buyer_email"),
        "nice": ("vbank_holder",),
        "settle": ("vbank_holder",),
        "smartro_v2": ("vbank_holder", "buyer_name", "buyer_email", "buyer_tel"),
        "tosspayments": ("buyer_name",),
        "ksnet": ("buyer_name", "product_type"),
        "welcome": ("buyer_name",),
    },
}


def supports(pg: str | None, operation: str) -> bool:
    """Whether PG code ``pg`` offers ``operation`` (a key of ``SUPPORT``)."""
    return pg is not None and pg in SUPPORT[operation]


def missing_fields(pg: str | None, operation: str, data: Mapping[str, Any]) -> list[str]:
    """Fields ``pg`` requires for ``operation`` that ``data`` lacks, in spec order."""
    needed = REQUIRED.get(operation, {}).get(pg or "", ())
    return [name for name in needed if data.get(name) in (None, "")]


# -- cancel (POST /payments/cancel) -------------------------------------------
# Phone payments: partial cancels only on KG Inicis and NHN KCP (§9.3).
PHONE_PARTIAL_CANCEL_PGS: frozenset[str] = frozenset({"html5_inicis", "kcp"})
# Phone payments are cancellable only in the month they were paid, except KCP's
# next-month refund to a bank account (refund_* fields required, §4.5).
PHONE_NEXT_MONTH_REFUND_PGS: frozenset[str] = frozenset({"kcp"})
# PGs that do not zero a missing tax_free: tax-free payments must send it (§4.3).
TAX_FREE_EXPLICIT_PGS: frozenset[str] = frozenset("kcp kcp_quick kicc nice payco".split())
# smartro_v2: partial cancels of a payment with tax-free money must send tax_free.
TAX_FREE_ON_PARTIAL_PGS: frozenset[str] = frozenset({"smartro_v2"})
# tosspay_v2: partial cancels of a payment with explicit VAT must send vat_amount.
VAT_ON_PARTIAL_PGS: frozenset[str] = frozenset({"tosspay_v2"})
# naverpay: the review requires a cancel reason (x-portone-per-pg required).
REASON_REQUIRED_PGS: frozenset[str] = frozenset({"naverpay"})
# Pay methods whose refunds need refund_holder/bank/account; default is vbank only.
REFUND_ACCOUNT_METHODS: Mapping[str, frozenset[str]] = {
    "smartro_v2": frozenset({"vbank", "trans"}),
}
# refund_tel: required for every smartro (old module) cancel, and smartro_v2
# vbank/trans refunds.  "*" means every pay method.
REFUND_TEL_METHODS: Mapping[str, frozenset[str]] = {
    "smartro": frozenset({"*"}),
    "smartro_v2": frozenset({"vbank", "trans"}),
}
# KSNET: at most 9 partial cancels, only within 6 months, vbank refunds not
# between 23:00 and 06:00 (KST), phone payments never partially (§9.3).  The
# 6-month limit is not in the reference's §9.3 summary; it is in the same page
# §9.3 cites, PortOne's KSNET notes (developers.portone.io, opi/ko/integration/
# pg/v1/ksnet/warning.mdx: "취소는 결제일 기준 6개월 이내에만 가능합니다.").
# After nine partial cancels the rest of the balance is a tenth partial cancel
# (it is less than the amount paid) and is refused too: the source counts
# cancels, not what they leave, and says nothing of a final one (README).
PARTIAL_CANCEL_LIMIT: Mapping[str, int] = {"ksnet": 9}
CANCEL_MONTH_LIMIT: Mapping[str, int] = {"ksnet": 6}
VBANK_REFUND_QUIET_HOURS: Mapping[str, tuple[int, int]] = {"ksnet": (23, 6)}


def cancel_vat_pgs() -> frozenset[str]:
    """PGs that take ``vat_amount`` on a cancel: the spec's list plus tosspay_v2 (§4.3)."""
    return SUPPORT["cancel_vat_amount"] | VAT_ON_PARTIAL_PGS


def refund_account_methods(pg: str | None) -> frozenset[str]:
    """Pay methods whose refunds on ``pg`` need a refund bank account."""
    return REFUND_ACCOUNT_METHODS.get(pg or "", frozenset({"vbank"}))


def refund_tel_methods(pg: str | None) -> frozenset[str]:
    """Pay methods whose refunds on ``pg`` need ``refund_tel`` (``*`` = all)."""
    return REFUND_TEL_METHODS.get(pg or "", frozenset())
