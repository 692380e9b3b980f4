"""Request ids: echoed by the server, and sent on to i'mport by the client ``bootstrap`` builds.

i'mport here is a small recording app on a real socket (the emulator keeps no
request headers): it answers getToken and a lookup, and notes the
``X-Request-ID`` of each request it got.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from paydesk.bootstrap import build_iamport
from paydesk.iamport.errors import IamportError
from paydesk.iamport.http11 import AsyncHTTP11Transport
from paydesk.logs import request_scope
from paydesk.settings import Settings
from tests.support.servers import serve

from .shop import merchant_app

pytestmark = pytest.mark.asyncio


def recording_iamport(seen: list[tuple[str, str | None]]) -> Starlette:
    async def token(request: Request) -> JSONResponse:
        seen.append((request.url.path, request.headers.get("x-request-id")))
        now = int(time.time())
        answer = {"access_token": "t0ken", "now": now, "expired_at": now + 1800}
        return JSONResponse({"code": 0, "message": None, "response": answer})

    async def payment(request: Request) -> JSONResponse:
        seen.append((request.url.path, request.headers.get("x-request-id")))
        return JSONResponse(
            {"code": 1, "message": "존재하지 않는 결제정보입니다.", "response": None}
        )

    return Starlette(routes=[Route("/users/getToken", token, methods=["POST"]),
                             Route("/payments/{imp_uid}", payment)])  # fmt: skip


async def test_calls_to_iamport_carry_the_request_id() -> None:
    seen: list[tuple[str, str | None]] = []
    with serve(recording_iamport(seen)) as url:
        settings = Settings(iamport_base_url=url, iamport_key="k", iamport_secret="s")
        client = build_iamport(settings)
        try:
            with request_scope("req-abc.1"), pytest.raises(IamportError):
                await client.payment("imp_000000000001")
            with pytest.raises(IamportError):
                await client.payment("imp_000000000002")  # outside any request
        finally:
            await client.aclose()
    assert seen == [
        ("/users/getToken", "req-abc.1"),
        ("/payments/imp_000000000001", "req-abc.1"),
        ("/payments/imp_000000000002", None),
    ]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ({"X-Request-ID": "caller-id_1:2.3"}, True),
        ({"X-Request-ID": "x" * 65}, False),  # too long
        ({"X-Request-ID": "<script>"}, False),
        ({"X-Request-ID": "a b"}, False),
        ({}, False),
    ],
)
async def test_the_server_echoes_a_safe_id_or_makes_one(
    database_url: str, sent: dict[str, Any], kept: bool
) -> None:
    with merchant_app(database_url) as (url, _):
        async with httpx.AsyncClient(base_url=url) as http:
            answers = [await http.get("/openapi.json", headers=sent) for _ in range(2)]
            refused = await http.get("/api/orders", headers=sent)  # 401, still with an id
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert refused.status_code == 401 and refused.headers["x-request-id"]
    if kept:
        assert ids == [sent["X-Request-ID"]] * 2
    else:
        assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids) and ids[0] != ids[1]


async def test_the_server_sends_to_iamport_through_paydesks_transport_unless_proxied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``build_iamport`` wraps ``AsyncHTTP11Transport`` (the test above runs through it),
    or httpx's own transport when the environment names a proxy."""
    settings = Settings(iamport_base_url="http://127.0.0.1:9", iamport_key="k", iamport_secret="s")
    for proxy, expected in (
        (None, AsyncHTTP11Transport),
        ("http://proxy:3128", httpx.AsyncHTTPTransport),
    ):
        if proxy is not None:
            monkeypatch.setenv("HTTPS_PROXY", proxy)
        client = build_iamport(settings)
        try:
            assert type(client._http._transport._inner) is expected  # type: ignore[attr-defined]
        finally:
            await client.aclose()
