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
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.routing import Match

from ..store.errors import OutOfRange

__all__ = [
    "PROBLEM_JSON",
    "PROBLEM_SCHEMA",
    "Problem",
    "install_problem_handlers",
    "problem_response",
    "problem_responses",
]

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

#: The JSON schema of a problem document, for the OpenAPI description.
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
}
_DESCRIPTIONS = {
    400: "Bad request.",
    401: "No API key, or not a valid one (`WWW-Authenticate: Bearer`).",
    403: "The API key lacks the scope this operation needs.",
    404: "Not found.",
    409: "Conflict with the current state.",
    413: "The request body is larger than this surface accepts.",
    422: "The request does not match the schema.",
    502: "i'mport could not be reached or refused.",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring problem documents for ``statuses``."""
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, _title(status)),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


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


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    response = problem_response(exc.status_code, _title(exc.status_code), _detail(exc))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(sorted(_methods_of(request)))
    return response


def _methods_of(request: Request) -> set[str]:
    """Every method some route takes at this path (Starlette names only the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return methods


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return problem_response(422, "Invalid request", "The request does not match the schema.",
                            errors=errors)  # fmt: skip


async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    """A value from the request the database cannot hold: the caller's mistake, never a 500.

    The bounds of the API's schemas catch most (ids past 64 bits); this catches
    what only the database knows, e.g. a NUL character in a query parameter,
    which PostgreSQL refuses in any text.
    """
    log.info("%s %s: a value out of the database's range: %s", request.method,
             request.url.path, exc)  # fmt: skip
    return problem_response(400, "Bad Request",
                            "A value in the request cannot be stored or searched for "
                            "(a NUL character, or a number out of range).")  # fmt: skip


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(500, "Internal Server Error")


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error of ``app`` through problem documents."""
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(OutOfRange, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _detail(exc: HTTPException) -> str | None:
    detail = exc.detail
    return None if detail == _title(exc.status_code) else str(detail)
