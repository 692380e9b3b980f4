"""Escrow delivery registration: what is sent and what i'mport reports."""

from __future__ import annotations

from typing import Any

from .wire import InputAmount, Instant, Timestamp, WireModel, to_unix

__all__ = ["EscrowLogis", "EscrowParty", "EscrowProduct", "EscrowShipment"]


class EscrowParty(WireModel):
    """Sender or receiver of an escrow delivery (PG-specific extras allowed)."""

    name: str | None = None
    tel: str | None = None
    addr: str | None = None
    postcode: str | None = None
    relationship: str | None = None


class EscrowShipment(WireModel):
    """The delivery itself (``EscrowLogisInfoAnnotation``)."""

    company: str
    invoice: str
    sent_at: Instant
    receiving_at: str | None = None
    address: str | None = None

    def wire(self) -> dict[str, Any]:
        """The shipment with ``sent_at`` in unix seconds."""
        return {**self.model_dump(exclude_none=True), "sent_at": to_unix(self.sent_at)}


class EscrowProduct(WireModel):
    """A product line (welcome requires them)."""

    id: str
    name: str
    amount: InputAmount
    code: str | None = None
    currency: str | None = None
    quantity: int | None = None
    tag: str | None = None


class EscrowLogis(WireModel):
    """Registered escrow delivery (``EscrowLogisAnnotation``)."""

    company: str | None = None
    invoice: str | None = None
    sent_at: Timestamp = None
    applied_at: Timestamp = None
