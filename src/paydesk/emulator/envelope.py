"""The i'mport response envelope ``{code, message, response}`` as an HTTP response."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = ["envelope"]

_MEDIA_TYPE = "application/json; charset=UTF-8"
#: ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` without building an
#: encoder per answer.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def envelope(
    response: Any = None,
    *,
    code: int = 0,
    message: str | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """Render one i'mport answer; success has ``code`` 0 and ``message`` null."""
    body = _ENCODER.encode({"code": code, "message": message, "response": response})
    return Response(body, status_code=status, headers=headers, media_type=_MEDIA_TYPE)
