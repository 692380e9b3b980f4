"""``BodyLimit`` on a real socket: oversized bodies get 413 before they are read.

The app behind the middleware records how many body bytes it was ever handed,
so each test can show the oversized body never reached it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from paydesk.web.limits import BodyLimit, Surface
from tests.support.raw_http import post_streaming
from tests.support.servers import serve

LIMIT = 64 * 1024


class Recorder:
    def __init__(self) -> None:
        self.bodies: list[int] = []

    async def echo(self, request: Request) -> JSONResponse:
        try:
            body = await request.body()
        except Exception:  # an app that swallows the middleware's signal still loses its answer
            return JSONResponse({"swallowed": True}, status_code=400)
        self.bodies.append(len(body))
        return JSONResponse({"size": len(body)})


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def url(recorder: Recorder) -> Iterator[str]:
    routes = [Route(path, recorder.echo, methods=["POST"])
              for path in ("/iamport/webhook", "/iamport/confirm", "/api/orders")]  # fmt: skip
    surfaces = [Surface("/iamport", LIMIT), Surface("/iamport/confirm", LIMIT, reason_shape=True),
                Surface("/api", 4 * LIMIT)]  # fmt: skip
    app = BodyLimit(Starlette(routes=routes), surfaces, default=1024)
    with serve(app) as base:
        yield base


def test_bodies_up_to_the_limit_pass(url: str, recorder: Recorder) -> None:
    answer = httpx.post(f"{url}/iamport/webhook", content=b"x" * LIMIT)
    assert answer.json() == {"size": LIMIT}
    assert httpx.post(f"{url}/api/orders", content=b"x" * (3 * LIMIT)).status_code == 200


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_fifty_megabytes_are_refused_before_they_are_read(
    url: str, recorder: Recorder, chunked: bool
) -> None:
    recorder.bodies.clear()
    size = 50 * 1024 * 1024
    answer = post_streaming(f"{url}/iamport/webhook", size, chunked=chunked)
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"
    assert b'"status": 413' in answer.body
    # answered while the upload was still going (what was sent sat in socket buffers)
    assert answer.sent < size // 4
    assert recorder.bodies == []  # the app never got a body


def test_confirm_refusals_keep_the_reason_shape(url: str) -> None:
    answer = post_streaming(f"{url}/iamport/confirm", LIMIT + 1)
    assert answer.status == 413
    assert answer.body == b'{"reason": "request too large"}'


def test_a_chunked_body_just_over_the_limit_is_cut_off(url: str, recorder: Recorder) -> None:
    recorder.bodies.clear()
    answer = post_streaming(f"{url}/iamport/webhook", LIMIT + 1, chunked=True, chunk=LIMIT // 4)
    assert answer.status == 413
    assert recorder.bodies == []


def test_each_surface_has_its_own_limit(url: str) -> None:
    assert post_streaming(f"{url}/api/orders", 4 * LIMIT + 1).status == 413
    assert post_streaming(f"{url}/elsewhere", 1025).status == 413
    assert httpx.post(f"{url}/elsewhere", content=b"x" * 10).status_code == 404
