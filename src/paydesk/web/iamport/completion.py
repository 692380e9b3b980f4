"""``/iamport/complete``: where the buyer comes back after paying.

- ``POST`` (JSON or form) from the shop page's ``IMP.request_pay`` callback,
  answered with the order's state as JSON.
- ``GET`` as ``m_redirect_url`` (i'mport redirects mobile windows here with
  ``imp_uid``, ``merchant_uid``, ``imp_success``…), answered with a small
  result page.

What the browser says is not believed: the payment is checked with i'mport
exactly as a webhook is (``Verifier.result_arrived``), so the two can arrive
in either order, or both, and the order ends up the same.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from ...services.container import Services
from ...services.errors import NotOnRecord, OrderNotFound
from ...services.lookups import Lookups
from ...services.verification import Outcome
from ...store import OrderRecord
from ..deps import ServicesDep
from ..problems import Problem
from ..schemas import OrderOut
from .webhooks import read_notification

__all__ = ["CompletionOut", "router"]

IMP_UID_MAX = 32

_HEADLINES = {
    "paid": "결제가 완료되었습니다.",
    "failed": "결제가 완료되지 않았습니다.",
    "cancelled": "주문이 취소되었습니다.",
    "flagged": "결제를 처리할 수 없어 자동으로 환불됩니다.",
    "refunded": "환불되었습니다.",
    "partially_refunded": "결제가 완료되었습니다. (부분 환불)",
}
_PENDING = "결제를 확인하고 있습니다. 잠시 후 주문 내역을 확인해주세요."


class CompletionOut(BaseModel):
    """The order after the result was checked with i'mport."""

    verification: str = Field(
        description="settled (checked with i'mport), unverified (i'mport unreachable: "
        "checked again later), unknown_payment, or none (no imp_uid was given)"
    )
    order: OrderOut


@dataclass(frozen=True)
class _Completed:
    verification: str
    order: OrderRecord


router = APIRouter(tags=["i'mport"])


async def _complete(
    services: Services, imp_uid: str | None, merchant_uid: str | None
) -> _Completed:
    verifier, lookups = services.verifier, services.lookups
    if imp_uid and len(imp_uid) > IMP_UID_MAX:
        raise Problem(400, "Bad Request", "That is not an imp_uid.")
    if not imp_uid:
        return _Completed("none", await _order(lookups, merchant_uid))
    try:
        checked = await verifier.result_arrived(imp_uid, merchant_uid)
    except OrderNotFound as missing:
        raise Problem(404, "Order not found", f"No order {missing}.") from missing
    if checked.outcome is Outcome.SETTLED and checked.settled is not None:
        order = checked.settled.order
        if merchant_uid and order.order.merchant_uid != merchant_uid:
            raise Problem(409, "Payment of another order",
                          f"{imp_uid} does not pay order {merchant_uid}.")  # fmt: skip
        return _Completed(checked.outcome.value, order)
    return _Completed(checked.outcome.value, await _order(lookups, merchant_uid))


@router.post("/iamport/complete", response_model=CompletionOut)
async def complete_callback(request: Request, services: ServicesDep) -> CompletionOut:
    """The JS callback's result (``imp_uid``, ``merchant_uid``), checked with i'mport."""
    fields = read_notification(request.headers.get("content-type", ""), await request.body())
    done = await _complete(services, fields.get("imp_uid"), fields.get("merchant_uid"))
    return CompletionOut(verification=done.verification, order=OrderOut.of(done.order))


@router.get("/iamport/complete", response_class=HTMLResponse)
async def complete_redirect(
    services: ServicesDep, imp_uid: str | None = None, merchant_uid: str | None = None
) -> HTMLResponse:
    """``m_redirect_url``: the result page after a redirect-style window."""
    done = await _complete(services, imp_uid, merchant_uid)
    return HTMLResponse(_page(done.order))


async def _order(lookups: Lookups, merchant_uid: str | None) -> OrderRecord:
    if not merchant_uid:
        raise Problem(400, "Bad Request", "Give imp_uid or merchant_uid.")
    try:
        return (await lookups.order(merchant_uid=merchant_uid)).record
    except NotOnRecord as missing:
        raise Problem(404, "Order not found", f"No order {merchant_uid}.") from missing


def _page(record: OrderRecord) -> str:
    order = record.order
    headline = _HEADLINES.get(order.status.value, _PENDING)
    rows = {
        "주문번호": order.merchant_uid,
        "상품": record.name,
        "금액": f"{order.amount}",
        "상태": order.status.value,
    }
    cells = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows.items()
    )
    return (
        '<!doctype html><html lang="ko"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(headline)}</title></head><body>"
        f'<h1 id="result" data-status="{html.escape(order.status.value)}">'
        f"{html.escape(headline)}</h1><table>{cells}</table></body></html>"
    )
