"""Cash receipts: ``/api/receipts`` for our i'mport payments, ``/api/external-receipts``
for sales made elsewhere. Two resources on purpose: the two kinds never mix.

The identifier (phone, business registration or cash-receipt card number) is
sent to i'mport and never stored or shown whole: answers carry it masked.
A second cancel is refused (409, ``rule: receipt_already_cancelled``) and
changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from ...core.money import EXPONENTS, Money
from ...core.receipts import IdentifierType, InvalidIdentifier, ReceiptState, recipient
from ...services.idempotency import Answer
from ...services.receipts import ExternalAsk, ReceiptAsk
from ...store.receipts import ReceiptKind, ReceiptQuery, ReceiptRecord
from ..deps import ServicesDep
from ..idempotency import IdempotentDep
from ..problems import Problem
from ..schemas import MAX_ID
from .refused import answered

__all__ = ["ExternalReceiptIn", "ReceiptIn", "ReceiptOut", "router"]

router = APIRouter(tags=["cash receipts"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ImpUid = Annotated[str, Field(pattern=r"^imp_[0-9A-Za-z]{1,28}$")]
Identifier = Annotated[str, Field(min_length=8, max_length=24, pattern=r"^[0-9 -]+$",
                                  description="Phone, business or cash-receipt card number.")]  # fmt: skip
Part = Annotated[int, Field(ge=0, le=10**12)]


class ReceiptIn(BaseModel):
    """A cash receipt for one of our transfer or virtual-account payments."""

    model_config = ConfigDict(extra="forbid")

    imp_uid: ImpUid
    identifier_type: IdentifierType = Field(
        description="phone or card: income deduction (person); business: expense proof (company)"
    )
    identifier: Identifier
    tax_free: Part | None = None


class ExternalReceiptIn(BaseModel):
    """A cash receipt for a sale made outside i'mport."""

    model_config = ConfigDict(extra="forbid")

    merchant_uid: Annotated[str, Field(pattern=r"^[0-9A-Za-z_-]{1,40}$")] | None = Field(
        default=None, description="The sale's id; made up when omitted. Not one of our orders."
    )
    name: Annotated[str, Field(min_length=1, max_length=40)]
    amount: Annotated[int, Field(ge=1, le=10**12)]
    currency: Annotated[str, Field(pattern="^(" + "|".join(EXPONENTS) + ")$")] = "KRW"
    identifier_type: IdentifierType
    identifier: Identifier
    pg: Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[A-Za-z0-9_-]+)?$", max_length=40)] | None = (
        None
    )
    pay_method: Literal["trans", "vbank"] | None = None
    tax_free: Part | None = None


class ReceiptOut(BaseModel):
    """A cash receipt as we know it (``refresh`` brings it in line with i'mport)."""

    id: int
    kind: ReceiptKind
    imp_uid: str | None = Field(description="The payment (receipts of i'mport payments).")
    merchant_uid: str | None = Field(description="The sale (external receipts).")
    order_id: int | None
    name: str | None
    state: str = Field(description="issuing, issued, cancelling, cancelled, failed or unknown")
    type: str = Field(description="person (income deduction) or company (expense proof)")
    identifier_type: str
    identifier: str = Field(description="Masked: only the last four digits.")
    currency: str
    amount: int | None
    vat: int | None
    tax_free: int | None
    apply_num: str | None = Field(description="The National Tax Service approval number.")
    receipt_tid: str | None
    receipt_url: str | None
    applied_at: datetime | None
    cancelled_at: datetime | None
    last_error: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, record: ReceiptRecord) -> ReceiptOut:
        def amount(money: Money | None) -> int | None:
            return None if money is None else money.amount

        return cls(
            id=record.id, kind=record.kind,
            imp_uid=record.key if record.kind == "payment" else None,
            merchant_uid=record.key if record.kind == "external" else None,
            order_id=record.order_id, name=record.name, state=record.state, type=record.type,
            identifier_type=record.identifier_type, identifier=record.identifier_masked,
            currency=record.currency,
            amount=amount(record.amount if record.amount else record.requested_amount),
            vat=amount(record.vat), tax_free=amount(record.tax_free), apply_num=record.apply_num,
            receipt_tid=record.receipt_tid, receipt_url=record.receipt_url,
            applied_at=record.applied_at, cancelled_at=record.cancelled_at,
            last_error=record.last_error, created_at=record.created_at,
            updated_at=record.updated_at,
        )  # fmt: skip


class ReceiptPage(BaseModel):
    items: list[ReceiptOut]
    next_before: int | None = Field(description="Pass as `before` for the next page.")


def _recipient(kind: IdentifierType, identifier: str) -> Any:
    try:
        return recipient(kind, identifier)
    except InvalidIdentifier as exc:
        raise Problem(422, "Invalid request", f"The identifier is not a valid {kind.value} "
                      "identifier.", rule="invalid_identifier") from exc  # fmt: skip


def _fingerprint(body: BaseModel) -> dict[str, Any]:
    """The request as the idempotency record keeps it: the identifier masked, never whole."""
    data = body.model_dump(mode="json")
    digits = "".join(ch for ch in data["identifier"] if ch.isdigit())
    data["identifier"] = "*" * max(len(digits) - 4, 0) + digits[-4:]
    return data


# -- receipts of i'mport payments -------------------------------------------------------
@router.post("/api/receipts", status_code=201, response_model=ReceiptOut)
async def issue_receipt(body: ReceiptIn, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Issue a cash receipt for a paid transfer or virtual-account payment of ours."""
    who = _recipient(body.identifier_type, body.identifier)

    async def action() -> Answer:
        tax_free = None if body.tax_free is None else Money(body.tax_free, "KRW")
        ask = ReceiptAsk(who, tax_free, idem.token)
        record = await answered(services.receipts.issue(body.imp_uid, ask))
        return Answer(201, ReceiptOut.of(record).model_dump(mode="json"))

    return await idem.once(_fingerprint(body), action,
                           location=lambda made: f"/api/receipts/{made['id']}")  # fmt: skip


def _query(
    key: str | None,
    state: ReceiptState | None,
    identifier_type: IdentifierType | None,
    since: datetime | None,
    until: datetime | None,
    before: int | None,
    limit: int,
) -> ReceiptQuery:
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise Problem(422, "Invalid request", f"`{name}` needs a time zone.")
    return ReceiptQuery(key=key, state=state.value if state else None,
                        identifier_type=identifier_type.value if identifier_type else None,
                        since=since, until=until, before=before, limit=limit)  # fmt: skip


Before = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="`next_before` of the last page.")
]
Limit = Annotated[int, Query(ge=1, le=200)]


def _page(records: list[ReceiptRecord], limit: int) -> ReceiptPage:
    next_before = records[-1].id if len(records) == limit else None
    return ReceiptPage(items=[ReceiptOut.of(r) for r in records], next_before=next_before)


@router.get("/api/receipts", response_model=ReceiptPage)
async def search_receipts(
    services: ServicesDep,
    imp_uid: Annotated[str | None, Query(max_length=32)] = None,
    state: ReceiptState | None = None,
    identifier_type: IdentifierType | None = None,
    since: Annotated[datetime | None, Query(description="Asked for at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Asked for before.")] = None,
    before: Before = None,
    limit: Limit = 50,
) -> ReceiptPage:
    """Receipts of i'mport payments matching every filter given, newest first."""
    query = _query(imp_uid, state, identifier_type, since, until, before, limit)
    return _page(await services.receipts.search("payment", query), limit)


@router.get("/api/receipts/{receipt_id}", response_model=ReceiptOut)
async def get_receipt(receipt_id: Id, services: ServicesDep) -> ReceiptOut:
    """One receipt of an i'mport payment."""
    return ReceiptOut.of(await answered(services.receipts.get("payment", receipt_id)))


async def _cancel(kind: ReceiptKind, receipt_id: int, services: Any, idem: Any) -> Any:
    async def action() -> Answer:
        record = await answered(services.receipts.cancel(kind, receipt_id))
        return Answer(200, ReceiptOut.of(record).model_dump(mode="json"))

    return await idem.once({"cancel": receipt_id}, action)


@router.post("/api/receipts/{receipt_id}/cancel", response_model=ReceiptOut)
async def cancel_receipt(receipt_id: Id, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Cancel an issued receipt; a cancelled one is refused (409) and stays as it is."""
    return await _cancel("payment", receipt_id, services, idem)


@router.post("/api/receipts/{receipt_id}/refresh", response_model=ReceiptOut)
async def refresh_receipt(receipt_id: Id, services: ServicesDep) -> ReceiptOut:
    """Bring the receipt in line with i'mport (settles one whose answer was lost)."""
    return ReceiptOut.of(await answered(services.receipts.refresh("payment", receipt_id)))


# -- external receipts ----------------------------------------------------------------
@router.post("/api/external-receipts", status_code=201, response_model=ReceiptOut)
async def issue_external_receipt(
    body: ExternalReceiptIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Issue a cash receipt for a sale made outside i'mport (not for our orders)."""
    who = _recipient(body.identifier_type, body.identifier)

    async def action() -> Answer:
        tax_free = None if body.tax_free is None else Money(body.tax_free, body.currency)
        ask = ExternalAsk(body.name, Money(body.amount, body.currency), who, body.merchant_uid,
                          body.pg, body.pay_method, tax_free, idem.token)  # fmt: skip
        record = await answered(services.receipts.issue_external(ask))
        return Answer(201, ReceiptOut.of(record).model_dump(mode="json"))

    return await idem.once(_fingerprint(body), action,
                           location=lambda made: f"/api/external-receipts/{made['id']}")  # fmt: skip


@router.get("/api/external-receipts", response_model=ReceiptPage)
async def search_external_receipts(
    services: ServicesDep,
    merchant_uid: Annotated[str | None, Query(max_length=40)] = None,
    state: ReceiptState | None = None,
    identifier_type: IdentifierType | None = None,
    since: Annotated[datetime | None, Query(description="Asked for at or after.")] = None,
    until: Annotated[datetime | None, Query(description="Asked for before.")] = None,
    before: Before = None,
    limit: Limit = 50,
) -> ReceiptPage:
    """External receipts matching every filter given, newest first."""
    query = _query(merchant_uid, state, identifier_type, since, until, before, limit)
    return _page(await services.receipts.search("external", query), limit)


@router.get("/api/external-receipts/{receipt_id}", response_model=ReceiptOut)
async def get_external_receipt(receipt_id: Id, services: ServicesDep) -> ReceiptOut:
    """One external receipt."""
    return ReceiptOut.of(await answered(services.receipts.get("external", receipt_id)))


@router.post("/api/external-receipts/{receipt_id}/cancel", response_model=ReceiptOut)
async def cancel_external_receipt(
    receipt_id: Id, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Cancel an issued external receipt; a cancelled one is refused (409)."""
    return await _cancel("external", receipt_id, services, idem)


@router.post("/api/external-receipts/{receipt_id}/refresh", response_model=ReceiptOut)
async def refresh_external_receipt(receipt_id: Id, services: ServicesDep) -> ReceiptOut:
    """Bring the external receipt in line with i'mport."""
    return ReceiptOut.of(await answered(services.receipts.refresh("external", receipt_id)))
