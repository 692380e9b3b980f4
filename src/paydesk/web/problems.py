"""Errors of our API as problem details (RFC 9457, ``application/problem+json``).

Every error answer of ``/api`` has the same shape — ``type``, ``title``,
``status``, ``detail`` and, for invalid input, ``errors`` — including the
framework's own 404/405 and validation errors, which would otherwise use
FastAPI's ad-hoc bodies.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

__all__ = ["PROBLEM_JSON", "Problem", "install_problem_handlers", "problem_response"]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


class Problem(Exception):
    """Raise to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(
    status: int, title: str, detail: str | None = None, **extra: Any
) -> JSONResponse:
    """A problem document with ``type`` left at ``about:blank`` (the status says it all)."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


async def _problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    response = problem_response(exc.status, exc.title, exc.detail, **exc.extra)
    response.headers.update(exc.headers)
    return response


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem_response(exc.status_code, _title(exc.status_code), _detail(exc))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return problem_response(422, "Invalid request", "The request does not match the schema.",
                            errors=errors)  # fmt: skip


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "Internal Server Error")


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through problem documents."""
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(Exception, _unexpected)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _detail(exc: HTTPException) -> str | None:
    detail = exc.detail
    return None if detail == _title(exc.status_code) else str(detail)
