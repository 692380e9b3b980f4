"""Escrow delivery registration (§2.11, ``escrows/logis``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..exchange import ApiRequest, Flow, Timeout, segment, timed
from ..models.escrow import EscrowLogis, EscrowParty, EscrowProduct, EscrowShipment
from .answers import exchange

__all__ = ["escrow_logis", "register_escrow_logis", "update_escrow_logis"]


def _body(
    sender: EscrowParty,
    receiver: EscrowParty,
    logis: EscrowShipment,
    products: Sequence[EscrowProduct] | None,
) -> dict[str, Any]:
    return {
        "sender": sender.model_dump(exclude_none=True),
        "receiver": receiver.model_dump(exclude_none=True),
        "logis": logis.wire(),
        "products": [p.model_dump(exclude_none=True) for p in products] if products else None,
    }


def _request(operation: str, method: str, imp_uid: str, body: Any = None) -> ApiRequest:
    return ApiRequest(
        operation, method, f"/escrows/logis/{segment(imp_uid)}", body=body,
        keys={"imp_uid": imp_uid},
    )  # fmt: skip


def register_escrow_logis(
    imp_uid: str,
    *,
    sender: EscrowParty,
    receiver: EscrowParty,
    logis: EscrowShipment,
    products: Sequence[EscrowProduct] | None = None,
    timeout: Timeout | None = None,
) -> Flow[EscrowLogis]:
    """Register the delivery of an escrow payment (``POST /escrows/logis/{imp_uid}``).

    Args:
        imp_uid: the escrow payment.
        sender: who ships.
        receiver: who receives.
        logis: courier code, invoice number, dispatch time.
        products: product lines (welcome requires them).

    Returns:
        The registered ``EscrowLogis``.

    Raises:
        NotFound: no such payment.
        Conflict: delivery already registered.
        BadRequest: missing PG-specific fields, or the PG does not support escrow.
    """
    body = _body(sender, receiver, logis, products)
    return timed(
        exchange(_request("escrows.register", "POST", imp_uid, body), EscrowLogis), timeout
    )


def update_escrow_logis(
    imp_uid: str,
    *,
    sender: EscrowParty,
    receiver: EscrowParty,
    logis: EscrowShipment,
    products: Sequence[EscrowProduct] | None = None,
    timeout: Timeout | None = None,
) -> Flow[EscrowLogis]:
    """Change a registered delivery (``PUT /escrows/logis/{imp_uid}``).

    Raises:
        NotFound: no such payment.
        Conflict: the delivery can no longer be changed.
    """
    body = _body(sender, receiver, logis, products)
    return timed(exchange(_request("escrows.update", "PUT", imp_uid, body), EscrowLogis), timeout)


def escrow_logis(imp_uid: str, *, timeout: Timeout | None = None) -> Flow[EscrowLogis]:
    """The registered delivery of an escrow payment (``GET /escrows/logis/{imp_uid}``).

    Raises:
        NotFound: no such payment.
        Conflict: no delivery registered yet.
    """
    return timed(exchange(_request("escrows.get", "GET", imp_uid), EscrowLogis), timeout)
