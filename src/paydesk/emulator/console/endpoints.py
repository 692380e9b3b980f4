"""The emulator console: the i'mport admin console a merchant would click through.

Server-rendered pages under ``/console``: payments (list and detail, with a
console cancel — which always sends a webhook with ``cancellation_id`` — a
vbank deposit and the late-approval scenario), the webhook log with resend,
and settings (webhook URL and content type, delivery policy, Confirm
Process, faults, clock).  Every action is a plain HTML form answered with a
303 back to the page and a notice, so it works without JavaScript.

Endpoints read the gateway, courier, fault book and templates from
``request.app.state``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..delivery.courier import Courier
from ..faults import FaultBook
from ..gateway import Gateway
from ..gateway.deposits import approve_late, deposit_into_vbank, find_any_payment, vbank_open
from ..gateway.errors import ApiFault
from ..gateway.merchants import DELIVERY_PRESETS, book_owner
from ..gateway.records import Payment
from ..gateway.refunds import cancel_payment
from ..gateway.scheduler import tick
from ..templating import Templates
from .forms import (
    cancel_request,
    fault_from_form,
    merchant_with_settings,
    optional_number,
    parse_moment,
)

__all__ = ["CONSOLE_PREFIX", "routes"]

CONSOLE_PREFIX = "/console"
Action = Callable[[Request, dict[str, str]], Awaitable[str]]


def _all_payments(gateway: Gateway, imp_code: str | None, status: str | None) -> list[Payment]:
    found = [
        payment
        for book, ledger in gateway.state.ledgers.items()
        if not imp_code or book_owner(book)[0] == imp_code  # with its sub-merchants' books
        for payment in ledger.payments.values()
        if not status or payment.status == status
    ]
    return sorted(found, key=lambda p: (p.started_at, p.imp_uid), reverse=True)


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _faults(request: Request) -> FaultBook:
    faults: FaultBook = request.app.state.faults
    return faults


def _page(request: Request, name: str, **context: Any) -> Response:
    templates: Templates = request.app.state.templates
    gateway = _gateway(request)
    return templates.render(
        f"console/{name}.html",
        root=request.scope.get("root_path", "") + CONSOLE_PREFIX,
        notice=request.query_params.get("notice"),
        failed=request.query_params.get("failed") == "1",
        merchants=list(gateway.merchants.values()),
        now=gateway.now(),
        **context,
    )


def _back(request: Request, path: str, notice: str, failed: bool = False) -> Response:
    query = urlencode({"notice": notice, **({"failed": "1"} if failed else {})})
    prefix = request.scope.get("root_path", "") + CONSOLE_PREFIX
    return RedirectResponse(f"{prefix}{path}?{query}", status_code=303)


def action(path: Callable[[Request], str], work: Action) -> Callable[[Request], Any]:
    """A form post: do ``work``, then 303 back to ``path`` with its notice (or failure)."""

    async def endpoint(request: Request) -> Response:
        form = {k: v for k, v in (await request.form()).multi_items() if isinstance(v, str)}
        try:
            notice = await work(request, form)
        except (ApiFault, ValueError) as exc:
            text = exc.message if isinstance(exc, ApiFault) else str(exc)
            return _back(request, path(request), text, failed=True)
        _gateway(request).flush()
        return _back(request, path(request), notice)

    return endpoint


# -- pages -------------------------------------------------------------------
async def home(request: Request) -> Response:
    return RedirectResponse(request.scope.get("root_path", "") + CONSOLE_PREFIX + "/payments", 303)


async def payments(request: Request) -> Response:
    imp_code = request.query_params.get("imp_code") or None
    status = request.query_params.get("status") or None
    listed = _all_payments(_gateway(request), imp_code, status)
    return _page(request, "payments", payments=listed, imp_code=imp_code, status_filter=status)


async def payment_detail(request: Request) -> Response:
    gateway = _gateway(request)
    try:
        payment = find_any_payment(gateway, request.path_params["imp_uid"])
    except ApiFault as fault:
        return _page(request, "missing", message=fault.message)
    hooks = [w for w in gateway.state.webhooks if w.payload.get("imp_uid") == payment.imp_uid]
    confirms = [c for c in gateway.state.confirms if c.request.get("imp_uid") == payment.imp_uid]
    return _page(
        request,
        "payment",
        payment=payment,
        wire=payment.wire(),
        webhooks=hooks,
        confirms=confirms,
        vbank_open=vbank_open(payment, gateway.now()),
    )


async def webhooks(request: Request) -> Response:
    state = _gateway(request).state
    return _page(
        request,
        "webhooks",
        webhooks=list(reversed(state.webhooks)),
        confirms=list(reversed(state.confirms)),
    )


async def settings(request: Request) -> Response:
    clock = _gateway(request).clock.describe()
    return _page(
        request,
        "settings",
        faults=_faults(request).faults,
        clock=clock,
        presets=list(DELIVERY_PRESETS),
    )


# -- actions -------------------------------------------------------------------
def _payment_path(request: Request) -> str:
    return f"/payments/{request.path_params['imp_uid']}"


def _webhook_back(request: Request) -> str:
    return request.query_params.get("back") or "/webhooks"


def _to_settings(request: Request) -> str:
    return "/settings"


async def cancel(request: Request, form: dict[str, str]) -> str:
    gateway = _gateway(request)
    payment = find_any_payment(gateway, request.path_params["imp_uid"])
    cancel_payment(gateway, payment, cancel_request(form), source="console")
    return f"취소되었습니다. (취소 누적 {payment.cancel_amount})"


async def deposit(request: Request, form: dict[str, str]) -> str:
    amount = optional_number(form, "amount")
    payment = deposit_into_vbank(
        _gateway(request),
        request.path_params["imp_uid"],
        amount=amount,
        depositor_name=form.get("depositor_name") or None,
    )
    return f"입금되었습니다. ({payment.status})"


async def late_paid(request: Request, form: dict[str, str]) -> str:
    gateway = _gateway(request)
    approve_late(gateway, find_any_payment(gateway, request.path_params["imp_uid"]))
    return "뒤늦은 승인: paid 로 바뀌고 웹훅이 발송됩니다."


async def resend(request: Request, form: dict[str, str]) -> str:
    courier: Courier = request.app.state.courier
    record = await courier.resend(request.path_params["webhook_id"])
    last = record.attempts[-1]
    return f"재발송: {last.status or last.error}"


async def save_settings(request: Request, form: dict[str, str]) -> str:
    gateway = _gateway(request)
    code = request.path_params["imp_code"]
    merchant = gateway.merchants.get(code)
    if merchant is None:
        raise ValueError(f"존재하지 않는 가맹점입니다. ({code})")
    gateway.merchants[code] = merchant_with_settings(merchant, form)
    return f"{code} 설정을 저장했습니다."


async def add_fault(request: Request, form: dict[str, str]) -> str:
    return f"장애 규칙 {_faults(request).add(fault_from_form(form)).id} 추가"


async def remove_fault(request: Request, form: dict[str, str]) -> str:
    _faults(request).remove(request.path_params["fault_id"])
    return "장애 규칙을 지웠습니다."


async def clear_faults(request: Request, form: dict[str, str]) -> str:
    _faults(request).clear()
    return "장애 규칙을 모두 지웠습니다."


async def clock(request: Request, form: dict[str, str]) -> str:
    gateway = _gateway(request)
    what = request.path_params["op"]
    if what == "advance":
        gateway.clock.advance(optional_number(form, "seconds") or 0)
    elif what == "set":
        gateway.clock.set(parse_moment(form.get("at", "")), freeze=form.get("freeze") == "on")
    elif what == "reset":
        gateway.clock.reset()
    else:
        raise ValueError(f"알 수 없는 시계 조작입니다. ({what})")
    tick(gateway)
    return f"시계: {gateway.now()}"


_ROOT = CONSOLE_PREFIX
routes: list[BaseRoute] = [
    Route(_ROOT, home, methods=["GET"]),
    Route(_ROOT + "/payments", payments, methods=["GET"]),
    Route(_ROOT + "/payments/{imp_uid}", payment_detail, methods=["GET"]),
    Route(_ROOT + "/payments/{imp_uid}/cancel", action(_payment_path, cancel), methods=["POST"]),
    Route(_ROOT + "/payments/{imp_uid}/deposit", action(_payment_path, deposit), methods=["POST"]),
    Route(
        _ROOT + "/payments/{imp_uid}/late-paid", action(_payment_path, late_paid), methods=["POST"]
    ),
    Route(_ROOT + "/webhooks", webhooks, methods=["GET"]),
    Route(_ROOT + "/webhooks/{webhook_id}/resend", action(_webhook_back, resend), methods=["POST"]),
    Route(_ROOT + "/settings", settings, methods=["GET"]),
    Route(_ROOT + "/settings/{imp_code}", action(_to_settings, save_settings), methods=["POST"]),
    Route(_ROOT + "/faults", action(_to_settings, add_fault), methods=["POST"]),
    Route(_ROOT + "/faults/clear", action(_to_settings, clear_faults), methods=["POST"]),
    Route(
        _ROOT + "/faults/{fault_id}/delete", action(_to_settings, remove_fault), methods=["POST"]
    ),
    Route(_ROOT + "/clock/{op:str}", action(_to_settings, clock), methods=["POST"]),
]
