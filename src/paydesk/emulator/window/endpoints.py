"""The payment window and the drop-in ``/v1/iamport.js`` (reference §7).

A merchant page loads ``/v1/iamport.js`` from the emulator; ``request_pay``
posts its parameters here and the emulated PG window runs on the emulator's
origin (modal iframe, popup, or full-page redirect).  The result goes back to
the page by ``postMessage`` (``window.js``) or as a 302 to ``m_redirect_url``.
Endpoints only: the checks are in ``session``, the outcomes in ``methods``,
the pages in ``pages``.  Each endpoint reads the ``WindowDesk``
(``app.state.window_desk``) and the templates (``app.state.templates``).

Webhook ordering meets the browser here: under ``before_redirect`` the
browser is sent back after the first delivery attempt; under
``after_redirect`` the held webhooks are released once the browser was sent
back (a background task after the 302, or the SDK's ``/returned`` beacon).
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from .certification import cancel_certification, certify, open_certification
from .methods import cancel, submit
from .pages import WindowPages
from .reply import Failure, pay_rsp, redirect_target
from .session import Mode, WindowDesk, WindowSession, admit

__all__ = ["routes"]

_CORS = {"Access-Control-Allow-Origin": "*"}
_MODES: tuple[Mode, ...] = ("modal", "popup", "redirect")
_STATIC = StaticFiles(packages=[("paydesk.emulator", "static")])


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.multi_items() if isinstance(v, str)}


def _params(form: dict[str, str]) -> dict[str, Any]:
    try:
        data = json.loads(form.get("params") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _mode(form: dict[str, str]) -> Mode:
    mode = form.get("mode")
    return mode if mode in _MODES else "modal"


def _origin(request: Request, form: dict[str, str]) -> str:
    return form.get("origin") or request.headers.get("origin") or "*"


def _desk(request: Request) -> WindowDesk:
    desk: WindowDesk = request.app.state.window_desk
    return desk


def _pages(request: Request) -> WindowPages:
    return WindowPages(request.app.state.templates)


def _find(request: Request) -> WindowSession | None:
    return _desk(request).find(request.path_params["sid"])


async def sdk(request: Request) -> Response:
    path = _STATIC.lookup_path("iamport.js")[0]
    return FileResponse(
        path,
        media_type="application/javascript; charset=utf-8",
        headers={**_CORS, "Cache-Control": "no-cache"},
    )


def _refused(request: Request, form: dict[str, str], rsp: dict[str, Any]) -> Response:
    params, mode = _params(form), _mode(form)
    if mode == "redirect" and params.get("m_redirect_url"):
        flag = "success" if request.url.path.endswith("certification") else "imp_success"
        return RedirectResponse(redirect_target(str(params["m_redirect_url"]), rsp, flag), 302)
    fake = SimpleNamespace(sid="", opener_origin=_origin(request, form), mode=mode)
    return _pages(request).templates.render(
        "window/result.html",
        root=request.scope.get("root_path", ""),
        session=fake,
        stage="result",
        pg_label="paydesk",
        cancel_url=None,
        rsp=rsp,
        done_label="",
    )


async def precheck(request: Request) -> Response:
    form = await _form(request)
    params = _params(form)
    gateway = _desk(request).gateway
    admitted = admit(gateway, form.get("imp_code", ""), form.get("tier"), params)
    if not isinstance(admitted, Failure):
        return JSONResponse({"ok": True}, headers=_CORS)
    rsp = pay_rsp(None, merchant_uid=str(params.get("merchant_uid")), failure=admitted)
    return JSONResponse({"ok": False, "rsp": rsp}, headers=_CORS)


async def open_pay(request: Request) -> Response:
    desk = _desk(request)
    form = await _form(request)
    params = _params(form)
    admitted = admit(desk.gateway, form.get("imp_code", ""), form.get("tier"), params)
    if isinstance(admitted, Failure):
        merchant_uid = str(params.get("merchant_uid") or "")
        return _refused(request, form, pay_rsp(None, merchant_uid=merchant_uid, failure=admitted))
    session = desk.open_payment(
        admitted,
        mode=_mode(form),
        opener_origin=_origin(request, form),
        user_agent=request.headers.get("user-agent"),
        sid=form.get("sid"),
    )
    payment = desk.payment(session)
    assert payment is not None
    desk.gateway.flush()
    return _pages(request).checkout(request, session, payment)


async def open_cert(request: Request) -> Response:
    form = await _form(request)
    params = _params(form)
    opened = open_certification(
        _desk(request),
        form.get("imp_code", ""),
        form.get("tier"),
        params,
        mode=_mode(form),
        opener_origin=_origin(request, form),
        sid=form.get("sid"),
    )
    if isinstance(opened, Failure):
        rsp = {
            "success": False,
            "imp_uid": None,
            "merchant_uid": params.get("merchant_uid"),
            "error_code": opened.code,
            "error_msg": opened.message,
        }
        return _refused(request, form, rsp)
    return _pages(request).certification(request, opened)


async def _conclude(request: Request, session: WindowSession, rsp: dict[str, Any]) -> Response:
    desk = _desk(request)
    desk.gateway.flush()
    merchant = desk.gateway.merchants.get(session.merchant.imp_code, session.merchant)
    order, imp_uid = merchant.delivery.order, session.imp_uid
    if imp_uid and session.kind == "pay" and order == "before_redirect":
        await desk.courier.settle(imp_uid)
    if session.mode == "redirect" and session.m_redirect_url:
        flag = "success" if session.kind == "certification" else "imp_success"
        later = BackgroundTask(desk.courier.release_later, imp_uid) if imp_uid else None
        target = redirect_target(session.m_redirect_url, rsp, flag)
        return RedirectResponse(target, status_code=302, background=later)
    if imp_uid and order != "after_redirect":
        desk.courier.release(imp_uid)
    return _pages(request).result(request, session, rsp)


async def show(request: Request) -> Response:
    session, pages = _find(request), _pages(request)
    if session is None:
        return pages.error(request, "결제창 세션이 만료되었습니다.", 404)
    if session.rsp is not None:
        return pages.result(request, session, session.rsp)
    if session.kind == "certification":
        return pages.certification(request, session)
    payment = _desk(request).payment(session)
    if payment is None:
        return pages.error(request, "결제정보를 찾을 수 없습니다.", 404)
    return pages.checkout(request, session, payment)


async def submit_pay(request: Request) -> Response:
    session, pages, desk = _find(request), _pages(request), _desk(request)
    if session is None or session.kind != "pay":
        return pages.error(request, "결제창 세션이 만료되었습니다.", 404)
    form = await _form(request)
    outcome = await submit(desk, session, form)
    if outcome.rsp is None:
        payment = desk.payment(session)
        assert payment is not None
        kept = {k: v for k, v in form.items() if k != "card_number"}
        return pages.checkout(request, session, payment, error=outcome.retry, form=kept)
    return await _conclude(request, session, outcome.rsp)


async def submit_cert(request: Request) -> Response:
    session, pages = _find(request), _pages(request)
    if session is None or session.kind != "certification":
        return pages.error(request, "본인인증 세션이 만료되었습니다.", 404)
    form = await _form(request)
    result = certify(_desk(request), session, form)
    if isinstance(result, str):
        return pages.certification(request, session, error=result, form=form)
    return await _conclude(request, session, result)


def _close(desk: WindowDesk, session: WindowSession) -> dict[str, Any]:
    return cancel(desk, session) if session.kind == "pay" else cancel_certification(session)


async def cancel_window(request: Request) -> Response:
    session = _find(request)
    if session is None:
        return _pages(request).error(request, "결제창 세션이 만료되었습니다.", 404)
    return await _conclude(request, session, _close(_desk(request), session))


async def abandon(request: Request) -> Response:
    """The SDK saw the popup closed by the buyer: end it and hand back ``rsp``."""
    session, desk = _find(request), _desk(request)
    if session is None:
        return JSONResponse({"error": "unknown window"}, status_code=404, headers=_CORS)
    rsp = _close(desk, session)
    desk.gateway.flush()
    if session.imp_uid:
        desk.courier.release(session.imp_uid)
    return JSONResponse(rsp, headers=_CORS)


async def returned(request: Request) -> Response:
    """The SDK's beacon: the merchant's callback ran, held webhooks may follow."""
    session, desk = _find(request), _desk(request)
    imp_uid = session.imp_uid if session else None
    later = BackgroundTask(desk.courier.release_later, imp_uid) if imp_uid else None
    return Response(status_code=204, headers=_CORS, background=later)


routes: list[BaseRoute] = [
    Route("/v1/iamport.js", sdk, methods=["GET"]),
    Route("/js/iamport.payment-{version}.js", sdk, methods=["GET"]),
    Mount("/window/static", app=_STATIC, name="window-static"),
    Route("/window/precheck", precheck, methods=["POST"]),
    Route("/window/pay", open_pay, methods=["POST"]),
    Route("/window/certification", open_cert, methods=["POST"]),
    Route("/window/{sid}", show, methods=["GET"]),
    Route("/window/{sid}/submit", submit_pay, methods=["POST"]),
    Route("/window/{sid}/certify", submit_cert, methods=["POST"]),
    Route("/window/{sid}/cancel", cancel_window, methods=["POST"]),
    Route("/window/{sid}/abandon", abandon, methods=["POST"]),
    Route("/window/{sid}/returned", returned, methods=["POST"]),
]
