"""``GatewayLane``: i'mport's two callbacks, served outside FastAPI's stack, keep what the
stack gave them — a request id, the gateway's body limit, and never a 500 — on the real
merchant app over a real socket.
"""

from __future__ import annotations

import httpx
import pytest

from paydesk.web.iamport.lane import GatewayLane, PaydeskApp
from tests.support.raw_http import post_streaming

from .shop import merchant_app

pytestmark = pytest.mark.asyncio

LIMIT = 4096


async def test_the_app_serves_both_callbacks_through_the_lane(database_url: str) -> None:
    with merchant_app(database_url) as (_, app):
        assert isinstance(app, PaydeskApp) and isinstance(app.gateway_lane, GatewayLane)
        assert app.gateway_lane.get("/iamport/confirm") is not None
        assert app.gateway_lane.get("/iamport/webhook") is not None
        assert app.gateway_lane.get("/iamport/complete") is None  # a page, through the stack


@pytest.mark.parametrize("path", ["/iamport/confirm?token=x", "/iamport/webhook"])
async def test_each_callback_echoes_a_safe_request_id_or_makes_one(
    database_url: str, path: str
) -> None:
    body = {"imp_uid": "imp_1", "merchant_uid": "nope"}
    with merchant_app(database_url) as (url, _):
        async with httpx.AsyncClient(base_url=url) as http:
            kept = await http.post(path, json=body, headers={"X-Request-ID": "caller-7"})
            made = [await http.post(path, json=body, headers={"X-Request-ID": "<x>"})
                    for _ in range(2)]  # fmt: skip
    assert kept.headers["x-request-id"] == "caller-7"
    ids = [answer.headers["x-request-id"] for answer in made]
    assert all(len(i) == 32 for i in ids) and ids[0] != ids[1]
    assert all(a.status_code < 500 for a in (kept, *made))


@pytest.mark.parametrize("chunked", [False, True])
async def test_a_body_over_the_gateway_limit_is_refused_413_in_each_shape(
    database_url: str, chunked: bool
) -> None:
    with merchant_app(database_url, max_body_bytes_gateway=LIMIT, webhook_allowed_ips=[]) as (
        url,
        _,
    ):
        confirm = post_streaming(f"{url}/iamport/confirm?token=x", LIMIT + 1, chunked=chunked,
                                 chunk=LIMIT // 2)  # fmt: skip
        webhook = post_streaming(f"{url}/iamport/webhook", LIMIT + 1, chunked=chunked,
                                 chunk=LIMIT // 2)  # fmt: skip
        fits = post_streaming(f"{url}/iamport/webhook", LIMIT, chunked=chunked, chunk=LIMIT // 2)
    assert confirm.status == 413 and b'"reason"' in confirm.body  # what i'mport shows the buyer
    assert webhook.status == 413 and b'"status": 413' in webhook.body  # a problem document
    assert fits.status == 400  # stored, but not a payment notification


async def test_an_endpoint_that_raises_gets_the_lanes_own_answer_not_a_500(
    database_url: str,
) -> None:
    """Both endpoints catch their own failures; should one raise anyway (here: the app's
    confirm guard is gone, which both read first), i'mport still gets an answer it knows."""
    with merchant_app(database_url) as (url, app):
        app.state.confirm_guard = None
        app.state.settings = None
        async with httpx.AsyncClient(base_url=url) as http:
            confirm = await http.post("/iamport/confirm?token=x", json={"imp_uid": "i"})
            webhook = await http.post("/iamport/webhook", json={"imp_uid": "i"})
    assert (confirm.status_code, confirm.json()) == (429, {"reason": "temporarily unavailable"})
    assert webhook.status_code == 503 and webhook.json()["status"] == 503
    assert confirm.headers["x-request-id"] and webhook.headers["x-request-id"]
