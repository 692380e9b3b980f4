"""``/api/payments``: payments as last verified, by any id a support desk is handed.

``GET /api/payments/{imp_uid}`` for one payment (with its refunds);
``GET /api/payments`` to search by status, pay method, creation date range or
by merchant_uid, approval number (``apply_num``) or PG transaction id
(``pg_tid``), a page at a time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from ...services.errors import NotOnRecord
from ...store.payment_book import PaymentQuery
from ..auth import AUTH_RESPONSES, READ
from ..deps import ServicesDep
from ..problems import Problem, problem_responses
from ..schemas import PaymentOut, PaymentPageOut, RefundOut
from .inputs import NO_NUL, IsoDateTime, Offset

__all__ = ["PaymentDetail", "router"]


class PaymentDetail(PaymentOut):
    """A payment with its refunds."""

    refunds: list[RefundOut]


router = APIRouter(prefix="/api/payments", tags=["payments"],
                   responses=AUTH_RESPONSES | problem_responses(400, 422))  # fmt: skip


@router.get("", response_model=PaymentPageOut, dependencies=[READ])
async def search_payments(
    services: ServicesDep,
    status: Annotated[str | None, Query(pattern="^(ready|paid|cancelled|failed)$")] = None,
    pay_method: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    merchant_uid: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
    apply_num: Annotated[str | None, Query(max_length=20, pattern=NO_NUL)] = None,
    pg_tid: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    since: Annotated[IsoDateTime | None, Query(description="Created at or after.")] = None,
    until: Annotated[IsoDateTime | None, Query(description="Created before.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Offset = 0,
) -> PaymentPageOut:
    """Payments matching every filter given, newest first."""
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise Problem(422, "Invalid request", f"`{name}` needs a time zone.")
    query = PaymentQuery(
        status=status, pay_method=pay_method, merchant_uid=merchant_uid,
        apply_num=apply_num, pg_tid=pg_tid, since=since, until=until,
        limit=limit, offset=offset,
    )  # fmt: skip
    return PaymentPageOut.of(await services.lookups.payments(query))


@router.get("/{imp_uid}", response_model=PaymentDetail, dependencies=[READ],
            responses=problem_responses(404))  # fmt: skip
async def get_payment(
    imp_uid: Annotated[str, Path(pattern=NO_NUL)], services: ServicesDep
) -> PaymentDetail:
    """One payment by imp_uid."""
    try:
        record = await services.lookups.payment(imp_uid)
    except NotOnRecord as exc:
        raise Problem(404, "Payment not found", f"No payment {imp_uid}.") from exc
    refunds = [RefundOut.of(r) for r in await services.lookups.refunds(imp_uid)]
    return PaymentDetail(**PaymentOut.of(record).model_dump(), refunds=refunds)
