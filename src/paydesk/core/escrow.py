"""Escrow: the delivery the merchant reports, and what the buyer did about it.

KG Inicis tells the merchant about an escrow payment's progress with the
``Inicis.Escrow.Changed`` event webhook (reference §5): ``extra.escrow_status``
is a code, ``changed_at`` when it changed. Events may arrive late, twice or out
of order, so a status only replaces one that changed earlier.

An order asks for an escrow payment with ``request_pay``'s ``escrow: true``
(§9.5): only a PG with escrow (and a contract for it) honours it, and only for
card, account transfer and virtual account payments; ``escrow_refusal`` says,
before anything is stored or sent, why an order may not ask for it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

__all__ = [
    "COURIERS",
    "ESCROW_EDIT_PGS",
    "ESCROW_EVENT",
    "ESCROW_METHODS",
    "ESCROW_PGS",
    "ESCROW_WINDOW_PGS",
    "EscrowStatus",
    "escrow_refusal",
    "escrow_status",
    "newer",
]

ESCROW_EVENT = "Inicis.Escrow.Changed"

#: Courier codes of ``logis.company`` (reference §8.5; i'mport files others as ``ETC``).
COURIERS = frozenset(
    "HYUNDAI HANARO SAGAWA KGB YELLOWCAP DONGBU EPOST CJGLS HANJIN DAESIN ETC "
    "REGISTPOST CHUNIL ILYANG CVSNET KDEXP HONAM HDEXP".split()
)


#: PGs whose escrow deliveries are registered through the API; and changed (§2.11, §9.5).
ESCROW_PGS = frozenset("html5_inicis kcp daou ksnet smartro_v2 nice_v2 welcome".split())
ESCROW_EDIT_PGS = ESCROW_PGS - {"nice_v2"}
#: PGs whose window takes ``escrow: true`` (§9.5, a PG escrow contract needed): those with
#: the delivery API, plus those whose deliveries are reported in the PG's own console
#: (NICE, Toss Payments and its predecessor uplus, KICC, Hecto, Smartro, KG Inicis' old
#: module) and Naver Pay's own escrow.
ESCROW_WINDOW_PGS = ESCROW_PGS | frozenset(
    "inicis smartro nice tosspayments uplus kicc settle naverpay".split()
)
#: Pay methods an escrow payment can be made with (Korean e-commerce law expects it to be
#: offered for cash payments: account transfer and virtual account; some PGs take cards).
ESCROW_METHODS = frozenset({"card", "trans", "vbank"})


def escrow_refusal(pg: str | None, pay_method: str | None) -> tuple[str, str] | None:
    """Why an order for ``pg`` and ``pay_method`` may not ask for escrow: ``(rule, message)``.

    ``pg`` is ``request_pay``'s (``provider`` or ``provider.MID``); without one, i'mport's
    default channel decides the PG, so escrow cannot be promised.
    """
    provider = (pg or "").partition(".")[0]
    if provider not in ESCROW_WINDOW_PGS:
        return ("pg_without_escrow",
                f"{provider or 'The default channel'} takes no escrow payment; name a PG with "
                f"escrow as `pg` ({', '.join(sorted(ESCROW_WINDOW_PGS))}).")  # fmt: skip
    if (pay_method or "card") not in ESCROW_METHODS:
        return ("escrow_pay_method",
                f"Escrow is for card, account transfer and virtual account payments, "
                f"not {pay_method}.")  # fmt: skip
    return None


class EscrowStatus(StrEnum):
    """Where an escrow payment stands (ours: ``registered``; the rest from events)."""

    REGISTERED = "registered"
    DELIVERY_REGISTERED = "delivery_registered"
    PURCHASE_CONFIRMED = "purchase_confirmed"
    AUTO_CONFIRMED = "auto_confirmed"
    FORCE_CONFIRMED = "force_confirmed"
    PURCHASE_REFUSED = "purchase_refused"
    TRANSACTION_CANCELLED = "transaction_cancelled"
    REFUSAL_CONFIRMED = "refusal_confirmed"


_CODES = {
    "2": EscrowStatus.DELIVERY_REGISTERED,
    "3": EscrowStatus.PURCHASE_CONFIRMED,
    "31": EscrowStatus.AUTO_CONFIRMED,
    "32": EscrowStatus.FORCE_CONFIRMED,
    "4": EscrowStatus.PURCHASE_REFUSED,
    "8": EscrowStatus.TRANSACTION_CANCELLED,
    "10": EscrowStatus.REFUSAL_CONFIRMED,
}


def escrow_status(code: str) -> EscrowStatus | None:
    """The status an ``escrow_status`` code stands for (None: a code we do not know)."""
    return _CODES.get(code.strip())


#: How far along each status is: at equal times (``changed_at`` has whole seconds) the
#: later stage wins; the same status at the same time is a duplicate.
_STAGE = {
    EscrowStatus.REGISTERED: 0,
    EscrowStatus.DELIVERY_REGISTERED: 1,
    EscrowStatus.PURCHASE_CONFIRMED: 2,
    EscrowStatus.AUTO_CONFIRMED: 2,
    EscrowStatus.FORCE_CONFIRMED: 2,
    EscrowStatus.PURCHASE_REFUSED: 2,
    EscrowStatus.REFUSAL_CONFIRMED: 3,
    EscrowStatus.TRANSACTION_CANCELLED: 3,
}


def newer(
    changed_at: datetime | None,
    status: EscrowStatus,
    current_at: datetime | None,
    current: EscrowStatus | None,
) -> bool:
    """Whether ``status`` (changed at ``changed_at``) replaces ``current`` (from ``current_at``).

    A later time wins, an earlier one never does; at the same time (or
    without times) only a later stage does, so a duplicate delivery changes
    nothing.
    """
    if current is None:
        return True
    if changed_at is not None and current_at is not None and changed_at != current_at:
        return changed_at > current_at
    if changed_at is None and current_at is not None:
        return False
    return _STAGE[status] > _STAGE[current]
