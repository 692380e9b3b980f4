"""The shop's orders: place one (``POST /shop/orders``), come back from the window, see it.

- ``POST /shop/orders`` (``SHOP_WRITE``: same origin, JSON, rate-limited)
  prices the order on the server, registers its amount with i'mport, and
  answers the ``IMP.request_pay`` parameters; the page then opens the window
  and reports the result to ``POST /iamport/complete`` (the callback).
- ``GET /shop/return`` is the order's ``m_redirect_url`` (mobile windows come
  back here): the payment is checked with i'mport, then the buyer is sent to
  the order page.
- ``GET /shop/orders/{merchant_uid}`` shows the order to whoever holds its
  unguessable merchant_uid: state, amount, method, the account to pay into
  (virtual accounts), a failed attempt's reason — never the buyer's details.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ...core.errors import AmountOutOfRange
from ...core.orders import UnknownProduct
from ...core.stock import Line
from ...services.errors import NotOnRecord, OrderNotFound, ProductNotFound, UnreadablePayment
from ...services.iamport_port import wire_amount
from ...services.identity import KST
from ...services.lookups import OrderView
from ...services.ordering import OrderRequest, PlacedOrder, RegistrationFailed
from ...services.refusals import Refused
from ...services.verification import Outcome
from ...settings import Settings
from ...store.ledger_records import PaymentRecord
from ..api.orders import Display, RequestPay, vbank_due
from ..confirm_guard import ConfirmGuard
from ..deps import ConfirmGuardDep, ServicesDep, SettingsDep
from ..problems import Problem
from ..schemas import MAX_ID
from .buyer import buyer_id, customer_ref
from .guard import SHOP_WRITE
from .methods import escrow_offered, resolve
from .rendering import page
from .wording import (
    ESCROW_STEPS,
    STATUS,
    age_refusal,
    attempt_failure,
    courier_label,
    escrow_progress,
    method_label,
    won,
)

__all__ = ["ShopOrderIn", "router"]

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)

MERCHANT_UID = r"^[A-Za-z0-9_-]{1,40}$"
IMP_UID = r"^[A-Za-z0-9_]{1,32}$"
Short = Annotated[str, Field(max_length=60, pattern=r"^[^\x00-\x1f]*$")]
#: States in which the order page keeps asking whether something changed.
WAITING = frozenset({"pending", "held", "unverified"})


class BuyerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Short | None = None
    email: Short | None = None
    tel: Annotated[str, Field(max_length=20, pattern=r"^[0-9+ -]*$")] | None = None


class ShopOrderIn(BaseModel):
    """One product, how many, and how the buyer pays."""

    model_config = ConfigDict(extra="forbid")

    product_id: Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]
    quantity: Annotated[int, Field(strict=True, ge=1, le=10)] = 1
    method: Annotated[str, Field(pattern=r"^[a-z_]{2,20}$")] = "card"
    pg: Annotated[str, Field(pattern=r"^[a-z0-9_]{2,20}$")] | None = None
    buyer: BuyerIn = Field(default_factory=BuyerIn)
    escrow: StrictBool = False  # 에스크로(구매안전) 결제


@router.post("/shop/orders", dependencies=[SHOP_WRITE])
async def place(
    request: Request,
    body: ShopOrderIn,
    services: ServicesDep,
    settings: SettingsDep,
    guard: ConfirmGuardDep,
) -> JSONResponse:
    """Place the order and answer what ``IMP.init`` and ``IMP.request_pay`` need."""
    chosen = resolve(body.method, body.pg)
    if chosen is None:
        raise Problem(422, "Unknown pay method", "이 결제수단은 제공하지 않습니다.")
    if body.escrow and not escrow_offered(body.method, body.pg):
        raise Problem(422, "Escrow not offered", "이 결제수단에는 에스크로(구매안전) 결제를 "
                      "제공하지 않습니다.", rule="escrow_not_offered")  # fmt: skip
    try:
        product = await services.catalog.get(body.product_id)
    except ProductNotFound as missing:
        raise Problem(404, "Unknown product", "상품을 찾을 수 없습니다.") from missing
    if not product.on_sale or product.stock.available < body.quantity:
        raise Problem(409, "Sold out", "품절되었습니다. 남은 재고가 없습니다.", rule="sold_out")
    pay_method, pg = chosen
    buyer = {k: v for k, v in body.buyer.model_dump().items() if v}
    buyer_ref = buyer_id(request)
    order = OrderRequest([Line(body.product_id, body.quantity)], buyer, pay_method, pg,
                         customer_ref(buyer_ref) if buyer_ref else None, body.escrow)  # fmt: skip
    due = vbank_due(services.vbanks, pay_method, None)
    placed = await _placed(services.orders.place(order))
    pay = _request_pay(placed, order, settings, guard, due)
    return JSONResponse(
        {"merchant_uid": placed.merchant_uid, "order_url": f"/shop/orders/{placed.merchant_uid}",
         "imp_code": settings.imp_code, "request_pay": pay.wire()},
        status_code=201,
    )  # fmt: skip


async def _placed(placing: Any) -> PlacedOrder:
    try:
        placed: PlacedOrder = await placing
    except UnknownProduct as exc:
        raise Problem(404, "Unknown product", "상품을 찾을 수 없습니다.") from exc
    except AmountOutOfRange as exc:
        raise Problem(
            422, "Order amount out of range", "주문 금액이 허용 범위를 벗어났습니다."
        ) from exc
    except Refused as exc:
        words = age_refusal(exc.rule) or exc.message
        raise Problem(exc.status, "Order refused", words, rule=exc.rule) from exc
    except RegistrationFailed as exc:
        raise Problem(502, "Amount registration failed",
                      "결제 준비 중 문제가 생겼습니다. 잠시 후 다시 시도해주세요.") from exc  # fmt: skip
    return placed


def _request_pay(
    placed: PlacedOrder, order: OrderRequest, settings: Settings, guard: ConfirmGuard,
    due: str | None,
) -> RequestPay:  # fmt: skip
    base = settings.public_base_url.rstrip("/")
    buyer, taxes, quota = order.buyer, placed.taxes, placed.card_quota
    card = order.pay_method == "card"
    return RequestPay(
        pg=order.pg, pay_method=order.pay_method or "card", merchant_uid=placed.merchant_uid,
        name=placed.name, amount=wire_amount(placed.amount), currency=placed.amount.currency,
        buyer_name=buyer.get("name"), buyer_email=buyer.get("email"),
        buyer_tel=buyer.get("tel"), buyer_addr=None, buyer_postcode=None,
        confirm_url=guard.url_for(placed.merchant_uid), notice_url=settings.notice_url(),
        m_redirect_url=f"{base}/shop/return",
        tax_free=None if taxes.tax_free is None else wire_amount(taxes.tax_free),
        vat_amount=None if taxes.vat_amount is None else wire_amount(taxes.vat_amount),
        display=Display(card_quota=list(quota)) if card and quota is not None else None,
        app_scheme=settings.app_scheme, vbank_due=due, escrow=True if placed.escrow else None,
    )  # fmt: skip


@router.get("/shop/return", response_model=None)
async def came_back(
    request: Request,
    services: ServicesDep,
    imp_uid: Annotated[str | None, Query(pattern=IMP_UID)] = None,
    merchant_uid: Annotated[str | None, Query(pattern=MERCHANT_UID)] = None,
) -> RedirectResponse | HTMLResponse:
    """``m_redirect_url``: check the payment with i'mport, then show the order."""
    target = merchant_uid
    if imp_uid:
        try:
            checked = await services.verifier.result_arrived(imp_uid, merchant_uid)
        except OrderNotFound:
            return page(request, "missing.html", 404, what="주문")
        except UnreadablePayment:
            log.warning("payment %s: i'mport's answer could not be read", imp_uid)
            return page(request, "missing.html", 502, what="결제 결과")
        if checked.outcome is Outcome.SETTLED and checked.settled is not None:
            target = checked.settled.order.order.merchant_uid
    if not target:
        return page(request, "missing.html", 404, what="주문")
    return RedirectResponse(f"/shop/orders/{target}", status_code=303)


@router.get("/shop/orders/{merchant_uid}", response_class=HTMLResponse)
async def order_page(
    request: Request,
    merchant_uid: Annotated[str, Path(pattern=MERCHANT_UID)],
    services: ServicesDep,
) -> HTMLResponse:
    """The order as the buyer sees it (state, amount, method; the account to pay into)."""
    try:
        view = await services.lookups.order(merchant_uid=merchant_uid)
    except NotOnRecord:
        return page(request, "missing.html", 404, what="주문")
    return page(request, "order.html", **_order_context(view))


@router.get("/shop/orders/{merchant_uid}/status")
async def order_status(
    merchant_uid: Annotated[str, Path(pattern=MERCHANT_UID)], services: ServicesDep
) -> JSONResponse:
    """Just the state (the order page polls it while waiting)."""
    try:
        view = await services.lookups.order(merchant_uid=merchant_uid)
    except NotOnRecord as missing:
        raise Problem(404, "Order not found") from missing
    return JSONResponse({"status": view.record.order.status.value},
                        headers={"Cache-Control": "no-store"})  # fmt: skip


def _attempt(view: OrderView) -> PaymentRecord | None:
    """The attempt the order follows, else the latest one."""
    order = view.record.order
    followed = [p for p in view.payments if p.imp_uid == order.imp_uid]
    if followed:
        return followed[0]
    return max(view.payments, key=lambda p: p.created_at, default=None)


def _order_context(view: OrderView) -> dict[str, Any]:
    record, order = view.record, view.record.order
    status = order.status.value
    attempt = _attempt(view)
    context: dict[str, Any] = {
        "merchant_uid": order.merchant_uid, "name": record.name, "status": status,
        "status_label": STATUS.get(status, status), "amount": won(order.amount),
        "method": method_label(record.pay_method, record.pg), "waiting": status in WAITING,
        "attempts": len(view.payments), "failure": None, "vbank": None, "card": None,
        "escrow": order.escrow, "delivery": None,
    }  # fmt: skip
    if order.escrow and (view.escrow is not None or status == "paid"):
        context["delivery"] = _delivery(view)
    if attempt is None:
        return context
    if status == "failed":
        context["failure"] = attempt_failure(attempt.fail_reason)
    if attempt.vbank is not None and attempt.status == "ready":
        account = attempt.vbank
        context["vbank"] = {"bank": account.bank_name or account.bank_code,
                            "number": account.number, "holder": account.holder or "-",
                            "due": _kst(account.due)}  # fmt: skip
    if attempt.card is not None and attempt.status == "paid":
        quota = attempt.card.quota or 0
        context["card"] = {"name": attempt.card.name or "-",
                           "quota": "일시불" if quota == 0 else f"{quota}개월 할부",
                           "approval": attempt.apply_num or "-"}  # fmt: skip
    return context


def _delivery(view: OrderView) -> dict[str, Any]:
    """An escrow order's delivery as the buyer follows it: the steps, the courier and the
    invoice number; never the sender's or receiver's name, phone or address."""
    escrow = view.escrow
    progress = escrow_progress(escrow.status if escrow else None)
    shipment = escrow.shipment if escrow else None
    return {
        "steps": [{"label": label, "done": i <= progress.step, "current": i == progress.step}
                  for i, label in enumerate(ESCROW_STEPS)],
        "label": progress.label, "detail": progress.detail,
        "status": escrow.status if escrow else "preparing",
        "courier": courier_label(shipment.company) if shipment else None,
        "invoice": shipment.invoice if shipment else None,
        "sent": _kst(shipment.sent_at) if shipment else None,
    }  # fmt: skip


def _kst(moment: datetime | None) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d %H:%M") if moment else "-"
