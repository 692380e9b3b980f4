"""``GatewayLane``: i'mport's two callbacks, served outside FastAPI's stack, keep what the
stack gave them — a request id, the gateway's body limit, and never a 500 — on the real
merchant app over a real socket.
"""

from __future__ import annotations

import httpx
import pytest

from paydesk.core.confirm_tokens import confirm_token
from paydesk.web.iamport.lane import GatewayLane, PaydeskApp
from tests.support.auth import TEST_SECRET_KEY
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


def _token(merchant_uid: str) -> str:
    return confirm_token(TEST_SECRET_KEY.encode(), merchant_uid)


#: (query, content type, body): what a confirm may come with, good and bad
_CALLS: list[tuple[str, str, bytes]] = [
    (f"token={_token('ord_1')}", "application/json",
     b'{"imp_uid": "imp_1", "merchant_uid": "ord_1", "amount": 1000}'),
    (f"token={_token('ord_2')}", "application/x-www-form-urlencoded",
     b"imp_uid=imp_2&merchant_uid=ord_2&status=ready"),
    (f"token={_token('ord_3')}", "multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="imp_uid"\r\n\r\nimp_3\r\n--x--\r\n'),
    (f"token={_token('ord_4')}&token={_token('ord_4')}", "application/json",
     b'{"imp_uid": "imp_4", "merchant_uid": "ord_4"}'),
    ("token=nope", "application/json", b'{"imp_uid": "imp_5", "merchant_uid": "ord_5"}'),
    ("", "application/json", b'{"imp_uid": "imp_6", "merchant_uid": "ord_6"}'),
    (f"token={_token('ord_7').replace('-', '%2D')}", "application/json",
     b'{"imp_uid": "imp_7", "merchant_uid": "ord_7"}'),
    (f"token={_token('ord_8')}", "application/json", b"[1, 2]"),
    (f"token={_token('ord_9')}", "application/json", b'{"imp_uid": "imp_9", "merchant_uid":'),
    (f"token={_token('ord_10')}", "application/json", b"[" * 100 + b"]" * 100),
    (f"token={_token('ord_11')}", "text/plain", b"imp_uid=imp_11&merchant_uid=ord_11"),
    (f"token={_token('ord_12')}", "application/json",
     b'{"imp_uid": "imp_12", "merchant_uid": "ord_12", "amount": "NaN"}'),
    ("token=" + _token("\u00e9"), "application/json",
     '{"imp_uid": "imp_13", "merchant_uid": "\u00e9"}'.encode()),
]  # fmt: skip


async def test_the_confirm_lane_answers_as_the_route_does(database_url: str) -> None:
    """``ConfirmLane`` reads the raw scope; FastAPI's route (the lane switched off) reads
    Starlette's request: the same calls get the same answers, byte for byte."""
    with merchant_app(database_url) as (url, app):
        assert isinstance(app, PaydeskApp)
        async with httpx.AsyncClient(base_url=url) as http:

            async def answers() -> list[tuple[int, bytes, str]]:
                found = []
                for query, content_type, body in _CALLS:
                    answer = await http.post(f"/iamport/confirm?{query}", content=body,
                                             headers={"content-type": content_type})  # fmt: skip
                    found.append((answer.status_code, answer.content,
                                  answer.headers["content-type"]))  # fmt: skip
                return found

            laned = await answers()
            lane, app.gateway_lane = app.gateway_lane, None
            routed = await answers()
            app.gateway_lane = lane
    assert laned == routed
    assert [status for status, _, _ in laned] == [404, 404, 400, 403, 403, 403, 404, 400, 400,
                                                  400, 400, 400, 404]  # fmt: skip


async def test_the_first_request_id_offered_is_the_one_kept(database_url: str) -> None:
    with merchant_app(database_url) as (url, _):
        async with httpx.AsyncClient(base_url=url) as http:
            answer = await http.post(
                "/iamport/confirm?token=x", json={"imp_uid": "i", "merchant_uid": "m"},
                headers=[("X-Request-ID", "first-1"), ("X-Request-ID", "second-2")],
            )  # fmt: skip
    assert answer.headers["x-request-id"] == "first-1"
