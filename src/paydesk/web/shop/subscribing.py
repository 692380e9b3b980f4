"""Subscription signup: a billing key issued in the payment window, then the subscription.

1. ``POST /shop/subscriptions/window`` records a window issuance for the
   buyer's ``customer_uid`` and answers ``IMP.request_pay`` parameters with
   ``customer_uid`` and amount 0 (card registration only) on a PG that issues
   billing keys through its window.
2. The page reports the result to ``POST /shop/subscriptions``: the issuance
   is checked with i'mport (``BillingKeys.complete``), then the subscription
   starts and its first period is charged at once (``Subscriptions.subscribe``).
3. ``GET /shop/subscriptions/{id}`` shows it — only to the buyer it belongs to.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...services.errors import BillingRefused, NotOnRecord, TryLater
from ...store.billing import PlanRecord
from ..deps import ServicesDep, SettingsDep
from ..problems import Problem
from ..schemas import MAX_ID
from .buyer import buyer_id, customer_uid
from .guard import SHOP_WRITE
from .methods import PG_LABELS, SUBSCRIPTION_PGS
from .rendering import page
from .wording import won

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
INLINE_SECONDS = 8.0
_CHARGE_STATES = {
    "sending": "결제 중",
    "unknown": "확인 중",
    "scheduled": "예약됨",
    "paid": "결제 완료",
    "failed": "결제 실패",
    "void": "무효",
    "cancelled": "취소됨",
}
_SUB_STATES = {"active": "이용 중", "past_due": "결제 연체", "cancelled": "해지됨"}
PlanId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: PlanId
    pg: Annotated[str, Field(pattern=r"^[a-z0-9_]{2,20}$")] = SUBSCRIPTION_PGS[0]


class SubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: PlanId
    imp_uid: Annotated[str, Field(pattern=r"^imp_[0-9A-Za-z]{1,28}$")]


def _buyer(request: Request) -> str:
    buyer = buyer_id(request)
    if buyer is None:
        raise Problem(400, "No buyer", "페이지를 새로 고친 뒤 다시 시도해주세요.")
    return buyer


async def _plan(services: ServicesDep, plan_id: int) -> PlanRecord:
    try:
        plan = await services.subscriptions.plan(plan_id)
    except NotOnRecord as missing:
        raise Problem(404, "Unknown plan", "요금제를 찾을 수 없습니다.") from missing
    if not plan.active:
        raise Problem(409, "Plan closed", "지금은 가입할 수 없는 요금제입니다.")
    return plan


@router.get("/shop/subscribe", response_class=HTMLResponse)
async def signup_page(
    request: Request, services: ServicesDep, settings: SettingsDep
) -> HTMLResponse:
    """The plans, each with a button that registers a card and subscribes."""
    plans = [p for p in await services.subscriptions.plans() if p.active]
    return page(request, "subscribe.html", plans=[(p, won(p.price)) for p in plans],
                pgs=[(pg, PG_LABELS.get(pg, pg)) for pg in SUBSCRIPTION_PGS],
                iamport_js=settings.iamport_js())  # fmt: skip


@router.post("/shop/subscriptions/window", dependencies=[SHOP_WRITE])
async def open_window(
    request: Request, body: WindowIn, services: ServicesDep, settings: SettingsDep
) -> JSONResponse:
    """``IMP.request_pay`` parameters that register the buyer's card (amount 0)."""
    if body.pg not in SUBSCRIPTION_PGS:
        raise Problem(422, "Unknown PG", "이 PG로는 카드를 등록할 수 없습니다.")
    plan = await _plan(services, body.plan_id)
    issue = await services.billing_keys.start_window(customer_uid(_buyer(request)))
    request_pay = {
        "pg": body.pg, "pay_method": "card", "merchant_uid": issue.merchant_uid,
        "customer_uid": issue.customer_uid, "amount": 0, "name": f"{plan.name} 정기결제 카드 등록"[:40],
        "notice_url": settings.notice_url(),
    }  # fmt: skip
    return JSONResponse({"imp_code": settings.imp_code, "request_pay": request_pay},
                        status_code=201)  # fmt: skip


@router.post("/shop/subscriptions", dependencies=[SHOP_WRITE])
async def subscribe(request: Request, body: SubscribeIn, services: ServicesDep) -> JSONResponse:
    """The window's result, checked with i'mport; then the subscription, first period charged."""
    uid = customer_uid(_buyer(request))
    await _plan(services, body.plan_id)
    try:
        outcome, _ = await services.billing_keys.complete(uid, body.imp_uid)
        if outcome.split(":")[-1] != "issued":
            raise Problem(422, "Card not registered", "카드 등록이 완료되지 않았습니다.",
                          issuance=outcome.split(":")[-1])  # fmt: skip
        view, job_key = await services.subscriptions.subscribe(body.plan_id, uid)
    except BillingRefused as refused:
        raise Problem(refused.status, "Billing refused", "카드 등록 결과를 확인할 수 없습니다.",
                      rule=refused.rule) from None  # fmt: skip
    except TryLater:
        raise Problem(503, "i'mport unavailable", "잠시 후 다시 시도해주세요.",
                      headers={"Retry-After": "5"}) from None  # fmt: skip
    await services.try_now(job_key, INLINE_SECONDS)
    url = f"/shop/subscriptions/{view.record.id}"
    return JSONResponse({"subscription_url": url}, status_code=201)


@router.get("/shop/subscriptions/{subscription_id}", response_class=HTMLResponse)
async def subscription_page(
    request: Request,
    subscription_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    services: ServicesDep,
) -> HTMLResponse:
    """A subscription with its charges, for the buyer it belongs to (else 404)."""
    buyer = buyer_id(request)
    try:
        view = await services.subscriptions.view(subscription_id)
    except NotOnRecord:
        view = None
    if view is None or buyer is None or view.record.customer_uid != customer_uid(buyer):
        return page(request, "missing.html", 404, what="구독")
    try:
        key = await services.billing_keys.key(view.record.customer_uid)
    except NotOnRecord:
        key = None
    record, state = view.record, view.record.subscription
    charges = [{"period": c.period, "amount": won(c.amount),
                "state": _CHARGE_STATES.get(c.state.value, c.state.value),
                "state_code": c.state.value} for c in view.charges]  # fmt: skip
    return page(request, "subscription.html", id=record.id, plan=record.plan.name,
                amount=won(record.plan.price), status=state.status.value,
                status_label=_SUB_STATES.get(state.status.value, state.status.value),
                periods=state.period, next_charge=state.next_charge_at, charges=charges,
                card=key)  # fmt: skip
