"""Small request helpers shared by the control API and the window pages."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from ..gateway.errors import ApiFault
from ..gateway.params import decode_pairs

__all__ = ["read_json"]


async def read_json(request: Request) -> dict[str, Any]:
    """A JSON or form body as a dict; an empty body is ``{}``."""
    body = await request.body()
    if not body.strip():
        return {}
    if "json" in request.headers.get("content-type", "json"):
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiFault(400, "요청 본문이 올바른 JSON이 아닙니다.", code=1) from None
        if not isinstance(data, dict):
            raise ApiFault(400, "요청 본문은 JSON 객체여야 합니다.", code=1)
        return data
    form = await request.form()
    return decode_pairs((k, v) for k, v in form.multi_items() if isinstance(v, str))
