"""The pay methods and PGs the demo shop offers, each one the emulator's window runs.

``METHODS`` maps the buyer's choice to ``IMP.request_pay``'s ``pay_method``
and the PGs that may carry it (the first is the default). Easy pays are their
own PG (``pg: "kakaopay"``…), so the window is the app's approval page.
Anything not listed here is refused before an order is placed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["METHODS", "PG_LABELS", "SUBSCRIPTION_PGS", "PayMethod", "resolve"]


@dataclass(frozen=True)
class PayMethod:
    """One choice on the checkout page."""

    key: str
    label: str
    pay_method: str
    pgs: tuple[str, ...]


METHODS: dict[str, PayMethod] = {
    m.key: m
    for m in (
        PayMethod("card", "신용·체크카드", "card", ("html5_inicis", "kcp", "nice", "tosspayments")),
        PayMethod("trans", "실시간 계좌이체", "trans", ("html5_inicis", "kcp", "nice")),
        PayMethod("vbank", "가상계좌 (무통장입금)", "vbank", ("html5_inicis", "nice", "kcp")),
        PayMethod("phone", "휴대폰 소액결제", "phone", ("danal", "mobilians")),
        PayMethod("kakaopay", "카카오페이", "card", ("kakaopay",)),
        PayMethod("naverpay", "네이버페이", "card", ("naverpay",)),
        PayMethod("tosspay", "토스페이", "card", ("tosspay",)),
    )
}

PG_LABELS = {
    "html5_inicis": "KG이니시스",
    "kcp": "NHN KCP",
    "nice": "나이스페이",
    "tosspayments": "토스페이먼츠",
    "danal": "다날",
    "mobilians": "KG모빌리언스",
    "kakaopay": "카카오페이",
    "naverpay": "네이버페이",
    "tosspay": "토스페이",
}

#: PGs that issue a billing key through the payment window (card registration, amount 0).
SUBSCRIPTION_PGS = ("html5_inicis", "kcp_billing", "tosspayments")


def resolve(key: str, pg: str | None) -> tuple[str, str] | None:
    """``(pay_method, pg)`` for the buyer's choice, or None when the shop does not offer it."""
    method = METHODS.get(key)
    if method is None:
        return None
    chosen = pg or method.pgs[0]
    return (method.pay_method, chosen) if chosen in method.pgs else None
