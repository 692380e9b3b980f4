"""The i'mport response envelope ``{code, message, response}`` as an HTTP response."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = ["Encoded", "encode", "envelope"]

_MEDIA_TYPE = "application/json; charset=UTF-8"
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
        body: bytes | str = head + response + b"}"
    else:
        body = _ENCODER.encode({"code": code, "message": message, "response": response})
    return Response(body, status_code=status, headers=headers, media_type=_MEDIA_TYPE)
