"""The i'mport response envelope ``{code, message, response}`` as an HTTP response."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = ["Encoded", "EnvelopeResponse", "encode", "envelope"]

_MEDIA_TYPE = "application/json; charset=UTF-8"
_CONTENT_TYPE = (b"content-type", _MEDIA_TYPE.encode("latin-1"))
#: ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` without building an
#: encoder per answer.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_SUCCESS_HEAD = b'{"code":0,"message":null,"response":'


class Encoded(bytes):
    """A ``response`` already encoded by ``encode`` (an answer kept while it is unchanged)."""

    __slots__ = ()


def encode(response: Any) -> Encoded:
    """``response`` as the envelope would write it, for ``envelope(Encoded)`` later."""
    return Encoded(_ENCODER.encode(response).encode("utf-8"))


def envelope(
    response: Any = None,
    *,
    code: int = 0,
    message: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render one i'mport answer; success has ``code`` 0 and ``message`` null.

    An ``Encoded`` response goes in as it is: the same bytes as encoding it here.
    """
    if type(response) is Encoded:
        head = (
            _SUCCESS_HEAD
            if code == 0 and message is None
            else _ENCODER.encode({"code": code, "message": message, "response": None})[:-5].encode(
                "utf-8"
            )
        )
        body = head + response + b"}"
    else:
        body = _ENCODER.encode({"code": code, "message": message, "response": response}).encode(
            "utf-8"
        )
    return EnvelopeResponse(body, status, headers)


class EnvelopeResponse(Response):
    """A ``Response`` of JSON bytes with its raw headers built in one step.

    Starlette's ``__init__`` renders the content and then walks the headers to
    see whether the caller set a length or a type; an envelope already has its
    bytes and rarely any header of its own, so the list Starlette would build
    (the caller's headers first, then ``content-length`` and ``content-type``
    unless the caller gave them) is written out directly.
    """

    media_type = _MEDIA_TYPE

    def __init__(
        self, body: bytes, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self.status_code = status
        self.background = None
        self.body = body
        raw: list[tuple[bytes, bytes]] = []
        given: set[bytes] = set()
        if headers:
            raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
            given = {name for name, _ in raw}
        if b"content-length" not in given and status >= 200 and status not in (204, 304):
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        if b"content-type" not in given:
            raw.append(_CONTENT_TYPE)
        self.raw_headers = raw
