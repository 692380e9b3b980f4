"""An order in the admin console (``/admin/orders/{id}``): its header, its timeline, and what
a person may do about it — refund it, replay one of its webhooks.

The page reads ``backoffice.timeline`` (our books; nothing asks i'mport). The
refund form goes to ``refunds.ask`` exactly as the API's refunds do: the
service refuses over-balance amounts and the PG's rules before anything is
recorded or sent, and the refund is tried at once (then by the worker).

A double submit never refunds twice: each rendering of the form carries a
random ``form_key``; the submission runs under ``idempotency.once`` keyed by
it (a second submit while the first works is told so, one after it is
answered the first refund), and the refund's ``requested_by`` is derived
from it too, so even a take-over of a stale claim finds the refund made.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Coroutine
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from ...core.pg_rules import REFUND_TEL_PGS
from ...core.refund_lifecycle import OPEN
from ...services.errors import KeyInFlight, KeyReused, NotOnRecord, RefundRefused, TryLater
from ...services.idempotency import Answer
from ...services.refunds import RefundView
from ...services.timeline import TimelineEntry
from ..deps import ServicesDep
from .i18n import LABELS, Translator, code_labels, translator
from .refund_form import (
    FORM_KEY,
    RefundForm,
    new_form_key,
    read_account_form,
    read_refund_form,
    read_tel_form,
)
from .rendering import render, see_other
from .session import FormStaffDep, Staff, StaffDep

__all__ = ["router"]

log = logging.getLogger(__name__)
router = APIRouter()
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]
INLINE_SECONDS = 8.0
#: Pay methods whose refunds may go to an account the buyer names.
ACCOUNT_METHODS = ("vbank", "trans")
_OPEN = {state.value for state in OPEN}


def order_url(order_id: int) -> str:
    return f"/admin/orders/{order_id}"


@router.get("/orders/{order_id}")
async def order_page(
    request: Request, staff: StaffDep, services: ServicesDep, order_id: Id
) -> HTMLResponse:
    """The order's header, its timeline, and the forms that act on it."""
    return await _page(request, staff, services, order_id)


@router.post("/orders/{order_id}/refunds")
async def ask_refund(
    request: Request, staff: FormStaffDep, services: ServicesDep, order_id: Id
) -> Response:
    """Refund the order, fully or partly; back to the order with what became of it."""
    t = translator(staff.lang)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    key = form.get("form_key", "")
    try:
        timeline = await services.backoffice.timeline(order_id=order_id)
    except NotOnRecord:
        return _not_found(request, staff)
    read = read_refund_form(form, timeline.order.currency)
    if not FORM_KEY.fullmatch(key):
        read = RefundForm(read.values, None, ["refund.form_expired"])
    if read.ask is None:
        return await _page(request, staff, services, order_id, refund=read,
                           error=_joined(t, "refund.invalid", read.errors))  # fmt: skip
    scope = f"admin refund {order_id}"
    requested_by = "admin:" + hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()[:32]
    ask = replace(read.ask, requested_by=requested_by)

    async def action() -> Answer:
        view = await services.refunds.ask(order_id, ask)
        if view.job_key:
            await services.try_now(view.job_key, INLINE_SECONDS)
        refund = (await services.refunds.view(view.refund.id)).refund
        return Answer(201, {"id": refund.id, "state": refund.state,
                            "amount": refund.amount.amount})  # fmt: skip

    try:
        answer = await services.idempotency.once(scope, key, read.values, action)
    except RefundRefused as refused:
        return await _page(request, staff, services, order_id, refund=read,
                           error=_refusal(t, refused))  # fmt: skip
    except TryLater:
        return await _page(request, staff, services, order_id, refund=read,
                           error=t("refund.try_later"), status_code=503)  # fmt: skip
    except KeyInFlight:
        return see_other(request, order_url(order_id), t("refund.in_flight"), kind="error")
    except KeyReused:
        return await _page(request, staff, services, order_id, refund=read,
                           error=t("refund.form_reused"), status_code=409)  # fmt: skip
    made = answer.body
    state = t(f"refund.state.{made['state']}")
    if answer.replayed:
        flash = t("refund.again", id=made["id"], state=state)
    else:
        log.info("staff user %s asked refund %s of order %s", staff.username, made["id"],
                 order_id)  # fmt: skip
        flash = t("refund.done", id=made["id"], amount=f"{made['amount']:,}", state=state)
    kind = "error" if made["state"] == "failed" else "ok"
    return see_other(request, order_url(order_id) + "#timeline", flash, kind=kind)


@router.post("/orders/{order_id}/refunds/{refund_id}/account")
async def supply_account(
    request: Request, staff: FormStaffDep, services: ServicesDep, order_id: Id, refund_id: Id
) -> Response:
    """Give a refund waiting for a refund account (``needs_refund_account``) its account; it runs again."""
    t = translator(staff.lang)
    back = order_url(order_id) + "#timeline"
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    account, errors = read_account_form(form)
    if account is None:
        return see_other(request, back, _joined(t, "refund.invalid", errors), kind="error")
    giving = services.refunds.supply_account(refund_id, account, order_id=order_id)
    return await _supplied(request, staff, services, back, giving, "its account")


@router.post("/orders/{order_id}/refunds/{refund_id}/tel")
async def supply_tel(
    request: Request, staff: FormStaffDep, services: ServicesDep, order_id: Id, refund_id: Id
) -> Response:
    """Give a refund waiting for the holder's phone (``needs_refund_tel``) the phone; it runs
    again. The phone is never logged."""
    t = translator(staff.lang)
    back = order_url(order_id) + "#timeline"
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    tel, errors = read_tel_form(form)
    if tel is None:
        return see_other(request, back, _joined(t, "refund.invalid", errors), kind="error")
    giving = services.refunds.supply_tel(refund_id, tel, order_id=order_id)
    return await _supplied(request, staff, services, back, giving, "the holder's phone")


async def _supplied(
    request: Request,
    staff: Staff,
    services: ServicesDep,
    back: str,
    giving: Coroutine[Any, Any, RefundView],
    what: str,
) -> Response:
    """Give a waiting refund its input (``giving``), run it at once, and say where it
    stands; a refusal is said instead. ``what`` names the input in the log line."""
    t = translator(staff.lang)
    try:
        view = await giving
    except NotOnRecord:
        return see_other(request, back, t("refund.no_such_refund"), kind="error")
    except RefundRefused as refused:
        return see_other(request, back, _refusal(t, refused), kind="error")
    except TryLater:
        return see_other(request, back, t("refund.try_later"), kind="error")
    log.info("staff user %s gave refund %s %s", staff.username, view.refund.id, what)
    if view.job_key:
        await services.try_now(view.job_key, INLINE_SECONDS)
    refund = (await services.refunds.view(view.refund.id)).refund
    state = t(f"refund.state.{refund.state}")
    flash = t("refund.done", id=refund.id, amount=f"{refund.amount.amount:,}", state=state)
    return see_other(request, back, flash, kind="error" if refund.state == "failed" else "ok")


@router.post("/orders/{order_id}/webhooks/{inbox_id}/replay")
async def replay_webhook(
    request: Request, staff: FormStaffDep, services: ServicesDep, order_id: Id, inbox_id: Id
) -> Response:
    """Process one of the order's stored webhooks again; back to the order."""
    t = translator(staff.lang)
    try:
        timeline = await services.backoffice.timeline(order_id=order_id)
    except NotOnRecord:
        return _not_found(request, staff)
    ours = {e.detail.get("inbox_id") for e in timeline.entries if e.kind == "webhook"}
    if inbox_id not in ours:
        return see_other(request, order_url(order_id), t("order.no_webhook"), kind="error")
    replayed = await services.actions.replay_webhook(inbox_id)
    log.info("staff user %s replayed webhook %s: ok=%s", staff.username, inbox_id, replayed.ok)
    if replayed.ok:
        flash = t("order.replayed", inbox_id=inbox_id, outcome=replayed.outcome or "-")
        return see_other(request, order_url(order_id) + "#timeline", flash)
    flash = t("order.replay_failed", inbox_id=inbox_id, error=replayed.error or "-")
    return see_other(request, order_url(order_id) + "#timeline", flash, kind="error")


# -- the page ----------------------------------------------------------------------------


async def _page(
    request: Request, staff: Staff, services: Any, order_id: int, *,
    refund: RefundForm | None = None, error: str | None = None, status_code: int | None = None,
) -> HTMLResponse:  # fmt: skip
    try:
        timeline = await services.backoffice.timeline(order_id=order_id)
    except NotOnRecord:
        return _not_found(request, staff)
    order = timeline.order
    payment = _current_payment(order.imp_uid, timeline.entries)
    reserved = sum(e.detail["amount"] for e in timeline.entries
                   if e.kind == "refund" and e.detail["state"] in _OPEN)  # fmt: skip
    method = (payment or {}).get("pay_method") or order.pay_method
    context = {
        "order": order, "payment": payment, "entries": [_item(e) for e in timeline.entries],
        "remaining": max(0, order.paid_amount - order.refunded_amount - reserved),
        "refundable": order.status in ("paid", "partially_refunded"),
        "account_fields": method in ACCOUNT_METHODS, "method": method,
        "tel_field": (payment or {}).get("pg_provider") in REFUND_TEL_PGS,
        "form": refund.values if refund else {}, "form_key": new_form_key(),
        "refund_error": error, "code_label": code_labels(translator(staff.lang)),
    }  # fmt: skip
    code = status_code or (422 if error else 200)
    return render(request, staff, "admin/order.html", context, status_code=code)


def _current_payment(imp_uid: str | None, entries: list[TimelineEntry]) -> dict[str, Any] | None:
    """The details of the payment the order follows (its latest entry)."""
    found = [e.detail for e in entries if e.kind == "payment" and e.detail["imp_uid"] == imp_uid]
    return found[-1] if found else None


def _item(entry: TimelineEntry) -> dict[str, Any]:
    """An entry with its details as (name, text), the empty ones left out."""
    facts = [(name, _text(value)) for name, value in entry.detail.items()
             if value is not None and value != ""]  # fmt: skip
    return {"entry": entry, "facts": facts}


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _joined(t: Translator, heading: str, keys: list[str]) -> str:
    return f"{t(heading)}: " + " ".join(t(key) for key in keys)


def _refusal(t: Translator, refused: RefundRefused) -> str:
    key = f"refund.rule.{refused.rule}"
    reason = t(key) if key in LABELS else refused.rule
    return f"{t('refund.refused')}: {reason} ({refused.message})"


def _not_found(request: Request, staff: Staff) -> HTMLResponse:
    t = translator(staff.lang)
    context = {"heading": t("common.not_found"), "message": t("order.not_found"),
               "back": "/admin/payments"}  # fmt: skip
    return render(request, staff, "admin/problem.html", context, status_code=404)
