"""What ``IMP.request_pay`` asked for, read the way the V1 SDK reads it (reference §7.2).

The window receives the merchant's parameter object as JSON.  ``read_request``
turns it into a ``PayRequest`` (unknown keys are kept, never refused) and
reports the mistakes the real SDK refuses before any PG window opens
(``RequestError``).  The page a payment gets, the REST ``pay_method`` it is
stored under, the easy-pay provider (``emb_pg_provider``), installment
choices and billing-key rules are plain functions of the request and PG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from ..gateway.params import Amount, custom_data_text, normalize_amount

__all__ = [
    "BILLING_AT_ONCE_PGS",
    "BILLING_WINDOW_PGS",
    "EASY_PAY_PGS",
    "NEW_SDK_PGS",
    "PageKind",
    "PayRequest",
    "RequestError",
    "emb_provider",
    "installment_choices",
    "page_kind",
    "parse_vbank_due",
    "read_request",
    "stored_pay_method",
]

KST = timezone(timedelta(hours=9))
PageKind = Literal["card", "trans", "vbank", "phone", "easy", "generic"]
INSTALLMENT_MINIMUM = 50000  # KRW; below it only a lump sum is offered (§7.2)

# PGs whose own window is an easy-pay app (no PG card form in between).
EASY_PAY_PGS = frozenset(
    "kakaopay naverpay naverco payco tosspay tosspay_v2 toss_brandpay chai smilepay syrup "
    "paypal paypal_v2 alipay".split()
)
# request_pay pay_method values that are an easy pay run inside a PG window (§8.2).
_EASY_METHODS = {
    "kakaopay": "kakaopay",
    "naverpay": "naverpay",
    "naverpay_card": "naverpay",
    "naverpay_point": "naverpay",
    "payco": "payco",
    "tosspay": "tosspay",
    "tosspay_card": "tosspay",
    "tosspay_money": "tosspay",
    "samsungpay": "samsungpay",
    "ssgpay": "ssgpay",
    "lpay": "lpay",
    "applepay": "applepay",
    "pinpay": "pinpay",
    "skpay": "skpay",
    "kpay": "kpay",
    "toss_brandpay": "toss_brandpay",
}
_PHONE_PGS = frozenset({"danal", "mobilians"})
# Billing keys through the window (§9.2), and the PGs that can charge at issuance.
BILLING_WINDOW_PGS = frozenset(
    "tosspayments kcp_billing html5_inicis danal_tpay danal kicc mobilians smartro_v2 welcome "
    "kakaopay naverpay payco tosspay_v2 settle_acc paymentwall paypal_v2".split()
)
BILLING_AT_ONCE_PGS = frozenset(
    "danal_tpay danal mobilians kakaopay settle_acc paymentwall".split()
)
# New-module PGs: the callback carries only imp_uid, merchant_uid, error_code, error_msg (§7.3).
NEW_SDK_PGS = frozenset("tosspayments smartro_v2 nice_v2 paypal_v2 ksnet welcome".split())
_DUE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y%m%d%H%M%S", "%Y-%m-%d", "%Y%m%d")


class RequestError(Exception):
    """The SDK refuses the request before any window opens."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class PayRequest:
    """The parameters of one ``IMP.request_pay`` call that the emulator acts on."""

    merchant_uid: str
    amount: Amount
    pg: str | None = None
    channel_key: str | None = None
    pay_method: str = "card"
    name: str | None = None
    currency: str = "KRW"
    buyer: dict[str, str | None] = field(default_factory=dict)
    custom_data: Any = None
    tax_free: Amount = 0
    vat_amount: Amount | None = None
    notice_urls: tuple[str, ...] = ()
    confirm_url: str | None = None
    m_redirect_url: str | None = None
    customer_uid: str | None = None
    escrow: bool = False
    vbank_due: str | None = None
    card_quota: tuple[int, ...] | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def custom_data_text(self) -> str | None:
        """``custom_data`` as stored: objects become a JSON string (§3)."""
        return custom_data_text(self.custom_data)


def _text(data: dict[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    return str(value)


def _number(data: dict[str, Any], name: str, *, required: bool = False) -> Amount | None:
    value = data.get(name)
    if value is None:
        if required:
            raise RequestError(f"{name} 파라미터가 누락되었습니다.")
        return None
    # The SDK wants a number: "1000" (a string) is a classic integration bug (§7.2).
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RequestError(f"{name} 파라미터는 숫자(number)여야 합니다. (입력값: {value!r})")
    if value < 0:
        raise RequestError(f"{name} 파라미터는 0 이상이어야 합니다.")
    return normalize_amount(value)


def _quota(data: dict[str, Any]) -> tuple[int, ...] | None:
    display = data.get("display")
    if not isinstance(display, dict) or "card_quota" not in display:
        return None
    values = display["card_quota"]
    if not isinstance(values, list):
        return None
    return tuple(sorted({int(v) for v in values if isinstance(v, int | float) and v >= 2}))


def read_request(data: dict[str, Any]) -> PayRequest:
    """A ``PayRequest`` from the SDK parameter object; raises ``RequestError``."""
    merchant_uid = _text(data, "merchant_uid")
    if merchant_uid is None:
        raise RequestError("merchant_uid 파라미터가 누락되었습니다.")
    if len(merchant_uid) > 40:
        raise RequestError("merchant_uid는 40자 이내여야 합니다.")
    amount = _number(data, "amount", required=True)
    notice = data.get("notice_url")
    notices = [notice] if isinstance(notice, str) else notice if isinstance(notice, list) else []
    pg = _text(data, "pg")
    default_method = "phone" if (pg or "").split(".")[0] in _PHONE_PGS else "card"
    default_currency = "USD" if (pg or "").startswith("paypal") else "KRW"
    return PayRequest(
        merchant_uid=merchant_uid,
        amount=amount or 0,
        pg=pg,
        channel_key=_text(data, "channelKey") or _text(data, "channel_key"),
        pay_method=_text(data, "pay_method") or default_method,
        name=_text(data, "name"),
        currency=(_text(data, "currency") or default_currency).upper(),
        buyer={
            k: _text(data, k)
            for k in ("buyer_name", "buyer_email", "buyer_tel", "buyer_addr", "buyer_postcode")
        },
        custom_data=data.get("custom_data"),
        tax_free=_number(data, "tax_free") or 0,
        vat_amount=_number(data, "vat_amount"),
        notice_urls=tuple(str(u) for u in notices if u),
        confirm_url=_text(data, "confirm_url"),
        m_redirect_url=_text(data, "m_redirect_url"),
        customer_uid=_text(data, "customer_uid"),
        escrow=data.get("escrow") is True,
        vbank_due=_text(data, "vbank_due"),
        card_quota=_quota(data),
        raw=dict(data),
    )


def page_kind(pg: str, pay_method: str) -> PageKind:
    """Which emulated PG page a request opens."""
    if pg in _PHONE_PGS or pay_method == "phone":
        return "phone"
    if pg in EASY_PAY_PGS or pay_method in _EASY_METHODS:
        return "easy"
    if pay_method in ("card", "trans", "vbank"):
        return pay_method  # type: ignore[return-value]
    if pay_method in ("ssgpay_bank", "settle_acc"):
        return "trans"
    return "generic"


def emb_provider(pg: str, pay_method: str) -> str | None:
    """The easy pay run inside a PG's window (``emb_pg_provider``); None otherwise."""
    if pg in EASY_PAY_PGS:
        return None
    return _EASY_METHODS.get(pay_method)


def stored_pay_method(pg: str, pay_method: str) -> str:
    """The REST ``pay_method`` of the payment (paypal_v2 always stores ``paypal``)."""
    if pg.startswith("paypal"):
        return "paypal"
    if pay_method == "samsungpay":
        return "samsung"
    return pay_method


def installment_choices(amount: Amount, quota: tuple[int, ...] | None) -> list[int]:
    """Installment months the card page offers; 0 is the lump sum (§7.2 display.card_quota)."""
    if amount < INSTALLMENT_MINIMUM:
        return [0]
    months = quota if quota is not None else tuple(range(2, 13))
    return [0, *months]


def parse_vbank_due(value: str | None, now: int, default_days: int = 3) -> int:
    """The deposit deadline as a unix timestamp (dates without time end at 23:59:59 KST)."""
    if value:
        for fmt in _DUE_FORMATS:
            try:
                moment = datetime.strptime(value.strip(), fmt).replace(tzinfo=KST)
            except ValueError:
                continue
            if "%H" not in fmt:
                moment = moment.replace(hour=23, minute=59, second=59)
            return int(moment.timestamp())
    end = datetime.fromtimestamp(now, KST) + timedelta(days=default_days)
    return int(end.replace(hour=23, minute=59, second=59).timestamp())
