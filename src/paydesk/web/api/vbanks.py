"""Virtual accounts through the API: issue one for an order by REST, delete one, bank names.

``POST /api/orders/{order_id}/vbank`` issues an account at i'mport without the
payment window and holds the order's stock exactly as a confirm would; the
account is sent to the payer (the log, and e-mail when SMTP is configured).
``DELETE /api/vbanks/{imp_uid}`` deletes an unpaid one and releases its hold.
``GET /api/banks/{code}`` names a bank code from i'mport's table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from ...services.idempotency import Answer
from ...services.job_kinds import VBANK_NOTIFY
from ...services.virtual_accounts import IssueAsk, VbankRefused, VbankUnavailable
from ..auth import AUTH_RESPONSES, READ, WRITE
from ..deps import ServicesDep
from ..idempotency import IdempotentDep
from ..problems import Problem, problem_responses
from ..schemas import MAX_ID, OrderDetail, PaymentOut
from .refused import answered

__all__ = ["BankOut", "VbankIn", "VbankIssued", "router"]

router = APIRouter(
    tags=["virtual accounts"],
    responses=AUTH_RESPONSES | problem_responses(400, 404, 409, 413, 422, 502, 503),
)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
ImpUid = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
BankCode = Annotated[str, Field(pattern=r"^[0-9A-Za-z]{2,4}$")]
INLINE_SECONDS = 8.0


class VbankIn(BaseModel):
    """Issue a virtual account at ``bank_code`` (KFTC code), due by ``due`` (default: 3 days)."""

    model_config = ConfigDict(extra="forbid")

    bank_code: BankCode
    due: datetime | None = Field(default=None, description="ISO 8601 with a time zone.")
    pg: Annotated[str, Field(pattern=r"^[a-z0-9_]+(\.[A-Za-z0-9_-]+)?$", max_length=40)] | None = (
        None
    )


class VbankIssued(BaseModel):
    """The account to pay into, and the order now holding its stock."""

    imp_uid: str
    payment: PaymentOut
    order: OrderDetail


class BankOut(BaseModel):
    code: str
    name: str


@router.post(
    "/api/orders/{order_id}/vbank",
    status_code=201,
    response_model=VbankIssued,
    dependencies=[WRITE],
    responses=AUTH_RESPONSES,
)
async def issue_vbank(
    order_id: Id, body: VbankIn, services: ServicesDep, idem: IdempotentDep
) -> Any:
    """Issue a virtual account for the order by REST (no payment window) and hold its stock.

    Refused (409) when the order cannot be paid now — sold out, already being
    paid, expired — with `rule` naming why; nothing stays issued then.
    """
    if body.due is not None and body.due.tzinfo is None:
        raise Problem(422, "Invalid request", "`due` needs a time zone.")

    async def action() -> Answer:
        ask = IssueAsk(body.bank_code, body.due, body.pg)
        with _refusals():
            imp_uid = await answered(services.vbanks.issue(order_id, ask))
        await services.try_now(f"{VBANK_NOTIFY}:{imp_uid}", INLINE_SECONDS)
        payment = await services.lookups.payment(imp_uid)
        view = await services.lookups.order(order_id=order_id)
        issued = VbankIssued(imp_uid=imp_uid, payment=PaymentOut.of(payment),
                             order=OrderDetail.of_view(view))  # fmt: skip
        return Answer(201, issued.model_dump(mode="json"))

    return await idem.once(body.model_dump(mode="json"), action,
                           location=lambda made: f"/api/payments/{made['imp_uid']}")  # fmt: skip


@router.delete(
    "/api/vbanks/{imp_uid}",
    response_model=PaymentOut,
    dependencies=[WRITE],
    responses=AUTH_RESPONSES,
)
async def delete_vbank(imp_uid: ImpUid, services: ServicesDep, idem: IdempotentDep) -> Any:
    """Delete (revoke at i'mport) an unpaid virtual account; the stock it held is released."""

    async def action() -> Answer:
        with _refusals():
            record = await answered(services.vbanks.revoke(imp_uid))
        return Answer(200, PaymentOut.of(record).model_dump(mode="json"))

    return await idem.once({"imp_uid": imp_uid}, action)


@router.get(
    "/api/banks/{code}", response_model=BankOut, dependencies=[READ], responses=AUTH_RESPONSES
)
async def bank(
    code: Annotated[str, Path(pattern=r"^[0-9A-Za-z]{2,4}$")], services: ServicesDep
) -> BankOut:
    """A bank's name from its code (i'mport's KFTC table, read once per process)."""
    name = await services.vbanks.bank_name(code)
    if name is None:
        raise Problem(404, "Not found", f"No bank with code {code} (or the table is unavailable).")
    return BankOut(code=code, name=name)


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except VbankRefused as refused:
        raise Problem(refused.status, "Virtual account refused", refused.message,
                      rule=refused.rule) from refused  # fmt: skip
    except VbankUnavailable as trouble:
        raise Problem(503, "i'mport unavailable", f"{trouble} Try again.",
                      headers={"Retry-After": "5"}) from trouble  # fmt: skip
