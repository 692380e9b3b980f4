"""``POST /users/getToken`` and the PG settings listing ``GET /users/pg``."""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any

from ..envelope import Encoded
from ..gateway.errors import ApiFault, Messages
from .routing import Call, RouteTable

__all__ = ["routes"]

routes = RouteTable()


@routes.op("POST", "/users/getToken", auth=False)
def get_token(call: Call) -> Encoded:
    key = call.params.text("imp_key")
    secret = call.params.text("imp_secret")
    if not key or not secret:
        raise ApiFault(400, Messages.MISSING_TOKEN_PARAMS, code=-1)
    merchant = call.gateway.merchant_by_credentials(key, secret)
    if merchant is None:
        raise ApiFault(401, "imp_key, imp_secret 정보가 올바르지 않습니다.", code=-1)
    now = call.gateway.now()
    token = call.gateway.issue_token(merchant, now)
    # the most called operation: its three fields written out, as encode() would
    return Encoded(
        b'{"access_token":%s,"now":%d,"expired_at":%d}'
        % (encode_basestring(token.access_token).encode("utf-8"), now, token.expired_at)
    )


@routes.op("GET", "/users/pg")
def list_pg_settings(call: Call) -> list[dict[str, Any]]:
    return [channel.wire() for channel in call.merchant.channels]
