"""Identity verification and the age gate.

``POST /api/customers/{customer_ref}/identity`` is what the shop calls after
``IMP.certification`` succeeded in the browser: the certification is read from
i'mport (never taken from the browser), checked, and stored as the customer's
verified identity. ``PUT /api/products/{id}/age-gate`` makes a product require
a minimum age; an order for it must then name a customer (``customer_ref``)
whose verified age is high enough, or it is refused with ``rule``
``identity_required``, ``identity_unknown`` or ``age_below_minimum``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from ...services.idempotency import Answer
from ...services.identity import Verified
from ...store.identities import IdentityRecord
from ..deps import ServicesDep
from ..idempotency import IdempotentDep
from ..schemas import MAX_ID
from .refused import answered

__all__ = ["AgeGateIn", "CertificationIn", "IdentityOut", "router"]

router = APIRouter(tags=["identity verification"])
CUSTOMER_REF = r"^[A-Za-z0-9._:@-]{1,64}$"
CustomerRef = Annotated[
    str, Path(pattern=CUSTOMER_REF, description="The shop's id of the customer.")
]
ProductId = Annotated[int, Path(ge=1, le=MAX_ID)]


class CertificationIn(BaseModel):
    """The certification ``IMP.certification`` returned, to store for the customer."""

    model_config = ConfigDict(extra="forbid")

    imp_uid: Annotated[str, Field(pattern=r"^imp_[0-9A-Za-z]{1,28}$")]
    merchant_uid: Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,40}$")] | None = Field(
        default=None, description="The merchant_uid given to IMP.certification (checked if sent)."
    )
    delete_after: bool = Field(
        default=False, description="Delete the result at i'mport once stored."
    )


def _masked_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    return phone[:3] + "*" * max(len(phone) - 7, 0) + phone[-4:]


class IdentityOut(BaseModel):
    """A customer's verified identity (the phone masked; CI/DI are kept only hashed)."""

    customer_ref: str
    name: str | None
    birth_date: date | None
    phone: str | None = Field(description="Masked.")
    adult: bool = Field(description="19 or older on the day the identity was verified.")
    foreigner: bool | None
    certification_imp_uid: str
    pg_provider: str | None
    certified_at: datetime | None
    deleted_at_iamport: datetime | None
    same_person: list[str] = Field(
        default_factory=list,
        description="Other customers verified as the same person (same CI), when just stored.",
    )
    updated_at: datetime

    @classmethod
    def of(cls, identity: IdentityRecord, same_person: list[str] | None = None) -> IdentityOut:
        return cls(
            customer_ref=identity.customer_ref, name=identity.name,
            birth_date=identity.birth_date, phone=_masked_phone(identity.phone),
            adult=identity.adult, foreigner=identity.foreigner,
            certification_imp_uid=identity.certification_imp_uid,
            pg_provider=identity.pg_provider, certified_at=identity.certified_at,
            deleted_at_iamport=identity.deleted_at_iamport, same_person=same_person or [],
            updated_at=identity.updated_at,
        )  # fmt: skip

    @classmethod
    def of_verified(cls, verified: Verified) -> IdentityOut:
        return cls.of(verified.identity, list(verified.same_person))


@router.post("/api/customers/{customer_ref}/identity", response_model=IdentityOut)
async def store_identity(
    customer_ref: CustomerRef, body: CertificationIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Store the identity a certification established as the customer's verified identity."""

    async def action() -> Answer:
        verified = await answered(services.identities.verify(
            customer_ref, body.imp_uid, merchant_uid=body.merchant_uid,
            delete_after=body.delete_after))  # fmt: skip
        return Answer(200, IdentityOut.of_verified(verified).model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action)


@router.get("/api/customers/{customer_ref}/identity", response_model=IdentityOut)
async def get_identity(customer_ref: CustomerRef, services: ServicesDep) -> IdentityOut:
    """The customer's verified identity."""
    return IdentityOut.of(await answered(services.identities.customer(customer_ref)))


class AgeGateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    min_age: Annotated[int, Field(ge=1, le=99)] | None = Field(
        description="The age a buyer must have reached; null lifts the gate."
    )


class AgeGateOut(BaseModel):
    product_id: int
    min_age: int | None


@router.put("/api/products/{product_id}/age-gate", response_model=AgeGateOut)
async def set_age_gate(product_id: ProductId, body: AgeGateIn, services: ServicesDep) -> AgeGateOut:
    """Require a minimum age to buy the product (e.g. 19 for alcohol)."""
    min_age = await answered(services.identities.set_age_gate(product_id, body.min_age))
    return AgeGateOut(product_id=product_id, min_age=min_age)


@router.get("/api/products/{product_id}/age-gate", response_model=AgeGateOut)
async def get_age_gate(product_id: ProductId, services: ServicesDep) -> AgeGateOut:
    """The minimum age the product requires (null: none)."""
    return AgeGateOut(product_id=product_id,
                      min_age=await answered(services.identities.age_gate(product_id)))  # fmt: skip
