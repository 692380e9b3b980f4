"""The buyer's side of escrow, and the ``Inicis.Escrow.Changed`` event webhook (reference §5).

KG Inicis reports an escrow payment's progress to the merchant with an event
webhook on the usual notification URL: the payment's ``imp_uid``,
``merchant_uid`` and ``status`` plus ``event: "Inicis.Escrow.Changed"`` and
``extra{escrow_status, changed_at, denied_reason}``. Codes: ``2`` delivery
registered, ``3`` purchase confirmed, ``31`` auto-confirmed, ``32``
force-confirmed, ``4`` purchase refused, ``8`` transaction cancelled, ``10``
refusal confirmed.

Only KG Inicis sends it (``EVENT_PGS``); for the other escrow PGs the status
is recorded on the delivery and nothing is sent. The buyer confirms or refuses
through the control API, after the delivery was registered.
"""

from __future__ import annotations

from typing import Any

from .errors import ApiFault
from .gateway import Gateway
from .records import Escrow, Payment, WebhookRecord

__all__ = ["ESCROW_EVENT", "EVENT_PGS", "buyer_decides", "escrow_changed"]

ESCROW_EVENT = "Inicis.Escrow.Changed"
EVENT_PGS = frozenset({"html5_inicis", "inicis"})
CONFIRMED, REFUSED = "3", "4"
NO_DELIVERY = "배송정보가 등록되지 않은 에스크로 결제건입니다."
NOT_ESCROW = "에스크로 결제건이 아닙니다."
DECIDED = "구매자가 이미 구매확정 또는 구매거절한 에스크로 결제건입니다. (escrow_status {code})"


def escrow_changed(
    gateway: Gateway, payment: Payment, escrow: Escrow, code: str, reason: str | None = None
) -> list[WebhookRecord]:
    """Record ``escrow_status`` ``code`` and send the event (KG Inicis only)."""
    now = gateway.now()
    escrow.escrow_status = code
    escrow.status_changed_at = now
    escrow.denied_reason = reason
    gateway.touch()
    if payment.pg_provider not in EVENT_PGS:
        return []
    extra: dict[str, Any] = {"escrow_status": code, "changed_at": now,
                             "denied_reason": reason or ""}  # fmt: skip
    return gateway.announce(payment, payment.status, event=ESCROW_EVENT,
                            fields={"event": ESCROW_EVENT, "extra": extra})  # fmt: skip


def buyer_decides(
    gateway: Gateway, payment: Payment, *, confirm: bool, reason: str | None = None
) -> tuple[Escrow, list[WebhookRecord]]:
    """The buyer confirms the purchase (``3``) or refuses it (``4``, with ``reason``)."""
    if not payment.escrow:
        raise ApiFault(400, NOT_ESCROW)
    escrow = gateway.state.ledger(payment.imp_code).escrows.get(payment.imp_uid)
    if escrow is None:
        raise ApiFault(400, NO_DELIVERY)
    if escrow.escrow_status in (CONFIRMED, REFUSED):
        raise ApiFault(409, DECIDED.format(code=escrow.escrow_status))
    code = CONFIRMED if confirm else REFUSED
    sent = escrow_changed(gateway, payment, escrow, code, None if confirm else reason or "구매거절")
    return escrow, sent
