"""The getToken request (§1.2): the one call made without an access token."""

from __future__ import annotations

from ..exchange import ApiRequest, Envelope, Flow
from ..models.token import Token
from .answers import parse

__all__ = ["get_token", "read_token", "token_request"]


def token_request(imp_key: str, imp_secret: str) -> ApiRequest:
    """``POST /users/getToken``; the secret is in the body only, never in ``keys``."""
    return ApiRequest(
        "users.get_token",
        "POST",
        "/users/getToken",
        body={"imp_key": imp_key, "imp_secret": imp_secret},
        keys={"imp_key": imp_key},
        auth=False,
        idempotent=True,  # i'mport hands out the same token again while it is valid
    )


def read_token(envelope: Envelope) -> Token:
    """The ``Token`` of a getToken answer.

    Raises:
        UnreadableAnswer: the payload is not a token.
    """
    return parse(Token, envelope)


def get_token(imp_key: str, imp_secret: str) -> Flow[Token]:
    """A fresh access token for ``imp_key``/``imp_secret`` (``POST /users/getToken``).

    The client fetches and caches its own tokens; this is for checking credentials
    and reading i'mport's clock (``Token.now``): the answer is not cached.

    Raises:
        Unauthorized: the key or secret is wrong.
    """
    envelope = yield token_request(imp_key, imp_secret)
    return read_token(envelope)
