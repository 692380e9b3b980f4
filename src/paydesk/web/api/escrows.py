"""Escrow deliveries: ``/api/escrows/{imp_uid}``.

``POST`` registers the shipment of a paid escrow payment at i'mport, ``PUT``
changes it, ``GET`` shows our record: the shipment and what the buyer decided
(from the ``Inicis.Escrow.Changed`` webhook: ``purchase_confirmed``,
``purchase_refused`` …). A payment that is not escrow is refused before
anything is sent (409, ``rule: not_escrow``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ...iamport import EscrowParty, EscrowProduct
from ...services.escrow import Delivery
from ...services.idempotency import Answer
from ...store.escrows import EscrowRecord
from ..deps import ServicesDep
from ..idempotency import IdempotentDep
from ..problems import Problem
from .refused import answered

__all__ = ["DeliveryIn", "EscrowOut", "router"]

router = APIRouter(tags=["escrow"])
ImpUid = Annotated[str, Path(pattern=r"^imp_[0-9A-Za-z]{1,28}$")]
Short = Annotated[str, Field(min_length=1, max_length=100)]


class PartyIn(BaseModel):
    """Sender or receiver (KG Inicis needs name, tel, addr and postcode)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=40)] | None = None
    tel: Annotated[str, Field(pattern=r"^[0-9+ -]{6,20}$")] | None = None
    addr: Annotated[str, Field(max_length=200)] | None = None
    postcode: Annotated[str, Field(pattern=r"^[0-9-]{5,7}$")] | None = None
    relationship: Annotated[str, Field(max_length=20)] | None = None

    def party(self) -> EscrowParty:
        return EscrowParty(**self.model_dump(exclude_none=True))


class LogisIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    company: Annotated[str, Field(pattern=r"^[A-Z0-9]{2,16}$",
                                  description="Courier code (CJGLS, EPOST, HANJIN, …).")]  # fmt: skip
    invoice: Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,40}$")]
    sent_at: datetime = Field(description="When it was handed to the courier (with a time zone).")
    receiving_at: Annotated[str, Field(pattern=r"^\d{8}$")] | None = None
    address: Annotated[str, Field(max_length=200)] | None = None


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Short
    name: Short
    amount: Annotated[int, Field(ge=0, le=10**12)]
    quantity: Annotated[int, Field(ge=1, le=10_000)] = 1


class DeliveryIn(BaseModel):
    """The shipment of an escrow payment."""

    model_config = ConfigDict(extra="forbid")

    sender: PartyIn
    receiver: PartyIn
    logis: LogisIn
    products: list[ProductIn] = Field(default_factory=list, max_length=100)

    def delivery(self) -> Delivery:
        if self.logis.sent_at.tzinfo is None:
            raise Problem(422, "Invalid request", "`logis.sent_at` needs a time zone.")
        products = [EscrowProduct(id=p.id, name=p.name, amount=p.amount, quantity=p.quantity)
                    for p in self.products]  # fmt: skip
        return Delivery(self.sender.party(), self.receiver.party(), self.logis.company,
                        self.logis.invoice, self.logis.sent_at, self.logis.receiving_at,
                        self.logis.address, products)  # fmt: skip


class ShipmentOut(BaseModel):
    company: str
    invoice: str
    sent_at: datetime
    applied_at: datetime | None = Field(description="When i'mport registered it.")


class EscrowOut(BaseModel):
    """An escrow payment's delivery and status."""

    imp_uid: str
    order_id: int | None
    shipment: ShipmentOut | None
    status: str = Field(description="registered (by us), or from i'mport's events: "
                        "delivery_registered, purchase_confirmed, auto_confirmed, "
                        "force_confirmed, purchase_refused, transaction_cancelled, "
                        "refusal_confirmed")  # fmt: skip
    status_code: str | None = Field(description="i'mport's escrow_status code.")
    status_changed_at: datetime | None
    denied_reason: str | None
    updated_at: datetime

    @classmethod
    def of(cls, record: EscrowRecord) -> EscrowOut:
        s = record.shipment
        shipment = None if s is None else ShipmentOut(company=s.company, invoice=s.invoice,
                                                      sent_at=s.sent_at, applied_at=s.applied_at)  # fmt: skip
        return cls(imp_uid=record.imp_uid, order_id=record.order_id, shipment=shipment,
                   status=record.status, status_code=record.status_code,
                   status_changed_at=record.status_changed_at,
                   denied_reason=record.denied_reason, updated_at=record.updated_at)  # fmt: skip


async def _register(
    imp_uid: str, body: DeliveryIn, services: Any, idem: Any, *, update: bool
) -> Any:
    delivery = body.delivery()

    async def action() -> Answer:
        record = await answered(services.escrows.register(imp_uid, delivery, update=update))
        return Answer(201 if not update else 200, EscrowOut.of(record).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action)


@router.post("/api/escrows/{imp_uid}", status_code=201, response_model=EscrowOut)
async def register_delivery(
    imp_uid: ImpUid, body: DeliveryIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Register the delivery of a paid escrow payment at i'mport."""
    return await _register(imp_uid, body, services, idem, update=False)


@router.put("/api/escrows/{imp_uid}", response_model=EscrowOut)
async def change_delivery(
    imp_uid: ImpUid, body: DeliveryIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Change the registered delivery (not offered by every PG)."""
    return await _register(imp_uid, body, services, idem, update=True)


class EscrowAtIamport(BaseModel):
    company: str | None
    invoice: str | None
    sent_at: datetime | None
    applied_at: datetime | None


class EscrowLookup(EscrowOut):
    at_iamport: EscrowAtIamport | None = None


@router.get("/api/escrows/{imp_uid}", response_model=EscrowLookup)
async def get_escrow(
    imp_uid: ImpUid,
    services: ServicesDep,
    at_iamport: Annotated[bool, Query(description="Also read i'mport's record.")] = False,
) -> EscrowLookup:
    """Our record of the escrow payment (and, with ``at_iamport``, i'mport's)."""
    record = await answered(services.escrows.view(imp_uid))
    found = None
    if at_iamport:
        logis = await answered(services.escrows.at_iamport(imp_uid))
        found = EscrowAtIamport(company=logis.company, invoice=logis.invoice,
                                sent_at=logis.sent_at, applied_at=logis.applied_at)  # fmt: skip
    return EscrowLookup(**EscrowOut.of(record).model_dump(), at_iamport=found)
