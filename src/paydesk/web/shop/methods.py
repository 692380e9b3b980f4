"""The pay methods and PGs the demo shop offers, each one the emulator's window runs.

``METHODS`` maps the buyer's choice to ``IMP.request_pay``'s ``pay_method``
and the PGs that may carry it (the first is the default). Easy pays are their
own PG (``pg: "kakaopay"``…), so the window is the app's approval page.
Anything not listed here is refused before an order is placed.

Escrow (에스크로·구매안전) is offered for the cash methods, account transfer and
virtual account, on the PGs whose escrow deliveries paydesk registers through
i'mport (``core.escrow.ESCROW_PGS``): the merchant can then ship from the back
office and learn the buyer's decision.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.escrow import ESCROW_PGS

__all__ = [
    "ESCROW_METHODS",
    "METHODS",
    "PG_LABELS",
    "SUBSCRIPTION_PGS",
    "PayMethod",
    "escrow_offered",
    "resolve",
]


@dataclass(frozen=True)
class PayMethod:
    """One choice on the checkout page."""

    key: str
    label: str
    pay_method: str
    pgs: tuple[str, ...]

    @property
    def escrow_pgs(self) -> tuple[str, ...]:
        """The PGs this method is offered with escrow on (none: no escrow checkbox)."""
        if self.key not in ESCROW_METHODS:
            return ()
        return tuple(pg for pg in self.pgs if pg in ESCROW_PGS)


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

#: The shop's methods with an escrow checkbox: the cash payments.
ESCROW_METHODS = frozenset({"trans", "vbank"})

#: PGs that issue a billing key through the payment window (card registration, amount 0).
SUBSCRIPTION_PGS = ("html5_inicis", "kcp_billing", "tosspayments")


def resolve(key: str, pg: str | None) -> tuple[str, str] | None:
    """``(pay_method, pg)`` for the buyer's choice, or None when the shop does not offer it."""
    method = METHODS.get(key)
    if method is None:
        return None
    chosen = pg or method.pgs[0]
    return (method.pay_method, chosen) if chosen in method.pgs else None


def escrow_offered(key: str, pg: str | None) -> bool:
    """Whether the shop offers escrow for the buyer's choice (``resolve``'s arguments)."""
    method = METHODS.get(key)
    if method is None:
        return False
    return (pg or method.pgs[0]) in method.escrow_pgs
